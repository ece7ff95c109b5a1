import { describe, expect, it } from "vitest";
import { evaluateCapacity, ipsPerNode, type CapacityInput } from "./capacity.js";
import { evaluateExistence } from "./existence.js";
import { resolveSubnet } from "./resolve-subnet.js";
import { T0, THRESHOLDS, network, okVnet, snapshot, subnetId, subnetProps } from "./test-fixtures.js";
import type { ClusterNetwork, SubnetProperties, VNetObservation } from "./types.js";

const nodeSubnet = network({
  networkPluginMode: undefined,
  networkDataplane: "azure",
  networkPolicy: undefined,
  podCidrs: [],
});

function input(vnet: VNetObservation, over: Partial<CapacityInput> = {}, spec = subnetId("nodes")): CapacityInput {
  const existence = evaluateExistence(
    resolveSubnet(
      { name: "nc", uid: "u", generation: 1, vnetSubnetID: spec, maxPods: undefined },
      { defaultSubnetID: undefined, allowedSubscriptions: undefined, thresholds: THRESHOLDS },
    ),
    vnet,
    undefined,
  );
  return { existence, vnet, specMaxPods: undefined, network: network(), thresholds: THRESHOLDS, ...over };
}
const withUsage = (limit: number, used: number, over: Partial<SubnetProperties> = {}) =>
  okVnet([subnetProps("nodes", { usage: { limit, used }, ...over })]);

describe("ipsPerNode", () => {
  const cases: Array<[string, number | undefined, Partial<ClusterNetwork>, number, number, string]> = [
    ["overlay", undefined, {}, 1, 250, "karpenter-default"],
    [
      "azure node subnet, Karpenter default maxPods",
      undefined,
      { networkPluginMode: undefined },
      31,
      30,
      "karpenter-default",
    ],
    ["azure node subnet, spec maxPods", 50, { networkPluginMode: undefined, defaultMaxPods: 30 }, 51, 50, "spec"],
    [
      "azure node subnet, cluster default maxPods",
      undefined,
      { networkPluginMode: undefined, defaultMaxPods: 110 },
      111,
      110,
      "cluster",
    ],
    [
      "pod subnet",
      undefined,
      { networkPluginMode: undefined, agentPools: [{ name: "np", podSubnetID: subnetId("pods") }] },
      1,
      30,
      "karpenter-default",
    ],
    ["kubenet", undefined, { networkPlugin: "kubenet", networkPluginMode: undefined }, 1, 110, "karpenter-default"],
    ["none", undefined, { networkPlugin: "none", networkPluginMode: undefined }, 1, 250, "karpenter-default"],
  ];
  it.each(cases)("%s", (_, spec, over, ips, maxPods, source) => {
    expect(ipsPerNode(spec, network(over))).toMatchObject({ ips, maxPods, maxPodsSource: source });
  });
  it("is unknown without a network plugin", () => {
    expect(ipsPerNode(undefined, undefined)).toBeUndefined();
    expect(ipsPerNode(undefined, network({ networkPlugin: undefined }))).toBeUndefined();
  });
});

