/**
 * NetworkPlan: the subnet's prefixes against the cluster's CIDRs, Azure's reserved ranges and the
 * subnets of other nodeclasses, plus whether the cluster's networking is a configuration node
 * auto-provisioning (Karpenter on AKS) supports.
 *
 * Decisions:
 * - Pod CIDRs are compared only when pods do not take addresses from the node subnet: Azure CNI
 *   Overlay, kubenet, and BYO CNI (`none`) when the cluster declares a pod CIDR (such CNIs route pods
 *   from it). Azure CNI on the node subnet has no pod CIDR; pod subnets are checked by Azure itself.
 *   When the plugin is unknown (network discovered in the cluster), pod CIDRs that exist at all
 *   (nodes' spec.podCIDRs, --pod-cidr) mean pods are routed from them, so they are compared.
 * - Every verdict says where the cluster's network came from (managed cluster, flags, discovered in
 *   the cluster) and which ranges were compared, so a wrong source is visible.
 * - kubenet is unsupported: the NAP networking docs do not list it, and it retires on 31 March 2028.
 * - BYO CNI is allowed but advisory: Karpenter provisions nodes, CNI problems are outside its support.
 * - A definite conflict (reserved range, another nodeclass's subnet) is False even when the cluster's
 *   network is unknown.
 */
import { ConditionType } from "../domain.js";
import { conditionBuilder, type SeverityTable } from "./severity.js";
import { cidrsOverlap, parseCidr, type Cidr } from "./cidr.js";
import type { CidrConflict, ClusterNetwork, ConditionResult, PeerSubnet } from "./types.js";

export const NetworkPlanReason = {
  NetworkPlanSupported: "NetworkPlanSupported",
  NetworkPlanRecommended: "NetworkPlanRecommended",
  BYOCNI: "BYOCNI",
  CIDRConflict: "CIDRConflict",
  UnsupportedNetworking: "UnsupportedNetworking",
  NetworkUnknown: "NetworkUnknown",
  SubnetUnavailable: "SubnetUnavailable",
} as const;
export type NetworkPlanReasonValue = (typeof NetworkPlanReason)[keyof typeof NetworkPlanReason];

/** An unknown network is informational: a cluster the operator cannot see must still be Ready. */
export const NETWORK_PLAN_SEVERITY: SeverityTable<NetworkPlanReasonValue> = {
  NetworkPlanSupported: "ok",
  NetworkPlanRecommended: "ok",
  BYOCNI: "advisory",
  CIDRConflict: "blocking",
  UnsupportedNetworking: "blocking",
  NetworkUnknown: "informational",
  SubnetUnavailable: "blocking",
};

/** Ranges AKS forbids for cluster networks (aks-docs, concepts-network). */
export const RESERVED_RANGES = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"] as const;

export interface NetworkSupport {
  /** false when any unsupported feature is present, undefined when the plugin is unknown */
  supported: boolean | undefined;
  recommended: boolean;
  byoCni: boolean;
  /** human names of each unsupported feature, fixed order */
  unsupported: string[];
}

const lower = (s: string | undefined): string => (s ?? "").toLowerCase();

export function classifyNetworkSupport(network: ClusterNetwork): NetworkSupport {
  const plugin = lower(network.networkPlugin);
  const mode = lower(network.networkPluginMode);
  const policy = lower(network.networkPolicy);
  const dataplane = lower(network.networkDataplane);
  const unsupported: string[] = [];
  if (plugin === "kubenet")
    unsupported.push(
      "kubenet network plugin (node auto-provisioning needs Azure CNI; kubenet retires on 31 March 2028)",
    );
  else if (plugin !== "" && plugin !== "azure" && plugin !== "none")
    unsupported.push(`network plugin ${network.networkPlugin ?? ""}`);
  if (policy === "calico") unsupported.push("Calico network policy");
  const podSubnetPools = network.agentPools.filter((p) => p.podSubnetID !== undefined && p.podSubnetID !== "");
  const staticBlock = podSubnetPools.filter((p) => lower(p.podIPAllocationMode) === "staticblock");
  const dynamic = podSubnetPools.filter((p) => lower(p.podIPAllocationMode) !== "staticblock");
  if (dynamic.length > 0) {
    unsupported.push(
      `pod subnet with dynamic IP allocation (agent pools ${dynamic
        .map((p) => p.name)
        .sort()
        .join(", ")})`,
    );
  }
  if (staticBlock.length > 0) {
    unsupported.push(
      `pod subnet with static block allocation (agent pools ${staticBlock
        .map((p) => p.name)
        .sort()
        .join(", ")})`,
    );
  }
  if (lower(network.loadBalancerSku) === "basic") unsupported.push("Basic load balancer (Standard is required)");
  if (plugin === "") {
    return { supported: unsupported.length > 0 ? false : undefined, recommended: false, byoCni: false, unsupported };
  }
  const ok = unsupported.length === 0;
  return {
    supported: ok,
    recommended: ok && plugin === "azure" && mode === "overlay" && dataplane === "cilium",
    byoCni: ok && plugin === "none",
    unsupported,
  };
}

