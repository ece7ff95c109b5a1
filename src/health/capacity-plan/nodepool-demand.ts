/**
 * The worst case of one NodePool: how many nodes it may reach, and the IPs they take.
 *
 * - Static NodePool (`spec.replicas` set): `limits.nodes` when set (Karpenter never exceeds it, and
 *   replacements during drift or expiry may surge up to it), else `replicas`.
 * - Dynamic NodePool: the tightest of `limits.nodes`, `limits.cpu` / smallest vCPU count,
 *   `limits.memory` / smallest node memory and `limits.pods` / maxPods; unbounded when none is set.
 *   Karpenter refuses a launch that would take the NodePool's node capacity beyond a limit, so at most
 *   floor(limit / smallest instance) nodes fit. Node memory capacity is the SKU's whole GiB less
 *   Karpenter's VM memory overhead (default 7.5 %), as Karpenter counts it against the limit.
 * Limits on other resources (GPUs, ephemeral storage) do not bound a NodePool that may launch
 * instances without them, so they are noted and ignored.
 * No NodePool outgrows its cluster: AKS allows at most 5,000 nodes per cluster, so a worst case above
 * that is planned at 5,000.
 */
import { instanceBounds } from "./instance-bounds.js";
import { parseQuantity } from "./quantity.js";
import type { BoundBy, NodePoolDemand, NodePoolInput, NodePoolNodes, SmallestInstance } from "./types.js";

/** AKS's limit on nodes per cluster, across all node pools (Standard and Premium tiers). */
export const AKS_MAX_NODES = 5000;

/** Karpenter for Azure's default `--vm-memory-overhead-percent`. */
export const VM_MEMORY_OVERHEAD = 0.075;

const NODE_BOUNDING = new Set(["nodes", "cpu", "memory", "pods"]);

/** Bytes of node memory capacity Karpenter counts for a SKU of this many MiB. */
export function nodeMemoryCapacityBytes(memoryMiB: number, overhead = VM_MEMORY_OVERHEAD): number {
  const whole = Math.floor(memoryMiB / 1024) * 2 ** 30;
  return whole - Math.ceil(whole * overhead);
}

function fmt(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

interface Candidate {
  nodes: number;
  by: BoundBy;
  detail: string;
}

function limitCandidates(
  limits: Record<string, string | number>,
  smallest: SmallestInstance,
  maxPods: number | undefined,
  notes: string[],
): Candidate[] {
  const out: Candidate[] = [];
  for (const key of Object.keys(limits).sort()) {
    const raw = limits[key];
    if (raw === undefined) continue;
    if (!NODE_BOUNDING.has(key)) {
      notes.push(`limits.${key} does not bound the node count`);
      continue;
    }
    const value = parseQuantity(raw);
    if (value === undefined) {
      notes.push(`limits.${key} "${String(raw)}" is not a quantity and is ignored`);
      continue;
    }
    const clamp = (n: number): number => Math.max(0, Math.floor(n + 1e-9));
    switch (key) {
      case "nodes":
        out.push({ nodes: clamp(value), by: "nodes", detail: `limits.nodes ${fmt(value)}` });
        break;
      case "cpu":
        out.push({
          nodes: clamp(value / smallest.vcpu),
          by: "cpu",
          detail: `limits.cpu ${String(raw)} / ${smallest.vcpu} vCPU`,
        });
        break;
      case "memory": {
        const perNode = nodeMemoryCapacityBytes(smallest.memoryMiB);
        out.push({
          nodes: clamp(value / perNode),
          by: "memory",
          detail: `limits.memory ${String(raw)} / ${fmt(perNode / 2 ** 30)} GiB`,
        });
        break;
      }
      case "pods":
        if (maxPods === undefined) {
          notes.push("limits.pods is ignored because maxPods is unknown");
          break;
        }
        out.push({
          nodes: clamp(value / maxPods),
          by: "pods",
          detail: `limits.pods ${String(raw)} / maxPods ${maxPods}`,
        });
        break;
    }
  }
  return out;
}

function capped(c: Candidate): Candidate {
  if (c.nodes <= AKS_MAX_NODES) return c;
  return {
    nodes: AKS_MAX_NODES,
    by: "cluster-maximum",
    detail: `AKS's ${AKS_MAX_NODES} nodes per cluster (${c.detail} allows ${c.nodes})`,
  };
}

/** Worst-case nodes of one NodePool. */
export function worstCaseNodes(
  pool: NodePoolInput,
  maxPods: number | undefined,
  notes: string[] = [],
): { nodes: NodePoolNodes; bounds: ReturnType<typeof instanceBounds> } {
  const bounds = instanceBounds(pool.requirements);
  if (bounds.kind === "none") {
    return { bounds, nodes: { kind: "no-instance", why: bounds.why } };
  }
  if (pool.replicas !== undefined) {
    const limit = parseQuantity(pool.limits.nodes ?? "");
    if (limit !== undefined) {
      const nodes = Math.max(0, Math.floor(limit));
      return {
        bounds,
        nodes: { kind: "bounded", ...capped({ nodes, by: "nodes", detail: `limits.nodes ${fmt(limit)}` }) },
      };
    }
    notes.push("replacements during drift or expiry may briefly add nodes beyond replicas; limits.nodes bounds them");
    return {
      bounds,
      nodes: {
        kind: "bounded",
        ...capped({ nodes: pool.replicas, by: "replicas", detail: `replicas ${pool.replicas}` }),
      },
    };
  }
  const candidates = limitCandidates(pool.limits, bounds.smallest, maxPods, notes);
  if (candidates.length === 0) {
    return { bounds, nodes: { kind: "unbounded", why: "it sets no limit on nodes, cpu, memory or pods" } };
  }
  // the tightest limit wins; ties keep the order nodes, cpu, memory, pods (sorted keys, stable sort)
  const order: BoundBy[] = ["nodes", "cpu", "memory", "pods"];
  const best = [...candidates].sort((a, b) => a.nodes - b.nodes || order.indexOf(a.by) - order.indexOf(b.by))[0];
  if (best === undefined) throw new Error("unreachable: candidates is not empty");
  return { bounds, nodes: { kind: "bounded", ...capped(best) } };
}

/**
 * One NodePool's demand on its nodeclass's subnet. `ipsPerNode` and `maxPods` come from the
 * nodeclass and the cluster's CNI mode (src/health/capacity.ts decides both).
 */
export function nodePoolDemand(
  pool: NodePoolInput & { nodeClass: string },
  perNode: { ips: number; maxPods: number } | undefined,
): NodePoolDemand {
  const notes: string[] = [];
  const { nodes, bounds } = worstCaseNodes(pool, perNode?.maxPods, notes);
  const ipsAtLimits =
    perNode === undefined
      ? undefined
      : nodes.kind === "bounded"
        ? nodes.nodes * perNode.ips
        : nodes.kind === "no-instance"
          ? 0
          : undefined;
  return {
    nodePool: pool.name,
    nodeClass: pool.nodeClass,
    worstCase: nodes,
    bounds,
    ipsPerNode: perNode?.ips,
    ipsAtLimits,
    notes,
  };
}