describe("SubnetCapacity", () => {
  it("overlay: 1 IP per node, headroom = free IPs", () => {
    const out = evaluateCapacity(input(withUsage(251, 51)));
    expect(out.numbers).toMatchObject({
      total: 251,
      used: 51,
      free: 200,
      nodeHeadroom: 200,
      source: "usage",
      stale: false,
    });
    expect(out.condition).toMatchObject({ status: "True", reason: "CapacitySufficient" });
  });

  it("azure node subnet with spec maxPods: headroom counts 1 + maxPods per node", () => {
    const out = evaluateCapacity(input(withUsage(65531, 1000), { network: nodeSubnet, specMaxPods: 50 }));
    expect(out.numbers?.nodeHeadroom).toBe(Math.floor(64531 / 51));
  });

  it("azure node subnet with the cluster default maxPods", () => {
    const out = evaluateCapacity(input(withUsage(4091, 91), { network: { ...nodeSubnet, defaultMaxPods: 99 } }));
    expect(out.numbers?.nodeHeadroom).toBe(40);
    expect(out.condition.message).toContain("100 IPs");
  });

  it("names thresholds and per-node cost, never the free-IP count", () => {
    // 251 usable, 240 used: 11 free (4.4%), 0 nodes at 31 IPs
    const out = evaluateCapacity(input(withUsage(251, 200), { network: nodeSubnet }));
    expect(out.condition).toMatchObject({ status: "False", reason: "CapacityCritical" });
    expect(out.condition.message).toContain("room for fewer than 2 more nodes at 31 IPs per node");
    expect(out.condition.message).toMatch(
      /Add an address prefix.*bigger subnet.*Azure CNI Overlay.*leaked network interfaces/,
    );
    expect(out.condition.message).not.toMatch(/\b51\b/);
    const later = evaluateCapacity(input(withUsage(251, 201), { network: nodeSubnet }));
    expect(later.condition.message).toBe(out.condition.message);
  });

  // thresholds: ratio warn 0.2 / crit 0.05; headroom warn 10 / crit 2; overlay → headroom = free
  const cases: Array<[string, number, number, string, string]> = [
    ["plenty", 1000, 100, "True", "CapacitySufficient"],
    ["ratio exactly at warning (not below)", 1000, 800, "True", "CapacitySufficient"],
    ["ratio just below warning", 1000, 801, "True", "CapacityLow"],
    ["ratio exactly at critical (not below)", 1000, 950, "True", "CapacityLow"],
    ["ratio just below critical", 1000, 951, "False", "CapacityCritical"],
    ["headroom just below warning", 45, 36, "True", "CapacityLow"],
    ["headroom exactly at critical (not below): only low", 20, 18, "True", "CapacityLow"],
    ["headroom just below critical", 20, 19, "False", "CapacityCritical"],
    ["free = 0", 251, 251, "False", "SubnetFull"],
    ["over-used (used > limit)", 251, 260, "False", "SubnetFull"],
  ];
  it.each(cases)("%s (limit %i, used %i) → %s %s", (_, limit, used, status, reason) => {
    expect(evaluateCapacity(input(withUsage(limit, used))).condition).toMatchObject({ status, reason });
  });

  it("headroom exactly at warning is not low when the ratio is fine", () => {
    // limit 50, used 40: free 10 = headroom 10 (not < 10), ratio 0.2 (not < 0.2)
    expect(evaluateCapacity(input(withUsage(50, 40))).condition.reason).toBe("CapacitySufficient");
  });

  it("headroom 0 with free IPs left is SubnetFull", () => {
    const out = evaluateCapacity(input(withUsage(251, 230), { network: nodeSubnet }));
    expect(out.numbers).toMatchObject({ free: 21, nodeHeadroom: 0 });
    expect(out.condition).toMatchObject({ status: "False", reason: "SubnetFull" });
    expect(out.condition.message).toContain("31 IPs per node");
  });

  it("-1/-1 usage is not reported: Unknown, never full", () => {
    const out = evaluateCapacity(input(withUsage(-1, -1, { ipConfigurationCount: 3 })));
    expect(out.condition).toMatchObject({ status: "Unknown", reason: "UsageNotReported" });
    expect(out.numbers).toBeUndefined();
  });

  it("limit 0 is not reported either", () => {
    expect(evaluateCapacity(input(withUsage(0, 0))).condition.reason).toBe("UsageNotReported");
  });

  it("falls back to prefix size − 5 − ipConfigurations when usage is missing, and says so", () => {
    const vnet = okVnet(
      [
        subnetProps("nodes", {
          usage: undefined,
          ipConfigurationCount: 51,
          addressPrefixes: ["10.1.0.0/24", "fd00::/64"],
        }),
      ],
      {
        usageFailure: { kind: "forbidden", message: "no usages/read" },
      },
    );
    const out = evaluateCapacity(input(vnet));
    expect(out.numbers).toMatchObject({ total: 251, used: 51, free: 200, source: "ip-configurations" });
    expect(out.condition.message).toContain("estimated from the subnet's prefix sizes");
  });

  it("is Unknown when usage is missing and there is nothing to fall back on", () => {
    const vnet = okVnet([subnetProps("nodes", { usage: undefined, ipConfigurationCount: undefined })], {
      usageFailure: { kind: "forbidden", message: "x" },
    });
    const out = evaluateCapacity(input(vnet));
    expect(out.condition).toMatchObject({ status: "Unknown", reason: "CapacityUnknown" });
    expect(out.condition.message).toContain("usages/read");
  });

  it("judges by free ratio only when the network plugin is unknown, and says so", () => {
    const out = evaluateCapacity(input(withUsage(251, 10), { network: undefined }));
    expect(out.numbers?.nodeHeadroom).toBeUndefined();
    expect(out.condition).toMatchObject({ status: "True", reason: "CapacitySufficient" });
    expect(out.condition.message).toContain("network plugin is unknown");
  });

  it("is SubnetUnavailable when the subnet is missing or invalid", () => {
    expect(evaluateCapacity(input(okVnet([subnetProps("other")]))).condition).toMatchObject({
      status: "Unknown",
      reason: "SubnetUnavailable",
    });
    expect(evaluateCapacity(input({ kind: "pending" }, {}, "bad")).condition).toMatchObject({
      status: "Unknown",
      reason: "SubnetUnavailable",
    });
  });

  it("Unknown is not False: Azure unavailable keeps last good numbers with their time", () => {
    const vnet: VNetObservation = {
      kind: "unavailable",
      failure: { kind: "throttled", statusCode: 429, message: "x" },
      lastGood: snapshot([subnetProps("nodes", { usage: { limit: 251, used: 251 } })]),
      since: T0 + 300_000,
    };
    const out = evaluateCapacity(input(vnet));
    expect(out.condition).toMatchObject({ status: "Unknown", reason: "AzureUnavailable" });
    expect(out.condition.message).toContain("Last known: SubnetFull");
    expect(out.numbers).toMatchObject({ free: 0, fetchedAt: T0, stale: true });
  });

  it("Azure unavailable without earlier data: Unknown AzureUnavailable, no numbers", () => {
    const out = evaluateCapacity(
      input({ kind: "unavailable", failure: { kind: "unreachable", message: "x" }, since: T0 }),
    );
    expect(out).toMatchObject({ numbers: undefined, condition: { status: "Unknown", reason: "AzureUnavailable" } });
  });
});
