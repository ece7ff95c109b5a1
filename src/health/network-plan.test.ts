import { describe, expect, it } from "vitest";
import {
  classifyNetworkSupport,
  evaluateNetworkPlan,
  findCidrConflicts,
  networkSupportMetric,
  type NetworkPlanInput,
} from "./network-plan.js";
import { network, ref, subnetId } from "./test-fixtures.js";
import type { ClusterNetwork, PeerSubnet } from "./types.js";

const own = ref(subnetId("nodes", "vnet1"));
const plan = (
  prefixes: string[] | undefined,
  net: ClusterNetwork | undefined,
  peers: PeerSubnet[] = [],
): NetworkPlanInput => ({
  subnetPrefixes: prefixes,
  subnetCanonical: own.canonical,
  vnetCanonical: own.vnetCanonical,
  network: net,
  peers,
});
const peer = (nodeclass: string, subnet: string, vnet: string, addressPrefixes: string[]): PeerSubnet => {
  const r = ref(subnetId(subnet, vnet));
  return { nodeclass, subnetCanonical: r.canonical, vnetCanonical: r.vnetCanonical, addressPrefixes };
};
const nodeSubnetMode = network({ networkPluginMode: undefined, networkDataplane: "azure", networkPolicy: undefined });

describe("CIDR conflicts", () => {
  it("NAP doc example: pod 10.244.0.0/16 vs subnet 10.244.1.0/24 (overlay)", () => {
    const out = evaluateNetworkPlan(plan(["10.244.1.0/24"], network()));
    expect(out.condition).toMatchObject({ status: "False", reason: "CIDRConflict" });
    expect(out.condition.message).toContain("subnet prefix 10.244.1.0/24 overlaps pod CIDR 10.244.0.0/16");
    expect(out.conflicts).toEqual([{ with: "pod", subnetPrefix: "10.244.1.0/24", otherCidr: "10.244.0.0/16" }]);
  });

  it("NAP doc example: service 10.0.0.0/16 vs subnet 10.0.10.0/24", () => {
    const out = evaluateNetworkPlan(plan(["10.0.10.0/24"], network()));
    expect(out.condition.message).toContain("subnet prefix 10.0.10.0/24 overlaps service CIDR 10.0.0.0/16");
  });

  it("Azure CNI node-subnet mode ignores the pod CIDR but still checks services", () => {
    expect(
      findCidrConflicts({
        subnetPrefixes: ["10.244.1.0/24"],
        subnetCanonical: own.canonical,
        vnetCanonical: own.vnetCanonical,
        network: nodeSubnetMode,
        peers: [],
      }),
    ).toEqual([]);
    expect(evaluateNetworkPlan(plan(["10.0.10.0/24"], nodeSubnetMode)).conflicts.map((c) => c.with)).toEqual([
      "service",
    ]);
  });

  it("kubenet checks the pod CIDR", () => {
    const out = findCidrConflicts({
      ...plan(["10.244.1.0/24"], network({ networkPlugin: "kubenet", networkPluginMode: undefined })),
      subnetPrefixes: ["10.244.1.0/24"],
      subnetCanonical: own.canonical,
      vnetCanonical: own.vnetCanonical,
    });
    expect(out.map((c) => c.with)).toEqual(["pod"]);
  });

  it("IPv6 prefixes conflict with IPv6 CIDRs only", () => {
    const net = network({
      podCidrs: ["10.244.0.0/16", "fd12:3456::/64"],
      serviceCidrs: ["10.0.0.0/16", "fd00:aaaa::/108"],
    });
    const out = evaluateNetworkPlan(plan(["10.1.0.0/24", "fd12:3456::/64", "fd00:aaaa::/64"], net));
    expect(out.conflicts).toEqual([
      { with: "pod", subnetPrefix: "fd12:3456::/64", otherCidr: "fd12:3456::/64" },
      { with: "service", subnetPrefix: "fd00:aaaa::/64", otherCidr: "fd00:aaaa::/108" },
    ]);
  });

  it.each(["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"])(
    "reserved range %s is a conflict even without cluster info",
    (range) => {
      const [a, b] = range.split(".");
      const out = evaluateNetworkPlan(plan([`${a}.${b}.${range.startsWith("192") ? "2.0/28" : "5.0/24"}`], undefined));
      expect(out.condition).toMatchObject({ status: "False", reason: "CIDRConflict" });
      expect(out.condition.message).toContain(`reserved range ${range}`);
    },
  );

  it("another nodeclass's subnet in another VNet overlaps; the same VNet is skipped", () => {
    const peers = [
      peer("gpu", "gpu", "vnet2", ["10.1.0.128/25"]),
      peer("same-vnet", "other", "vnet1", ["10.1.0.0/24"]),
      peer("self-shared", "nodes", "vnet1", ["10.1.0.0/24"]),
      peer("zz-second-user-of-gpu", "gpu", "vnet2", ["10.1.0.128/25"]),
    ];
    const out = evaluateNetworkPlan(plan(["10.1.0.0/24"], network(), peers));
    expect(out.conflicts).toEqual([{ with: "nodeclass:gpu", subnetPrefix: "10.1.0.0/24", otherCidr: "10.1.0.128/25" }]);
    expect(out.condition.message).toContain(
      "subnet prefix 10.1.0.0/24 overlaps the subnet of nodeclass gpu, prefix 10.1.0.128/25",
    );
  });

  it("lists every conflict in the message", () => {
    const out = evaluateNetworkPlan(plan(["10.0.0.0/8"], network()));
    expect(out.conflicts.map((c) => c.with)).toEqual(["pod", "service"]);
    expect(out.condition.message).toMatch(
      /overlaps pod CIDR 10\.244\.0\.0\/16; subnet prefix 10\.0\.0\.0\/8 overlaps service CIDR 10\.0\.0\.0\/16/,
    );
  });
});

