/**
 * The capacity plan of one subnet: would it hold every node the NodePools reaching it may scale to?
 *
 * Demand = Σ over NodePools whose nodeclass resolves to the subnet of worst-case nodes × IPs per node
 * (Azure CNI node subnet: 1 + maxPods; overlay and other modes: 1).
 * Room = usable IPs − IPs held by anything other than those nodeclasses' current nodes. Limits count
 * the nodes that exist already, so their IPs are room, not demand on top. Current Karpenter nodes are
 * counted at what Karpenter's NICs really hold (maxPods ipconfigs on the node subnet, else 1), so the
 * estimate of "other" use never hides a shortfall.
 *
 * The verdict is advisory: a subnet short at NodePool limits still launches nodes today.
 */
import { azureUsableIPv4, parseCidr } from "../cidr.js";
import type { CniMode, IpsPerNode } from "../capacity.js";
import { AKS_MAX_NODES, nodePoolDemand } from "./nodepool-demand.js";
import type { NodePoolDemand, NodePoolInput } from "./types.js";

export interface PlanNodeClass {
  name: string;
  /** IPs per node and maxPods of this class (capacity.ts `ipsPerNode`); undefined when the CNI mode is unknown */
  perNode: IpsPerNode | undefined;
  /** Karpenter nodes of this class that exist now */
  currentNodes: number;
}

export interface SubnetPlanInput {
  subnetCanonical: string;
  /** for messages */
  subnetName: string;
  /** current address prefixes, to tell which prefix size would fit */
  prefixes: string[];
  /** usable and used IPs from Azure; undefined when unknown */
  capacity: { total: number; used: number } | undefined;
  /** every nodeclass that resolves to this subnet */
  nodeClasses: PlanNodeClass[];
  /** NodePools; those whose nodeclass is not in nodeClasses are ignored */
  nodePools: readonly NodePoolInput[];
}

export type PlanVerdict = "fits" | "short" | "unbounded" | "unknown" | "no-nodepools";

export interface PlanFix {
  /** the NodePool driving the shortfall most and the node limit that would make the subnet fit */
  limit?: { nodePool: string; nodes: number };
  /** smallest IPv4 prefix length whose usable IPs would hold the demand next to the other use */
  prefixLength?: number;
  /** IPs the NodePools would need on Azure CNI Overlay, when that would fit */
  overlayIPs?: number;
}

export interface SubnetPlan {
  subnetCanonical: string;
  subnetName: string;
  /** sorted by nodeclass, then NodePool name */
  nodePools: NodePoolDemand[];
  verdict: PlanVerdict;
  /** why the verdict is unknown */
  unknownWhy?: string;
  /** Σ IPs at limits over the bounded NodePools */
  neededAtLimits: number | undefined;
  /** IPs the current nodes of these nodeclasses hold (estimate) */
  currentNodeIPs: number | undefined;
  /** IPs held by anything else (used − current node IPs, at least 0) */
  otherUsed: number | undefined;
  /** usable IPs minus other use: what the NodePools can have */
  room: number | undefined;
  /** needed − room when short */
  shortfall?: number;
  /** NodePools without a limit that bounds nodes */
  unbounded: string[];
  /** NodePools whose requirements allow no instance type */
  noInstance: string[];
  /** bounded NodePools by IPs at limits, largest first */
  drivers: Array<{ nodePool: string; ips: number }>;
  fix: PlanFix;
}

/** IPs Karpenter's NIC for an existing node really holds (see docs/capacity-planning.md). */
function heldPerNode(perNode: IpsPerNode): number {
  return perNode.mode === "azure-node-subnet" ? perNode.maxPods : 1;
}

/** The largest IPv4 prefix length (smallest subnet) whose Azure-usable IPs reach `ips`. */
export function prefixLengthFor(ips: number): number | undefined {
  for (let p = 29; p >= 0; p--) {
    const cidr = parseCidr(`0.0.0.0/${p}`);
    if (cidr !== undefined && azureUsableIPv4(cidr) >= ips) return p;
  }
  return undefined;
}

