/**
 * Which InternalIPs the nodes of each AKSNodeClass have, from a node watch restricted by label to
 * Karpenter's nodes. The cache keeps a small summary per node, never whole Node objects (nodes are
 * large and update often: kubelet status heartbeats).
 */
import { CoreV1Api, type KubeConfig, type KubernetesListObject, type V1Node } from "@kubernetes/client-node";
import { NODECLASS_LABEL } from "../domain.js";
import type { NodeAddress } from "../health/types.js";
import type { Clock } from "./clock.js";
import { ResilientInformer, type WatchLike } from "./informer.js";
import type { KubeLogger } from "./log.js";

/** What the node cache keeps per node. */
export interface NodeSummary {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; labels: Record<string, string> };
  internalIPs: string[];
}

export function summarizeNode(node: V1Node): NodeSummary {
  const nodeclass = node.metadata?.labels?.[NODECLASS_LABEL];
  const ips = (node.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address);
  return {
    metadata: {
      name: node.metadata?.name ?? "",
      resourceVersion: node.metadata?.resourceVersion,
      labels: nodeclass !== undefined ? { [NODECLASS_LABEL]: nodeclass } : {},
    },
    internalIPs: [...new Set(ips)].sort(),
  };
}

export interface NodeAddressWatchOptions {
  kubeConfig: KubeConfig;
  /** defaults to kubeConfig.makeApiClient(CoreV1Api) */
  core?: Pick<CoreV1Api, "listNode">;
  watch?: WatchLike;
  watchdogMs?: number;
  clock?: Clock;
  log?: KubeLogger;
}

type ChangedListener = (nodeclass: string) => void;

export class NodeAddressWatch {
  private readonly informer: ResilientInformer<V1Node, NodeSummary>;
  /** node name → what we last indexed for it */
  private readonly byNode = new Map<string, { nodeclass: string; ips: string[] }>();
  private readonly byClass = new Map<string, Map<string, NodeAddress>>();
  private readonly listeners: ChangedListener[] = [];

  constructor(opts: NodeAddressWatchOptions) {
    const core = opts.core ?? opts.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new ResilientInformer<V1Node, NodeSummary>({
      name: "nodes",
      path: "/api/v1/nodes",
      kubeConfig: opts.kubeConfig,
      watch: opts.watch,
      labelSelector: NODECLASS_LABEL,
      list: (labelSelector) => core.listNode({ labelSelector }) as Promise<KubernetesListObject<V1Node>>,
      transform: summarizeNode,
      watchdogMs: opts.watchdogMs,
      clock: opts.clock,
      log: opts.log,
    });
    this.informer.on("add", (n) => this.upsert(n));
    this.informer.on("update", (n) => this.upsert(n));
    this.informer.on("delete", (n) => this.remove(n.metadata.name));
  }

  /** Subscribe to "the addresses of this nodeclass changed". */
  on(event: "changed", fn: ChangedListener): void {
    if (event === "changed") this.listeners.push(fn);
  }

  start(): void {
    this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }

  waitForSync(): Promise<void> {
    return this.informer.waitForSync();
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
    const nodeclass = n.metadata.labels[NODECLASS_LABEL];
    if (nodeclass === undefined) return this.remove(name);
    const prev = this.byNode.get(name);
    if (prev && prev.nodeclass === nodeclass && prev.ips.join(",") === n.internalIPs.join(",")) return;
    if (prev && prev.nodeclass !== nodeclass) this.remove(name);
    this.byNode.set(name, { nodeclass, ips: n.internalIPs });
    let m = this.byClass.get(nodeclass);
    if (!m) this.byClass.set(nodeclass, (m = new Map()));
    m.set(name, { name, internalIPs: n.internalIPs });
    this.changed(nodeclass);
  }

  private remove(name: string): void {
    const prev = this.byNode.get(name);
    if (!prev) return;
    this.byNode.delete(name);
    const m = this.byClass.get(prev.nodeclass);
    m?.delete(name);
    if (m && m.size === 0) this.byClass.delete(prev.nodeclass);
    this.changed(prev.nodeclass);
  }

  private changed(nodeclass: string): void {
    for (const fn of [...this.listeners]) fn(nodeclass);
  }
}