describe("where the cluster network came from", () => {
  it.each([
    ["managed-cluster", "read from the managed cluster (--cluster-resource-id)"],
    ["flags", "given by the operator's flags"],
    ["discovered", "discovered in the cluster (ServiceCIDR objects, nodes' podCIDRs)"],
  ] as const)("%s is named, with the ranges compared", (source, words) => {
    const net = network({ source, networkDataplane: "azure", networkPolicy: undefined });
    const ok = evaluateNetworkPlan(plan(["10.1.0.0/24"], net)).condition;
    expect(ok.message).toContain(
      `Compared with pod CIDR 10.244.0.0/16, service CIDR 10.0.0.0/16 and the reserved ranges and other nodeclasses' subnets; cluster network ${words}.`,
    );
    const conflict = evaluateNetworkPlan(plan(["10.244.1.0/24"], net)).condition;
    expect(conflict.reason).toBe("CIDRConflict");
    expect(conflict.message).toContain(`Cluster network ${words}.`);
    const unsupported = evaluateNetworkPlan(plan(["10.1.0.0/24"], { ...net, loadBalancerSku: "basic" })).condition;
    expect(unsupported.message).toContain(`Cluster network ${words}.`);
  });

  it("node-subnet mode says why the pod CIDR was not compared", () => {
    expect(evaluateNetworkPlan(plan(["10.244.1.0/24"], nodeSubnetMode)).condition.message).toContain(
      "Compared with service CIDR 10.0.0.0/16 and the reserved ranges and other nodeclasses' subnets (not with a pod CIDR: with Azure CNI in node-subnet mode pods take addresses from the node subnet)",
    );
  });

  it("discovered in the cluster (plugin unknown): nodes' pod CIDRs are compared; no conflict is NetworkUnknown naming what was checked", () => {
    const discovered = network({
      source: "discovered",
      networkPlugin: undefined,
      networkPluginMode: undefined,
      networkPolicy: undefined,
      networkDataplane: undefined,
      loadBalancerSku: undefined,
    });
    expect(evaluateNetworkPlan(plan(["10.244.1.0/24"], discovered)).conflicts.map((c) => c.with)).toEqual(["pod"]);
    const c = evaluateNetworkPlan(plan(["10.1.0.0/24"], discovered)).condition;
    expect(c).toMatchObject({ status: "Unknown", reason: "NetworkUnknown" });
    expect(c.message).toContain("No address conflicts found, but the network plugin is unknown");
    expect(c.message).toContain("Compared with pod CIDR 10.244.0.0/16, service CIDR 10.0.0.0/16");
    expect(c.message).toContain("discovered in the cluster");
    // no pod ranges allocated: nothing to compare, never a guess
    expect(evaluateNetworkPlan(plan(["10.244.1.0/24"], { ...discovered, podCidrs: [] })).conflicts).toEqual([]);
  });
});

