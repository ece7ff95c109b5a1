/**
 * Plans for every subnet at once, from one entry per nodeclass: the operator (per reconcile, for the
 * subnet of the nodeclass at hand) and `check` (for the network plan record) group the same way.
 */
import { ipsPerNode } from "../capacity.js";
import type { CapacityNumbers } from "../capacity.js";
import type { CapacityPlanInput, ClusterNetwork, NodeClassMetrics, SubnetRef } from "../types.js";
import { AKS_MAX_NODES } from "./nodepool-demand.js";
import { planSubnet, type SubnetPlan } from "./subnet-plan.js";
import type { NodePoolInput } from "./types.js";

export interface PlanEntry {
  nodeClass: string;
  /** spec.maxPods */
  maxPods: number | undefined;
  /** the subnet the nodeclass resolves to; undefined when its ID is invalid */
  subnet: { canonical: string; name: string } | undefined;
  /** the subnet's prefixes, when known */
  prefixes: string[];
  /** usable and used IPs of the subnet, when known */
  capacity: { total: number; used: number } | undefined;
  /** Karpenter nodes of this nodeclass now */
  currentNodes: number;
}

/** subnet canonical ID → its plan; subnets sorted by canonical ID. */
export function planSubnets(
  entries: readonly PlanEntry[],
  nodePools: readonly NodePoolInput[],
  network: ClusterNetwork | undefined,
): Map<string, SubnetPlan> {
  const bySubnet = new Map<string, PlanEntry[]>();
  for (const e of entries) {
    if (e.subnet === undefined) continue;
    const list = bySubnet.get(e.subnet.canonical) ?? [];
    list.push(e);
    bySubnet.set(e.subnet.canonical, list);
  }
  const plans = new Map<string, SubnetPlan>();
  for (const canonical of [...bySubnet.keys()].sort()) {
    const group = bySubnet.get(canonical) ?? [];
    const first = group[0];
    if (first?.subnet === undefined) continue;
    plans.set(
      canonical,
      planSubnet({
        subnetCanonical: canonical,
        subnetName: first.subnet.name,
        prefixes: group.find((e) => e.prefixes.length > 0)?.prefixes ?? [],
        capacity: group.find((e) => e.capacity !== undefined)?.capacity,
        nodeClasses: group.map((e) => ({
          name: e.nodeClass,
          perNode: ipsPerNode(e.maxPods, network),
          currentNodes: e.currentNodes,
        })),
        nodePools,
      }),
    );
  }
  return plans;
}

/**
 * The plan of one nodeclass's subnet, as the operator evaluates it: this nodeclass and its siblings on
 * the subnet, the capacity numbers of this evaluation. Undefined without NodePools or numbers.
 */
export function planForNodeClass(
  self: { name: string; maxPods: number | undefined },
  subnet: SubnetRef | undefined,
  numbers: Pick<CapacityNumbers, "total" | "used"> | undefined,
  prefixes: string[],
  input: CapacityPlanInput | undefined,
  network: ClusterNetwork | undefined,
): SubnetPlan | undefined {
  if (input === undefined || subnet === undefined || numbers === undefined) return undefined;
  const entry = (name: string, maxPods: number | undefined, currentNodes: number): PlanEntry => ({
    nodeClass: name,
    maxPods,
    subnet: { canonical: subnet.canonical, name: subnet.subnet },
    prefixes,
    capacity: { total: numbers.total, used: numbers.used },
    currentNodes,
  });
  const entries = [
    entry(self.name, self.maxPods, input.currentNodes),
    ...input.siblings.filter((s) => s.name !== self.name).map((s) => entry(s.name, s.maxPods, s.currentNodes)),
  ];
  return planSubnets(entries, input.nodePools, network).get(subnet.canonical);
}

/** The plan's metric values: IPs needed and short at limits, worst-case nodes per NodePool. */
export function planMetrics(plan: SubnetPlan): NonNullable<NodeClassMetrics["plan"]> | undefined {
  if (plan.verdict === "unknown" || plan.verdict === "no-nodepools") return undefined;
  return {
    neededAtLimits: plan.neededAtLimits ?? 0,
    shortAtLimits: plan.shortfall ?? 0,
    nodePools: plan.nodePools.map((d) => ({
      nodePool: d.nodePool,
      nodeClass: d.nodeClass,
      nodes: d.worstCase.kind === "bounded" ? d.worstCase.nodes : d.worstCase.kind === "unbounded" ? AKS_MAX_NODES : 0,
      limit:
        d.worstCase.kind === "bounded" ? d.worstCase.by : d.worstCase.kind === "unbounded" ? "none" : "no-instance",
    })),
  };
}