export interface NetworkSupportMetric {
  /** undefined: support is unknown, so no series is exported (absent means "not known", never "no") */
  labels: { plugin: string; mode: string; policy: string; dataplane: string } | undefined;
  supported: boolean;
}

/** Labels and value for aks_subnet_health_cluster_network_supported; "" labels for unset fields. */
export function networkSupportMetric(network: ClusterNetwork): NetworkSupportMetric {
  const supported = classifyNetworkSupport(network).supported;
  // e.g. ranges discovered in the cluster without the CNI: 0 would claim "unsupported" and page someone
  if (supported === undefined) return { labels: undefined, supported: false };
  return {
    labels: {
      plugin: lower(network.networkPlugin),
      mode: lower(network.networkPluginMode),
      policy: lower(network.networkPolicy),
      dataplane: lower(network.networkDataplane),
    },
    supported,
  };
}

/** Whether pods take addresses from the cluster's pod CIDR rather than a subnet. */
function podsUsePodCidr(network: ClusterNetwork): boolean {
  const plugin = lower(network.networkPlugin);
  if (plugin === "kubenet") return true;
  if (plugin === "azure") return lower(network.networkPluginMode) === "overlay";
  // node-subnet Azure CNI allocates no pod ranges: any declared or allocated pod CIDR is routed
  if (plugin === "") return network.podCidrs.length > 0;
  return plugin === "none";
}

const SOURCE_WORDS: Record<ClusterNetwork["source"], string> = {
  "managed-cluster": "read from the managed cluster (--cluster-resource-id)",
  flags: "given by the operator's flags",
  discovered: "discovered in the cluster (ServiceCIDR objects, nodes' podCIDRs)",
};

/** Which cluster ranges were compared, and where they came from. Stable: no counters, fixed order. */
export function comparedText(network: ClusterNetwork): string {
  const usePods = podsUsePodCidr(network);
  const ranges = [
    ...(usePods && network.podCidrs.length > 0 ? [`pod CIDR ${network.podCidrs.join(", ")}`] : []),
    ...(network.serviceCidrs.length > 0 ? [`service CIDR ${network.serviceCidrs.join(", ")}`] : []),
    "the reserved ranges and other nodeclasses' subnets",
  ];
  const list =
    ranges.length > 1 ? `${ranges.slice(0, -1).join(", ")} and ${ranges[ranges.length - 1] ?? ""}` : (ranges[0] ?? "");
  const notPods =
    !usePods && lower(network.networkPlugin) === "azure"
      ? " (not with a pod CIDR: with Azure CNI in node-subnet mode pods take addresses from the node subnet)"
      : "";
  return `Compared with ${list}${notPods}; cluster network ${SOURCE_WORDS[network.source]}.`;
}

export interface ConflictInput {
  subnetPrefixes: string[];
  subnetCanonical: string;
  vnetCanonical: string;
  network: ClusterNetwork | undefined;
  peers: PeerSubnet[];
}

export function findCidrConflicts(input: ConflictInput): CidrConflict[] {
  const own = input.subnetPrefixes
    .map((text) => ({ text, cidr: parseCidr(text) }))
    .filter((p): p is { text: string; cidr: Cidr } => p.cidr !== undefined);
  const out: CidrConflict[] = [];
  const check = (withWhat: string, others: readonly string[]): void => {
    for (const other of others) {
      const o = parseCidr(other);
      if (o === undefined) continue;
      for (const p of own) {
        if (cidrsOverlap(p.cidr, o)) out.push({ with: withWhat, subnetPrefix: p.text, otherCidr: other });
      }
    }
  };
  if (input.network !== undefined) {
    if (podsUsePodCidr(input.network)) check("pod", input.network.podCidrs);
    check("service", input.network.serviceCidrs);
  }
  check("reserved", RESERVED_RANGES);
  // Subnets of one VNet cannot overlap (Azure refuses it), so only other VNets can clash. Several
  // nodeclasses may share a subnet: compare each foreign subnet once, naming the first class (sorted).
  const seen = new Set<string>();
  const peers = [...input.peers].sort((a, b) => a.nodeclass.localeCompare(b.nodeclass));
  for (const peer of peers) {
    if (peer.vnetCanonical === input.vnetCanonical || peer.subnetCanonical === input.subnetCanonical) continue;
    if (seen.has(peer.subnetCanonical)) continue;
    seen.add(peer.subnetCanonical);
    check(`nodeclass:${peer.nodeclass}`, peer.addressPrefixes);
  }
  return out;
}

export function describeConflict(c: CidrConflict): string {
  const other =
    c.with === "pod"
      ? "pod CIDR"
      : c.with === "service"
        ? "service CIDR"
        : c.with === "reserved"
          ? "reserved range"
          : `the subnet of ${c.with.replace(/^nodeclass:/, "nodeclass ")}, prefix`;
  return `subnet prefix ${c.subnetPrefix} overlaps ${other} ${c.otherCidr}`;
}