describe("support matrix", () => {
  const rows: Array<[string, Partial<ClusterNetwork>, string, string]> = [
    ["Azure CNI Overlay + Cilium", {}, "True", "NetworkPlanRecommended"],
    ["Azure CNI Overlay", { networkDataplane: "azure", networkPolicy: undefined }, "True", "NetworkPlanSupported"],
    ["Azure CNI + Cilium", { networkPluginMode: undefined }, "True", "NetworkPlanSupported"],
    [
      "Azure CNI",
      { networkPluginMode: undefined, networkDataplane: "azure", networkPolicy: "azure" },
      "True",
      "NetworkPlanSupported",
    ],
    ["Calico", { networkPolicy: "calico", networkDataplane: "azure" }, "False", "UnsupportedNetworking"],
    [
      "pod subnet (dynamic)",
      { networkPluginMode: undefined, agentPools: [{ name: "np1", podSubnetID: subnetId("pods") }] },
      "False",
      "UnsupportedNetworking",
    ],
    [
      "static block",
      {
        networkPluginMode: undefined,
        agentPools: [{ name: "np1", podSubnetID: subnetId("pods"), podIPAllocationMode: "StaticBlock" }],
      },
      "False",
      "UnsupportedNetworking",
    ],
    ["Basic load balancer", { loadBalancerSku: "basic" }, "False", "UnsupportedNetworking"],
    [
      "kubenet",
      { networkPlugin: "kubenet", networkPluginMode: undefined, networkDataplane: undefined, networkPolicy: undefined },
      "False",
      "UnsupportedNetworking",
    ],
    [
      "BYO CNI",
      {
        networkPlugin: "none",
        networkPluginMode: undefined,
        networkDataplane: undefined,
        networkPolicy: undefined,
        podCidrs: [],
      },
      "True",
      "BYOCNI",
    ],
    ["plugin unknown", { networkPlugin: undefined }, "Unknown", "NetworkUnknown"],
  ];
  it.each(rows)("%s → %s %s", (_, over, status, reason) => {
    expect(evaluateNetworkPlan(plan(["10.1.0.0/24"], network(over))).condition).toMatchObject({ status, reason });
  });

  it("names each unsupported feature", () => {
    const s = classifyNetworkSupport(
      network({
        networkPolicy: "calico",
        loadBalancerSku: "Basic",
        agentPools: [
          { name: "b", podSubnetID: "x" },
          { name: "a", podSubnetID: "y", podIPAllocationMode: "StaticBlock" },
        ],
      }),
    );
    expect(s.unsupported).toEqual([
      "Calico network policy",
      "pod subnet with dynamic IP allocation (agent pools b)",
      "pod subnet with static block allocation (agent pools a)",
      "Basic load balancer (Standard is required)",
    ]);
    expect(s.supported).toBe(false);
  });

  it("BYO CNI says CNI problems are outside Karpenter support", () => {
    const out = evaluateNetworkPlan(
      plan(["10.1.0.0/24"], network({ networkPlugin: "none", networkPluginMode: undefined, podCidrs: [] })),
    );
    expect(out.condition.message).toContain("outside Karpenter support");
  });

  it("Unknown network still reports NetworkUnknown when there is no definite conflict", () => {
    expect(evaluateNetworkPlan(plan(["10.1.0.0/24"], undefined)).condition).toMatchObject({
      status: "Unknown",
      reason: "NetworkUnknown",
    });
  });

  it("unsupported features are reported even when the subnet's prefixes are unknown", () => {
    expect(evaluateNetworkPlan(plan(undefined, network({ networkPolicy: "calico" }))).condition.reason).toBe(
      "UnsupportedNetworking",
    );
    expect(evaluateNetworkPlan(plan(undefined, network())).condition).toMatchObject({
      status: "Unknown",
      reason: "SubnetUnavailable",
    });
  });

  it("metric labels and value", () => {
    expect(networkSupportMetric(network())).toEqual({
      labels: { plugin: "azure", mode: "overlay", policy: "cilium", dataplane: "cilium" },
      supported: true,
    });
    expect(
      networkSupportMetric(
        network({
          networkPlugin: "kubenet",
          networkPluginMode: undefined,
          networkPolicy: "calico",
          networkDataplane: undefined,
        }),
      ),
    ).toEqual({
      labels: { plugin: "kubenet", mode: "", policy: "calico", dataplane: "" },
      supported: false,
    });
    // plugin unknown (ranges discovered in the cluster): no series rather than a false "unsupported"
    expect(
      networkSupportMetric(
        network({
          networkPlugin: undefined,
          networkPluginMode: undefined,
          networkPolicy: undefined,
          networkDataplane: undefined,
        }),
      ).labels,
    ).toBeUndefined();
  });
});