export function planSubnet(input: SubnetPlanInput): SubnetPlan {
  const classes = new Map(input.nodeClasses.map((c) => [c.name, c]));
  const demands: NodePoolDemand[] = input.nodePools
    .filter((p): p is NodePoolInput & { nodeClass: string } => p.nodeClass !== undefined && classes.has(p.nodeClass))
    .map((p) => {
      const perNode = classes.get(p.nodeClass)?.perNode;
      return nodePoolDemand(p, perNode !== undefined ? { ips: perNode.ips, maxPods: perNode.maxPods } : undefined);
    })
    .sort((a, b) => cmp(a.nodeClass, b.nodeClass) || cmp(a.nodePool, b.nodePool));

  const unbounded = demands.filter((d) => d.worstCase.kind === "unbounded").map((d) => d.nodePool);
  const noInstance = demands.filter((d) => d.worstCase.kind === "no-instance").map((d) => d.nodePool);
  const drivers = demands
    .filter((d) => d.worstCase.kind === "bounded" && d.ipsAtLimits !== undefined && d.ipsAtLimits > 0)
    .map((d) => ({ nodePool: d.nodePool, ips: d.ipsAtLimits ?? 0 }))
    .sort((a, b) => b.ips - a.ips || cmp(a.nodePool, b.nodePool));
  const base = {
    subnetCanonical: input.subnetCanonical,
    subnetName: input.subnetName,
    nodePools: demands,
    unbounded,
    noInstance,
    drivers,
    fix: {},
  };

  const unknownClass = input.nodeClasses.find((c) => c.perNode === undefined);
  const knownNeeded = demands.every((d) => d.worstCase.kind !== "bounded" || d.ipsAtLimits !== undefined);
  const neededAtLimits = knownNeeded ? drivers.reduce((s, d) => s + d.ips, 0) : undefined;
  if (demands.length === 0) {
    return {
      ...base,
      verdict: "no-nodepools",
      neededAtLimits: 0,
      currentNodeIPs: undefined,
      otherUsed: undefined,
      room: undefined,
    };
  }
  if (unknownClass !== undefined || input.capacity === undefined) {
    return {
      ...base,
      verdict: "unknown",
      unknownWhy:
        unknownClass !== undefined
          ? "the cluster's network plugin is unknown, so the IPs per node are unknown"
          : "the subnet's IP usage is unknown",
      neededAtLimits,
      currentNodeIPs: undefined,
      otherUsed: undefined,
      room: undefined,
    };
  }
  const needed = neededAtLimits ?? 0;
  const currentNodeIPs = input.nodeClasses.reduce(
    (s, c) => s + (c.perNode !== undefined ? c.currentNodes * heldPerNode(c.perNode) : 0),
    0,
  );
  const otherUsed = Math.max(0, input.capacity.used - currentNodeIPs);
  const room = Math.max(0, input.capacity.total - otherUsed);
  const numbers = { neededAtLimits: needed, currentNodeIPs, otherUsed, room };

  const fix: PlanFix = {};
  const modes = new Set<CniMode>(input.nodeClasses.flatMap((c) => (c.perNode ? [c.perNode.mode] : [])));
  if (needed > room) {
    const driver = drivers[0];
    const driverDemand = demands.find((d) => d.nodePool === driver?.nodePool);
    if (driver !== undefined && driverDemand?.ipsPerNode !== undefined) {
      const nodes = Math.floor((room - (needed - driver.ips)) / driverDemand.ipsPerNode);
      if (nodes >= 0) fix.limit = { nodePool: driver.nodePool, nodes };
    }
    const prefixLength = prefixLengthFor(otherUsed + needed);
    if (prefixLength !== undefined) fix.prefixLength = prefixLength;
    if (modes.has("azure-node-subnet")) {
      const overlayIPs = demands.reduce((s, d) => s + (d.worstCase.kind === "bounded" ? d.worstCase.nodes : 0), 0);
      if (overlayIPs <= room) fix.overlayIPs = overlayIPs;
    }
    return { ...base, ...numbers, verdict: "short", shortfall: needed - room, fix };
  }
  // NodePools without limits still cannot outgrow the cluster: if AKS's node maximum fits, so do they
  const unboundedIps = Math.max(
    0,
    ...demands.filter((d) => d.worstCase.kind === "unbounded").map((d) => d.ipsPerNode ?? 0),
  );
  if (unbounded.length > 0 && needed + AKS_MAX_NODES * unboundedIps > room) {
    const first = demands.find((d) => d.nodePool === unbounded[0]);
    if (first?.ipsPerNode !== undefined) {
      fix.limit = { nodePool: first.nodePool, nodes: Math.floor((room - needed) / first.ipsPerNode) };
    }
    return { ...base, ...numbers, verdict: "unbounded", fix };
  }
  return { ...base, ...numbers, verdict: "fits" };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * One paragraph for the SubnetCapacity condition, leading with the fix; undefined when there is
 * nothing to plan or the plan is unknown. Only the shortfall moves with Azure's usage figures.
 */
export function planMessage(plan: SubnetPlan): string | undefined {
  const s = plan.subnetName;
  const noInstance =
    plan.noInstance.length > 0
      ? ` ${plan.noInstance.length === 1 ? "NodePool" : "NodePools"} ${list(plan.noInstance)} ${plan.noInstance.length === 1 ? "allows" : "allow"} no instance type Karpenter for Azure can launch: check ${plan.noInstance.length === 1 ? "its" : "their"} requirements.`
      : "";
  switch (plan.verdict) {
    case "no-nodepools":
    case "unknown":
      return undefined;
    case "fits": {
      const unbounded =
        plan.unbounded.length > 0
          ? ` ${list(plan.unbounded)} ${plan.unbounded.length === 1 ? "sets" : "set"} no limit, but even AKS's ${AKS_MAX_NODES} nodes per cluster would fit.`
          : "";
      return `The NodePools using subnet ${s} fit at their limits (${plural(plan.neededAtLimits ?? 0, "IP")} needed).${unbounded}${noInstance}`;
    }
    case "unbounded": {
      const who = `${plan.unbounded.length === 1 ? "NodePool" : "NodePools"} ${list(plan.unbounded)}`;
      const room =
        plan.fix.limit !== undefined
          ? ` Beside the other NodePools' limits the subnet holds ${plural(plan.fix.limit.nodes, "more node")} of ${plan.fix.limit.nodePool}.`
          : "";
      return `Set a limit (limits.nodes, cpu or memory) on ${who}: without one, whether subnet ${s} holds ${plan.unbounded.length === 1 ? "its" : "their"} nodes cannot be planned.${room}${noInstance}`;
    }
    case "short": {
      const fixes: string[] = [];
      if (plan.fix.limit !== undefined) {
        fixes.push(`set limits.nodes to at most ${plan.fix.limit.nodes} on NodePool ${plan.fix.limit.nodePool}`);
      }
      if (plan.fix.prefixLength !== undefined) {
        fixes.push(`give subnet ${s} a /${plan.fix.prefixLength} prefix`);
      }
      if (plan.fix.overlayIPs !== undefined) {
        fixes.push(`move the cluster to Azure CNI Overlay (1 IP per node: ${plural(plan.fix.overlayIPs, "IP")})`);
      }
      if (fixes.length === 0) fixes.push("lower the NodePools' limits or use a bigger subnet");
      const first = fixes[0] ?? "";
      const lead = `${first.charAt(0).toUpperCase()}${first.slice(1)}`;
      const fixText = fixes.length === 1 ? lead : `${[lead, ...fixes.slice(1, -1)].join(", ")} or ${fixes.at(-1)}`;
      const drivers = plan.drivers.map((d) => `${d.nodePool} ${d.ips}`).join(", ");
      const unbounded =
        plan.unbounded.length > 0 ? ` NodePools without limits (${list(plan.unbounded)}) come on top.` : "";
      return `${fixText}: at their limits the NodePools using subnet ${s} need ${plural(plan.neededAtLimits ?? 0, "IP")} (${drivers}), ${plan.shortfall ?? 0} more than it can hold.${unbounded}${noInstance}`;
    }
  }
}
