/**
 * Which InternalIPs the nodes of each AKSNodeClass have, from a node watch restricted by label to
 * Karpenter's nodes. Nodes are large (an AKS node is about 15 KB of JSON: labels, annotations, ~60
 * images, 14 conditions) and a cluster may have 5,000 of them, so:
 *
 * - the LIST is paginated and each page is reduced to a `NodeSummary` before the next is fetched
 *   (never the whole collection, never whole Node objects in memory at once);
 * - watch events are reduced the same way as they arrive;
 * - what stays is one small record per node (name, resourceVersion, nodeclass, InternalIPs; well under
 *   1 KB), with nodeclass names shared rather than copied per node.
 *
 * A metadata-only list (PartialObjectMetadata) would be smaller on the wire but carries no
 * status.addresses, and the Table form carries one InternalIP per node; neither is enough.
 */
import type { KubeConfig, KubernetesListObject, V1Node } from "@kubernetes/client-node";
import { NODECLASS_LABEL } from "../domain.js";
import type { NodeAddress } from "../health/types.js";
import type { Clock } from "./clock.js";
import { ResilientInformer, type InformerStats, type WatchLike } from "./informer.js";
import { InformerIndex } from "./informer-index.js";
import type { KubeLogger } from "./log.js";
import { rawPageFetcher, type PageEncoding, type PageFetcher } from "./paged-list.js";
import { decodeNodeList, PROTOBUF_CONTENT_TYPE, protobufStatusAsJson } from "./node-list-protobuf.js";

/** What the node cache keeps per node. */
export interface NodeSummary {
  metadata: { name: string; resourceVersion?: string };
  /** the node's AKSNodeClass (Karpenter's label), if it has one */
  nodeclass: string | undefined;
  internalIPs: string[];
}

/** Thousands of nodes share a few nodeclass names: keep one copy of each. */
class Interner {
  private readonly seen = new Map<string, string>();
  get(s: string): string {
    const had = this.seen.get(s);
    if (had !== undefined) return had;
    this.seen.set(s, s);
    return s;
  }
}

/**
 * Node pages in protobuf, read for exactly what `summarizeNode` uses; JSON when the server answers in
 * JSON (the Accept header allows both).
 */
export const nodeListEncoding: PageEncoding<V1Node> = {
  accept: `${PROTOBUF_CONTENT_TYPE}, application/json`,
  decode: (body, contentType) =>
    contentType?.startsWith(PROTOBUF_CONTENT_TYPE)
      ? decodeNodeList(body, { labels: [NODECLASS_LABEL], addressTypes: ["InternalIP"] })
      : (JSON.parse(body.toString("utf8")) as KubernetesListObject<V1Node>),
  errorText: (body, contentType) =>
    contentType?.startsWith(PROTOBUF_CONTENT_TYPE) ? protobufStatusAsJson(body) : undefined,
};

export function summarizeNode(node: V1Node, intern: (s: string) => string = (s) => s): NodeSummary {
  const nodeclass = node.metadata?.labels?.[NODECLASS_LABEL];
  const ips: string[] = [];
  for (const a of node.status?.addresses ?? [])
    if (a.type === "InternalIP" && !ips.includes(a.address)) ips.push(a.address);
  ips.sort();
  return {
    metadata: { name: node.metadata?.name ?? "", resourceVersion: node.metadata?.resourceVersion },
    nodeclass: nodeclass === undefined ? undefined : intern(nodeclass),
    internalIPs: ips,
  };
}

export interface NodeAddressWatchOptions {
  kubeConfig: KubeConfig;
  /** one page of the node LIST; defaults to a raw GET of /api/v1/nodes with the kubeconfig's credentials */
  listPage?: PageFetcher<V1Node>;
  /** nodes per LIST page (default 250: about 4 MB of AKS nodes) */
  pageSize?: number;
  watch?: WatchLike;
  watchdogMs?: number;
  clock?: Clock;
  log?: KubeLogger;
}

/** "changed": the addresses of this nodeclass changed */
export class NodeAddressWatch extends InformerIndex<V1Node, NodeSummary, [nodeclass: string]> {
  protected readonly informer: ResilientInformer<V1Node, NodeSummary>;
  /** nodeclass → node name → its addresses (the informer's cache holds the same summaries) */
  private readonly byClass = new Map<string, Map<string, NodeAddress>>();
  /** node name → the nodeclass it is indexed under */
  private readonly classOf = new Map<string, string>();
  private readonly names = new Interner();

  constructor(opts: NodeAddressWatchOptions) {
    super();
    const listPage =
      opts.listPage ?? rawPageFetcher<V1Node>(opts.kubeConfig, "/api/v1/nodes", undefined, nodeListEncoding);
    this.informer = new ResilientInformer<V1Node, NodeSummary>({
      name: "nodes",
      path: "/api/v1/nodes",
      kubeConfig: opts.kubeConfig,
      watch: opts.watch,
      labelSelector: NODECLASS_LABEL,
      listPage,
      pageSize: opts.pageSize ?? 250,
      transform: (n) => summarizeNode(n, (s) => this.names.get(s)),
      watchdogMs: opts.watchdogMs,
      clock: opts.clock,
      log: opts.log,
    });
    this.informer.on("add", (n) => this.upsert(n));
    this.informer.on("update", (n) => this.upsert(n));
    this.informer.on("delete", (n) => this.remove(n.metadata.name));
  }

  /** list pages, relists and restarts of the node informer */
  stats(): Readonly<InformerStats> {
    return this.informer.stats();
  }

  /** how many nodes are indexed (nodes with a nodeclass label) */
  get size(): number {
    return this.classOf.size;
  }

  addressesFor(nodeclass: string): NodeAddress[] {
    return [...(this.byClass.get(nodeclass)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** nodeclass → its nodes' addresses */
  all(): Map<string, NodeAddress[]> {
    return new Map([...this.byClass.keys()].map((nc) => [nc, this.addressesFor(nc)]));
  }

  private upsert(n: NodeSummary): void {
    const name = n.metadata.name;
    const nodeclass = n.nodeclass;
    if (nodeclass === undefined) return this.remove(name);
    const prevClass = this.classOf.get(name);
    const prev = prevClass === undefined ? undefined : this.byClass.get(prevClass)?.get(name);
    if (prevClass === nodeclass && prev && sameList(prev.internalIPs, n.internalIPs)) return;
    if (prevClass !== undefined && prevClass !== nodeclass) this.remove(name);
    this.classOf.set(name, nodeclass);
    let m = this.byClass.get(nodeclass);
    if (!m) this.byClass.set(nodeclass, (m = new Map<string, NodeAddress>()));
    m.set(name, { name, internalIPs: n.internalIPs });
    this.changed(nodeclass);
  }

  private remove(name: string): void {
    const nodeclass = this.classOf.get(name);
    if (nodeclass === undefined) return;
    this.classOf.delete(name);
    const m = this.byClass.get(nodeclass);
    m?.delete(name);
    if (m && m.size === 0) this.byClass.delete(nodeclass);
    this.changed(nodeclass);
  }

  private changed(nodeclass: string): void {
    this.notify(nodeclass);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
