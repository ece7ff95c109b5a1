/**
 * SubnetCapacity: free IPs and how many more nodes of this class fit.
 *
 * Condition messages carry only static numbers (thresholds, IPs per node): free-IP counts change on
 * every poll and would make every evaluation a status write and an event. The counts go to
 * status.subnetHealth and metrics instead.
 */
import { ConditionType } from "../domain.js";
import { conditionBuilder, type SeverityTable } from "./severity.js";
import { azureUsableIPv4, parseCidr } from "./cidr.js";
import { describeFailure, type ExistenceOutcome } from "./existence.js";
import type { CapacityThresholds, ClusterNetwork, ConditionResult, VNetObservation } from "./types.js";

export const CapacityReason = {
  CapacitySufficient: "CapacitySufficient",
  CapacityLow: "CapacityLow",
  CapacityCritical: "CapacityCritical",
  SubnetFull: "SubnetFull",
  CapacityUnknown: "CapacityUnknown",
  UsageNotReported: "UsageNotReported",
  AzureUnavailable: "AzureUnavailable",
  SubnetUnavailable: "SubnetUnavailable",
  /** the capacity plan (capacity-plan/): free now, but the NodePools' limits need more IPs than the subnet holds */
  CapacityShortAtLimits: "CapacityShortAtLimits",
  /** the capacity plan: a NodePool without limits whose nodes the subnet may not hold */
  NodePoolUnbounded: "NodePoolUnbounded",
} as const;
export type CapacityReasonValue = (typeof CapacityReason)[keyof typeof CapacityReason];

/** Running out of IPs is the most urgent advisory there is: it is the next outage. */
export const CAPACITY_SEVERITY: SeverityTable<CapacityReasonValue> = {
  CapacitySufficient: "ok",
  CapacityLow: { severity: "advisory", urgency: 1, warns: true },
  CapacityCritical: { severity: "advisory", urgency: 0, warns: true },
  SubnetFull: "blocking",
  CapacityUnknown: "blocking",
  UsageNotReported: "blocking",
  AzureUnavailable: "blocking",
  SubnetUnavailable: "blocking",
  // a plan, not an outage: after the advisories about what is happening now
  // a scale-out to the limits fails: worth a Warning, like IPs running out
  CapacityShortAtLimits: { severity: "advisory", urgency: 6, warns: true },
  NodePoolUnbounded: "advisory",
};

export type CniMode = "azure-node-subnet" | "azure-overlay" | "azure-pod-subnet" | "kubenet" | "none" | "other";

/** Karpenter's `GetMaxPods` defaults when neither the nodeclass nor the cluster says. */
const KARPENTER_DEFAULT_MAX_PODS: Record<CniMode, number> = {
  "azure-node-subnet": 30,
  "azure-overlay": 250,
  "azure-pod-subnet": 30,
  kubenet: 110,
  none: 250,
  other: 110,
};

export interface IpsPerNode {
  mode: CniMode;
  maxPods: number;
  maxPodsSource: "spec" | "cluster" | "karpenter-default";
  /** node-subnet IPs one node takes */
  ips: number;
  /** short human description, e.g. "Azure CNI node subnet, maxPods 30" */
  describe: string;
}

const MODE_WORDS: Record<CniMode, string> = {
  "azure-node-subnet": "Azure CNI node subnet",
  "azure-overlay": "Azure CNI Overlay",
  "azure-pod-subnet": "Azure CNI pod subnet",
  kubenet: "kubenet",
  none: "BYO CNI",
  other: "unrecognised network plugin",
};

export function cniMode(network: ClusterNetwork): CniMode | undefined {
  const plugin = network.networkPlugin?.toLowerCase();
  if (plugin === undefined || plugin === "") return undefined;
  if (plugin === "azure") {
    if (network.networkPluginMode?.toLowerCase() === "overlay") return "azure-overlay";
    if (network.agentPools.some((p) => p.podSubnetID !== undefined && p.podSubnetID !== "")) return "azure-pod-subnet";
    return "azure-node-subnet";
  }
  if (plugin === "kubenet") return "kubenet";
  if (plugin === "none") return "none";
  return "other";
}

/**
 * IPs a new node of this class takes from the node subnet; undefined when the network plugin is unknown.
 *
 * Azure CNI on the node subnet: 1 + maxPods. Karpenter's own NICs carry exactly maxPods ipconfigs
 * (primary + maxPods-1 secondaries) while AKS pools take 1 + maxPods; we use the larger figure so the
 * headroom never overstates what fits. Every other mode puts pods elsewhere: 1 IP per node.
 */
