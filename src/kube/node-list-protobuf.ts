/**
 * The node LIST in the API server's protobuf encoding, read for the few fields the operator keeps.
 *
 * A page of 250 AKS nodes is about 4 MB of JSON; JSON.parse turns all of it (labels, annotations, ~60
 * images, 14 conditions per node) into objects only to keep a name, a label and the InternalIPs. At
 * 5,000 nodes that was most of the operator's start: 85 MB parsed, the garbage collected under a small
 * heap cap, every reconcile waiting for it. In protobuf the API server encodes faster and smaller, and
 * the reader below walks the wire format (@bufbuild/protobuf's BinaryReader), decoding strings only
 * for the fields it returns and skipping every other field without reading it. No library decodes
 * Kubernetes' protobuf selectively; full decoders would materialise every field again.
 *
 * What it returns is a Node trimmed to what `summarizeNode` reads: metadata.name, resourceVersion, the
 * asked-for labels and the addresses of the asked-for types, every one of them (a dual-stack node has
 * an IPv4 and an IPv6 InternalIP). Field numbers are those of k8s.io/api core/v1 and apimachinery
 * meta/v1 and runtime generated.proto; protobuf field numbers never change once released.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { KubernetesListObject, V1Node, V1NodeAddress } from "@kubernetes/client-node";

export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
/** Every protobuf body of the API server starts with these bytes ("k8s\0"), then a runtime.Unknown. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

// runtime.Unknown
const UNKNOWN_RAW = 2;
const UNKNOWN_CONTENT_ENCODING = 3;
// core/v1 NodeList, meta/v1 ListMeta
const LIST_METADATA = 1;
const LIST_ITEMS = 2;
const LISTMETA_RESOURCE_VERSION = 2;
const LISTMETA_CONTINUE = 3;
// core/v1 Node, meta/v1 ObjectMeta (labels: map entries of key 1, value 2)
const NODE_METADATA = 1;
const NODE_STATUS = 3;
const META_NAME = 1;
const META_RESOURCE_VERSION = 6;
const META_LABELS = 11;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
// core/v1 NodeStatus, NodeAddress
const STATUS_ADDRESSES = 5;
const ADDRESS_TYPE = 1;
const ADDRESS_ADDRESS = 2;
// meta/v1 Status, StatusDetails
const STATUS_MESSAGE = 3;
const STATUS_REASON = 4;
const STATUS_DETAILS = 5;
const STATUS_CODE = 6;
const DETAILS_RETRY_AFTER_SECONDS = 5;

export interface NodeFields {
  /** label keys to keep (all others are skipped undecoded) */
  labels: readonly string[];
  /** address types to keep, e.g. InternalIP */
  addressTypes: readonly string[];
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The runtime.Unknown's payload (the encoded object), after checking the magic prefix. */
function unwrap(body: Uint8Array): Uint8Array {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b))
    throw new Error("not a Kubernetes protobuf body (no k8s magic prefix)");
  const r = new BinaryReader(body.subarray(MAGIC.length));
  let raw: Uint8Array | undefined;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === UNKNOWN_RAW && wire === WireType.LengthDelimited) raw = r.bytes();
    else if (field === UNKNOWN_CONTENT_ENCODING && wire === WireType.LengthDelimited) {
      const encoding = r.string();
      if (encoding !== "") throw new Error(`protobuf body with content encoding ${encoding}`);
    } else r.skip(wire);
  }
  if (raw === undefined) throw new Error("protobuf body without an object");
  return raw;
}

/** Decodes one NodeList page, keeping per node only name, resourceVersion, `keep.labels` and `keep.addressTypes`. */
export function decodeNodeList(body: Uint8Array, keep: NodeFields): KubernetesListObject<V1Node> {
  const wanted = {
    labels: keep.labels.map((l) => ({ key: l, bytes: utf8.encode(l) })),
    types: keep.addressTypes.map((t) => ({ type: t, bytes: utf8.encode(t) })),
  };
  const r = new BinaryReader(unwrap(body));
  const items: V1Node[] = [];
  const metadata: { resourceVersion?: string; continue?: string } = {};
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === LIST_ITEMS && wire === WireType.LengthDelimited) items.push(decodeNode(r.bytes(), wanted));
    else if (field === LIST_METADATA && wire === WireType.LengthDelimited) {
      const m = new BinaryReader(r.bytes());
      while (m.pos < m.len) {
        const [f, w] = m.tag();
        if (f === LISTMETA_RESOURCE_VERSION && w === WireType.LengthDelimited) metadata.resourceVersion = m.string();
        else if (f === LISTMETA_CONTINUE && w === WireType.LengthDelimited) metadata.continue = m.string();
        else m.skip(w);
      }
    } else r.skip(wire);
  }
  return { apiVersion: "v1", kind: "NodeList", metadata, items };
}