export function conflictKind(c: CidrConflict): "pod" | "service" | "reserved" | "nodeclass" {
  if (c.with === "pod" || c.with === "service" || c.with === "reserved") return c.with;
  return "nodeclass";
}

export interface NetworkPlanInput {
  /** undefined when the subnet's prefixes are not known (invalid, not found, never read) */
  subnetPrefixes: string[] | undefined;
  subnetCanonical: string | undefined;
  vnetCanonical: string | undefined;
  network: ClusterNetwork | undefined;
  peers: PeerSubnet[];
}

export interface NetworkPlanOutcome {
  condition: ConditionResult;
  conflicts: CidrConflict[];
  support: NetworkSupport | undefined;
}

const cond = conditionBuilder(ConditionType.NetworkPlan, NETWORK_PLAN_SEVERITY);

export function evaluateNetworkPlan(input: NetworkPlanInput): NetworkPlanOutcome {
  const support = input.network !== undefined ? classifyNetworkSupport(input.network) : undefined;
  const conflicts =
    input.subnetPrefixes !== undefined && input.subnetCanonical !== undefined && input.vnetCanonical !== undefined
      ? findCidrConflicts({
          subnetPrefixes: input.subnetPrefixes,
          subnetCanonical: input.subnetCanonical,
          vnetCanonical: input.vnetCanonical,
          network: input.network,
          peers: input.peers,
        })
      : [];
  const unsupportedText =
    support !== undefined && support.unsupported.length > 0
      ? `Unsupported by node auto-provisioning: ${support.unsupported.join("; ")}.`
      : "";
  const compared = input.network !== undefined ? ` ${comparedText(input.network)}` : "";
  const source = input.network !== undefined ? ` Cluster network ${SOURCE_WORDS[input.network.source]}.` : "";
  if (conflicts.length > 0) {
    const list = conflicts.map(describeConflict).join("; ");
    return {
      conflicts,
      support,
      condition: cond(
        "False",
        NetworkPlanReason.CIDRConflict,
        `Address conflicts: ${list}. Nodes in this subnet will have unreachable or misrouted traffic; use a subnet whose prefixes overlap none of these ranges.${unsupportedText !== "" ? ` ${unsupportedText}` : ""}${source}`,
      ),
    };
  }
  if (support !== undefined && support.unsupported.length > 0) {
    return {
      conflicts,
      support,
      condition: cond(
        "False",
        NetworkPlanReason.UnsupportedNetworking,
        `${unsupportedText} Supported: Azure CNI Overlay with Cilium (recommended), Azure CNI Overlay, Azure CNI with Cilium, Azure CNI, with a Standard load balancer.${source}`,
      ),
    };
  }
  if (input.subnetPrefixes === undefined) {
    return {
      conflicts,
      support,
      condition: cond(
        "Unknown",
        NetworkPlanReason.SubnetUnavailable,
        "Address conflicts are not checked because the subnet's prefixes are not known (see SubnetFound).",
      ),
    };
  }
  if (input.network !== undefined && support !== undefined && support.supported === undefined) {
    // the ranges are known (e.g. discovered in the cluster) but not the CNI
    return {
      conflicts,
      support,
      condition: cond(
        "Unknown",
        NetworkPlanReason.NetworkUnknown,
        `No address conflicts found, but the network plugin is unknown, so whether node auto-provisioning supports the cluster's networking was not checked. ${comparedText(input.network)} Give the operator the managed cluster to read, or set --network-plugin and the other network flags.`,
      ),
    };
  }
  if (support === undefined || support.supported === undefined) {
    return {
      conflicts,
      support,
      condition: cond(
        "Unknown",
        NetworkPlanReason.NetworkUnknown,
        "The cluster's network configuration is unknown, so pod and service CIDRs and the network plugin were not checked (reserved ranges and other nodeclasses' subnets were). Give the operator the managed cluster to read, or set the network flags.",
      ),
    };
  }
  if (support.byoCni) {
    return {
      conflicts,
      support,
      condition: cond(
        "True",
        NetworkPlanReason.BYOCNI,
        `The cluster brings its own CNI (network plugin none): Karpenter provisions the nodes, but CNI problems are outside Karpenter support. No address conflicts found.${compared}`,
      ),
    };
  }
  if (support.recommended) {
    return {
      conflicts,
      support,
      condition: cond(
        "True",
        NetworkPlanReason.NetworkPlanRecommended,
        `Azure CNI Overlay with Cilium: the recommended configuration. No address conflicts found.${compared}`,
      ),
    };
  }
  return {
    conflicts,
    support,
    condition: cond(
      "True",
      NetworkPlanReason.NetworkPlanSupported,
      `The cluster's networking is supported by node auto-provisioning. No address conflicts found.${compared}`,
    ),
  };
}