export function ipsPerNode(
  specMaxPods: number | undefined,
  network: ClusterNetwork | undefined,
): IpsPerNode | undefined {
  if (network === undefined) return undefined;
  const mode = cniMode(network);
  if (mode === undefined) return undefined;
  const [maxPods, maxPodsSource]: [number, IpsPerNode["maxPodsSource"]] =
    specMaxPods !== undefined
      ? [specMaxPods, "spec"]
      : network.defaultMaxPods !== undefined
        ? [network.defaultMaxPods, "cluster"]
        : [KARPENTER_DEFAULT_MAX_PODS[mode], "karpenter-default"];
  const ips = mode === "azure-node-subnet" ? 1 + maxPods : 1;
  return { mode, maxPods, maxPodsSource, ips, describe: `${MODE_WORDS[mode]}, maxPods ${maxPods}` };
}

export interface CapacityNumbers {
  /** usable IPv4 addresses */
  total: number;
  used: number;
  free: number;
  /** free / total, 0 when total is 0 */
  freeRatio: number;
  source: "usage" | "ip-configurations";
  perNode: IpsPerNode | undefined;
  /** floor(free / IPs per node); undefined when IPs per node is unknown */
  nodeHeadroom: number | undefined;
  /** epoch ms the data was fetched */
  fetchedAt: number;
  stale: boolean;
}

export interface CapacityOutcome {
  condition: ConditionResult;
  numbers: CapacityNumbers | undefined;
}

export interface CapacityInput {
  existence: ExistenceOutcome;
  /** the VNet observation, to name the cause when Azure is unavailable */
  vnet: VNetObservation | undefined;
  specMaxPods: number | undefined;
  network: ClusterNetwork | undefined;
  thresholds: CapacityThresholds;
}

const cond = conditionBuilder(ConditionType.SubnetCapacity, CAPACITY_SEVERITY);

const REMEDY =
  "Add an address prefix to the subnet, move the nodeclass to a bigger subnet, move the cluster to Azure CNI Overlay, or delete leaked network interfaces that still hold IPs.";

