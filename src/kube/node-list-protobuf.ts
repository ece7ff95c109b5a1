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

/**
 * A cursor over one protobuf payload. It uses only the reader's varint decoding and moves `pos` itself:
 * BinaryReader's `tag()`, `skip()` and `bytes()` each allocate (an array, a view) per field, and an AKS
 * node has hundreds of fields, nearly all skipped, so walking a 5,000-node list with them made as much
 * garbage as the JSON it replaces.
 */
class Cursor {
  readonly r: BinaryReader;
  constructor(readonly buf: Uint8Array) {
    this.r = new BinaryReader(buf);
  }
  get pos(): number {
    return this.r.pos;
  }
  /** the next field's number and wire type, packed as protobuf does (field << 3 | wire) */
  tag(): number {
    return this.r.uint32();
  }
  /** the end position of the length-delimited field whose tag was just read */
  enter(): number {
    const len = this.r.uint32();
    const end = this.r.pos + len;
    if (end > this.buf.length) throw new Error("protobuf field runs past the end of the body");
    return end;
  }
  skip(wire: number): void {
    switch (wire as WireType) {
      case WireType.Varint:
        this.r.uint32(); // reads every byte of a varint, up to 10
        break;
      case WireType.Bit64:
        this.r.pos += 8;
        break;
      case WireType.LengthDelimited:
        this.r.pos = this.enter();
        break;
      case WireType.Bit32:
        this.r.pos += 4;
        break;
      default:
        throw new Error(`unexpected protobuf wire type ${wire}`);
    }
    if (this.r.pos > this.buf.length) throw new Error("protobuf field runs past the end of the body");
  }
  /** the length-delimited field just tagged, as text */
  string(): string {
    const end = this.enter();
    const out = text.decode(this.buf.subarray(this.r.pos, end));
    this.r.pos = end;
    return out;
  }
  /** which of `candidates` the length-delimited field just tagged holds exactly (position is left after it) */
  oneOf<K extends { bytes: Uint8Array }>(candidates: readonly K[]): K | undefined {
    const end = this.enter();
    const start = this.r.pos;
    this.r.pos = end;
    return candidates.find((k) => {
      if (end - start !== k.bytes.length) return false;
      for (let i = 0; i < k.bytes.length; i++) if (this.buf[start + i] !== k.bytes[i]) return false;
      return true;
    });
  }
}

const LD: number = WireType.LengthDelimited;
const fieldOf = (tag: number): number => tag >>> 3;
const wireOf = (tag: number): number => tag & 7;

/** Decodes one NodeList page, keeping per node only name, resourceVersion, `keep.labels` and `keep.addressTypes`. */
export function decodeNodeList(body: Uint8Array, keep: NodeFields): KubernetesListObject<V1Node> {
  const wanted: Wanted = {
    labels: keep.labels.map((l) => ({ key: l, bytes: utf8.encode(l) })),
    types: keep.addressTypes.map((t) => ({ key: t, bytes: utf8.encode(t) })),
  };
  const c = new Cursor(unwrap(body));
  const items: V1Node[] = [];
  const metadata: { resourceVersion?: string; continue?: string } = {};
  while (c.pos < c.buf.length) {
    const tag = c.tag();
    if (fieldOf(tag) === LIST_ITEMS && wireOf(tag) === LD) items.push(decodeNode(c, c.enter(), wanted));
    else if (fieldOf(tag) === LIST_METADATA && wireOf(tag) === LD) {
      const end = c.enter();
      while (c.pos < end) {
        const t = c.tag();
        if (fieldOf(t) === LISTMETA_RESOURCE_VERSION && wireOf(t) === LD) metadata.resourceVersion = c.string();
        else if (fieldOf(t) === LISTMETA_CONTINUE && wireOf(t) === LD) metadata.continue = c.string();
        else c.skip(wireOf(t));
      }
    } else c.skip(wireOf(tag));
  }
  return { apiVersion: "v1", kind: "NodeList", metadata, items };
}

interface Wanted {
  labels: Array<{ key: string; bytes: Uint8Array }>;
  types: Array<{ key: string; bytes: Uint8Array }>;
}

function decodeNode(c: Cursor, end: number, wanted: Wanted): V1Node {
  const metadata: NonNullable<V1Node["metadata"]> = {};
  const addresses: V1NodeAddress[] = [];
  while (c.pos < end) {
    const tag = c.tag();
    if (fieldOf(tag) === NODE_METADATA && wireOf(tag) === LD) decodeMeta(c, c.enter(), metadata, wanted);
    else if (fieldOf(tag) === NODE_STATUS && wireOf(tag) === LD) decodeStatus(c, c.enter(), addresses, wanted);
    else c.skip(wireOf(tag));
  }
  return { metadata, status: { addresses } };
}

function decodeMeta(c: Cursor, end: number, meta: NonNullable<V1Node["metadata"]>, wanted: Wanted): void {
  while (c.pos < end) {
    const tag = c.tag();
    const field = fieldOf(tag);
    if (wireOf(tag) !== LD) c.skip(wireOf(tag));
    else if (field === META_NAME) meta.name = c.string();
    else if (field === META_RESOURCE_VERSION) meta.resourceVersion = c.string();
    else if (field === META_LABELS) {
      const entry = pair(c, c.enter(), ENTRY_KEY, ENTRY_VALUE, wanted.labels);
      if (entry) (meta.labels ??= {})[entry.key] = entry.value;
    } else c.skip(LD);
  }
}

function decodeStatus(c: Cursor, end: number, addresses: V1NodeAddress[], wanted: Wanted): void {
  while (c.pos < end) {
    const tag = c.tag();
    if (fieldOf(tag) !== STATUS_ADDRESSES || wireOf(tag) !== LD) {
      c.skip(wireOf(tag));
      continue;
    }
    const a = pair(c, c.enter(), ADDRESS_TYPE, ADDRESS_ADDRESS, wanted.types);
    if (a) addresses.push({ type: a.key, address: a.value });
  }
}

/**
 * A two-field message (a map entry, a NodeAddress) whose key is one of `keys`: the key as given and
 * the value decoded; undefined (nothing decoded) for any other key.
 */
function pair(
  c: Cursor,
  end: number,
  keyField: number,
  valueField: number,
  keys: ReadonlyArray<{ key: string; bytes: Uint8Array }>,
): { key: string; value: string } | undefined {
  let key: string | undefined;
  let valueAt: number | undefined;
  while (c.pos < end) {
    const tag = c.tag();
    if (wireOf(tag) !== LD) c.skip(wireOf(tag));
    else if (fieldOf(tag) === keyField) key = c.oneOf(keys)?.key;
    else if (fieldOf(tag) === valueField) {
      valueAt = c.pos;
      c.skip(LD);
    } else c.skip(LD);
  }
  if (key === undefined) return undefined;
  let value = "";
  if (valueAt !== undefined) {
    c.r.pos = valueAt;
    value = c.string();
    c.r.pos = end;
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