interface Wanted {
  labels: Array<{ key: string; bytes: Uint8Array }>;
  types: Array<{ type: string; bytes: Uint8Array }>;
}

function decodeNode(bytes: Uint8Array, wanted: Wanted): V1Node {
  const node: V1Node = { metadata: {}, status: { addresses: [] } };
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === NODE_METADATA && wire === WireType.LengthDelimited) decodeMeta(r.bytes(), node, wanted);
    else if (field === NODE_STATUS && wire === WireType.LengthDelimited) decodeStatus(r.bytes(), node, wanted);
    else r.skip(wire);
  }
  return node;
}

function decodeMeta(bytes: Uint8Array, node: V1Node, wanted: Wanted): void {
  const meta = (node.metadata ??= {});
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    if (field === META_NAME) meta.name = r.string();
    else if (field === META_RESOURCE_VERSION) meta.resourceVersion = r.string();
    else if (field === META_LABELS) {
      const entry = pair(r.bytes());
      const label = entry.key && wanted.labels.find((l) => sameBytes(l.bytes, entry.key as Uint8Array));
      if (label) (meta.labels ??= {})[label.key] = entry.value ? text.decode(entry.value) : "";
    } else r.skip(wire);
  }
}

function decodeStatus(bytes: Uint8Array, node: V1Node, wanted: Wanted): void {
  const addresses = (node.status ??= {}).addresses ?? [];
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field !== STATUS_ADDRESSES || wire !== WireType.LengthDelimited) {
      r.skip(wire);
      continue;
    }
    const a = pair(r.bytes(), ADDRESS_TYPE, ADDRESS_ADDRESS);
    const type = a.key && wanted.types.find((t) => sameBytes(t.bytes, a.key as Uint8Array));
    if (type) addresses.push({ type: type.type, address: a.value ? text.decode(a.value) : "" } satisfies V1NodeAddress);
  }
  node.status = { ...node.status, addresses };
}

/** Two length-delimited fields of a small message (a map entry, a NodeAddress) as raw bytes. */
function pair(
  bytes: Uint8Array,
  keyField = ENTRY_KEY,
  valueField = ENTRY_VALUE,
): { key: Uint8Array | undefined; value: Uint8Array | undefined } {
  const r = new BinaryReader(bytes);
  let key: Uint8Array | undefined;
  let value: Uint8Array | undefined;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire !== WireType.LengthDelimited) r.skip(wire);
    else if (field === keyField) key = r.bytes();
    else if (field === valueField) value = r.bytes();
    else r.skip(wire);
  }
  return { key, value };
}

/**
 * An error answer (a meta/v1 Status) in protobuf, as the JSON Status errors.ts reads (message, reason,
 * code, details.retryAfterSeconds); undefined when it is not one.
 */
export function protobufStatusAsJson(body: Uint8Array): string | undefined {
  try {
    const r = new BinaryReader(unwrap(body));
    const status: { message?: string; reason?: string; code?: number; details?: { retryAfterSeconds?: number } } = {};
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === STATUS_MESSAGE && wire === WireType.LengthDelimited) status.message = r.string();
      else if (field === STATUS_REASON && wire === WireType.LengthDelimited) status.reason = r.string();
      else if (field === STATUS_CODE && wire === WireType.Varint) status.code = r.int32();
      else if (field === STATUS_DETAILS && wire === WireType.LengthDelimited) {
        const d = new BinaryReader(r.bytes());
        while (d.pos < d.len) {
          const [f, w] = d.tag();
          if (f === DETAILS_RETRY_AFTER_SECONDS && w === WireType.Varint)
            status.details = { retryAfterSeconds: d.int32() };
          else d.skip(w);
        }
      } else r.skip(wire);
    }
    return JSON.stringify({ kind: "Status", apiVersion: "v1", ...status });
  } catch {
    return undefined;
  }
}