function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(2))}%`;
}

/** Pure number crunching; undefined when no usable figures exist. */
export function computeCapacity(input: CapacityInput): { numbers: CapacityNumbers } | { unknown: ConditionResult } {
  const data = input.existence.data;
  if (data === undefined) throw new Error("computeCapacity needs subnet data");
  const { subnet, snapshot } = data;
  const perNode = ipsPerNode(input.specMaxPods, input.network);
  const finish = (total: number, used: number, source: CapacityNumbers["source"]): { numbers: CapacityNumbers } => {
    const free = Math.max(0, total - used);
    return {
      numbers: {
        total,
        used,
        free,
        freeRatio: total > 0 ? free / total : 0,
        source,
        perNode,
        nodeHeadroom: perNode !== undefined ? Math.floor(free / perNode.ips) : undefined,
        fetchedAt: snapshot.fetchedAt,
        stale: data.stale,
      },
    };
  };
  if (subnet.usage !== undefined) {
    if (subnet.usage.limit <= 0) {
      // -1/-1 (GatewaySubnet, dynamically used subnets) or 0 (some delegated subnets): Azure does not
      // know, and ipConfigurations do not describe such subnets either.
      return {
        unknown: cond(
          "Unknown",
          CapacityReason.UsageNotReported,
          `Azure does not report IP usage for subnet ${subnet.name} (it is delegated or dynamically used), so its free IPs cannot be judged.`,
        ),
      };
    }
    return finish(subnet.usage.limit, subnet.usage.used, "usage");
  }
  const v4 = subnet.addressPrefixes.map(parseCidr).filter((c) => c !== undefined && c.family === "ipv4");
  if (subnet.ipConfigurationCount !== undefined && v4.length > 0) {
    const total = v4.reduce((sum, c) => sum + (c === undefined ? 0 : azureUsableIPv4(c)), 0);
    return finish(total, subnet.ipConfigurationCount, "ip-configurations");
  }
  const why =
    snapshot.usageFailure === undefined
      ? "Azure returned no usage for it"
      : snapshot.usageFailure.kind === "forbidden"
        ? "the operator may not read virtual network usages (grant Reader on the virtual network: Microsoft.Network/virtualNetworks/usages/read)"
        : `reading virtual network usages failed: ${describeFailure(snapshot.usageFailure)}`;
  return {
    unknown: cond("Unknown", CapacityReason.CapacityUnknown, `Free IPs of subnet ${subnet.name} are unknown: ${why}.`),
  };
}

type Verdict = { status: ConditionResult["status"]; reason: CapacityReasonValue; problems: string[] };

export function judgeCapacity(n: CapacityNumbers, t: CapacityThresholds): Verdict {
  const perNode = n.perNode;
  const cost =
    perNode !== undefined ? ` at ${perNode.ips} IP${perNode.ips === 1 ? "" : "s"} per node (${perNode.describe})` : "";
  if (n.free === 0 || n.nodeHeadroom === 0) {
    const what =
      n.free === 0 || perNode === undefined
        ? "no free IPs are left"
        : `not enough IPs are free for one more node${cost}`;
    return { status: "False", reason: CapacityReason.SubnetFull, problems: [what] };
  }
  const critical: string[] = [];
  if (n.freeRatio < t.freeRatioCritical) critical.push(`fewer than ${percent(t.freeRatioCritical)} of IPs free`);
  if (n.nodeHeadroom !== undefined && n.nodeHeadroom < t.nodeHeadroomCritical) {
    critical.push(
      `room for fewer than ${t.nodeHeadroomCritical} more node${t.nodeHeadroomCritical === 1 ? "" : "s"}${cost}`,
    );
  }
  if (critical.length > 0) return { status: "False", reason: CapacityReason.CapacityCritical, problems: critical };
  const low: string[] = [];
  if (n.freeRatio < t.freeRatioWarning) low.push(`fewer than ${percent(t.freeRatioWarning)} of IPs free`);
  if (n.nodeHeadroom !== undefined && n.nodeHeadroom < t.nodeHeadroomWarning) {
    low.push(`room for fewer than ${t.nodeHeadroomWarning} more node${t.nodeHeadroomWarning === 1 ? "" : "s"}${cost}`);
  }
  if (low.length > 0) return { status: "True", reason: CapacityReason.CapacityLow, problems: low };
  return { status: "True", reason: CapacityReason.CapacitySufficient, problems: [] };
}

export function evaluateCapacity(input: CapacityInput): CapacityOutcome {
  const ex = input.existence;
  const name = ex.ref?.subnet ?? "of this nodeclass";
  switch (ex.state) {
    case "invalid":
    case "unconfigured":
    case "not-allowed":
    case "not-found":
    case "not-provisioned":
      return {
        numbers: undefined,
        condition: cond(
          "Unknown",
          CapacityReason.SubnetUnavailable,
          `Capacity is not checked because the subnet is unusable (see SubnetFound: ${ex.condition.reason}).`,
        ),
      };
    case "pending":
      return {
        numbers: undefined,
        condition: cond(
          "Unknown",
          CapacityReason.CapacityUnknown,
          `Waiting for the first read of subnet ${name} from Azure.`,
        ),
      };
    case "forbidden":
      return {
        numbers: undefined,
        condition: cond(
          "Unknown",
          CapacityReason.CapacityUnknown,
          `Capacity of subnet ${name} is unknown: the operator may not read its virtual network (see SubnetFound).`,
        ),
      };
    case "unavailable":
    case "found":
      break;
  }
  if (ex.data === undefined) {
    const cause = input.vnet?.kind === "unavailable" ? describeFailure(input.vnet.failure) : "Azure did not answer";
    return {
      numbers: undefined,
      condition: cond(
        "Unknown",
        CapacityReason.AzureUnavailable,
        `Capacity of subnet ${name} is unknown: ${cause}; no earlier figures exist.`,
      ),
    };
  }
  const computed = computeCapacity(input);
  if ("unknown" in computed) return { numbers: undefined, condition: computed.unknown };
  const n = computed.numbers;
  const verdict = judgeCapacity(n, input.thresholds);
  const notes: string[] = [];
  if (n.source === "ip-configurations") {
    notes.push(
      "Usage was not available from Azure; free IPs are estimated from the subnet's prefix sizes and its IP configurations.",
    );
  }
  if (n.perNode === undefined) {
    notes.push(
      "Node headroom is not computed because the cluster's network plugin is unknown (configure the managed cluster or --network-plugin).",
    );
  }
  if (n.stale) {
    const cause = input.vnet?.kind === "unavailable" ? describeFailure(input.vnet.failure) : "Azure did not answer";
    return {
      numbers: n,
      condition: cond(
        "Unknown",
        CapacityReason.AzureUnavailable,
        `Capacity of subnet ${name} cannot be refreshed: ${cause}. Last known: ${verdict.reason}${verdict.problems.length > 0 ? ` (${verdict.problems.join("; ")})` : ""}; figures in status.subnetHealth date from dataTime.`,
      ),
    };
  }
  const tail = notes.length > 0 ? ` ${notes.join(" ")}` : "";
  switch (verdict.reason) {
    case CapacityReason.CapacitySufficient: {
      const cost =
        n.perNode !== undefined
          ? ` Each new node takes ${n.perNode.ips} IP${n.perNode.ips === 1 ? "" : "s"} (${n.perNode.describe}).`
          : "";
      return {
        numbers: n,
        condition: cond("True", verdict.reason, `Subnet ${name} has enough free IPs.${cost}${tail}`),
      };
    }
    case CapacityReason.SubnetFull:
      return {
        numbers: n,
        condition: cond(
          "False",
          verdict.reason,
          `Subnet ${name} is full: ${verdict.problems.join("; ")}. New nodes of this class will fail to get a network interface. ${REMEDY}${tail}`,
        ),
      };
    default: {
      const level = verdict.reason === CapacityReason.CapacityCritical ? "critically low" : "low";
      return {
        numbers: n,
        condition: cond(
          verdict.status,
          verdict.reason,
          `Subnet ${name} capacity is ${level}: ${verdict.problems.join("; ")}. ${REMEDY}${tail}`,
        ),
      };
    }
  }
}
