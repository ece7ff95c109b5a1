import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipsPerNode } from "../capacity.js";
import { network } from "../test-fixtures.js";
import { planMessage, planSubnet, prefixLengthFor, type PlanNodeClass, type SubnetPlanInput } from "./subnet-plan.js";
import type { NodePoolInput } from "./types.js";

const nodeSubnetCni = network({ networkPluginMode: undefined, podCidrs: [] });
const overlayCni = network();

function nodeClass(name: string, maxPods: number | undefined, net = nodeSubnetCni, currentNodes = 0): PlanNodeClass {
  return { name, perNode: ipsPerNode(maxPods, net), currentNodes };
}
function np(name: string, nodeClass: string, over: Partial<NodePoolInput> = {}): NodePoolInput {
  return { name, nodeClass, limits: {}, replicas: undefined, requirements: [], ...over };
}
/** a /22: 1019 usable IPs */
function input(over: Partial<SubnetPlanInput>): SubnetPlanInput {
  return {
    subnetCanonical: "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v/subnets/nodes",
    subnetName: "nodes",
    prefixes: ["10.1.0.0/22"],
    capacity: { total: 1019, used: 19 },
    nodeClasses: [nodeClass("default", undefined)],
    nodePools: [],
    ...over,
  };
}

describe("planSubnet: demand at NodePool limits", () => {
  it("Azure CNI node subnet takes 1 + maxPods per node: 40 nodes × 31 IPs do not fit a /22", () => {
    const plan = planSubnet(input({ nodePools: [np("general", "default", { limits: { nodes: 40 } })] }));
    expect(plan).toMatchObject({ verdict: "short", neededAtLimits: 1240, room: 1000, shortfall: 240, otherUsed: 19 });
    expect(plan.drivers).toEqual([{ nodePool: "general", ips: 1240 }]);
    // 32 nodes × 31 = 992 ≤ 1000; a /21 holds 19 + 1240; overlay needs 40
    expect(plan.fix).toEqual({ limit: { nodePool: "general", nodes: 32 }, prefixLength: 21, overlayIPs: 40 });
    expect(planMessage(plan)).toBe(
      "Set limits.nodes to at most 32 on NodePool general, give subnet nodes a /21 prefix or move the cluster to Azure CNI Overlay (1 IP per node: 40 IPs): at their limits the NodePools using subnet nodes need 1240 IPs (general 1240), 240 more than it can hold.",
    );
  });

  it("overlay takes one IP per node: the same NodePool fits", () => {
    const plan = planSubnet(
      input({
        nodeClasses: [nodeClass("default", undefined, overlayCni)],
        nodePools: [np("general", "default", { limits: { nodes: 40 } })],
      }),
    );
    expect(plan).toMatchObject({ verdict: "fits", neededAtLimits: 40 });
    expect(planMessage(plan)).toBe("The NodePools using subnet nodes fit at their limits (40 IPs needed).");
  });

  it("custom maxPods on the nodeclass: 10 nodes × 111 IPs", () => {
    const plan = planSubnet(
      input({ nodeClasses: [nodeClass("big", 110)], nodePools: [np("dense", "big", { limits: { nodes: 10 } })] }),
    );
    expect(plan).toMatchObject({ verdict: "short", neededAtLimits: 1110, shortfall: 110 });
    expect(plan.fix.limit).toEqual({ nodePool: "dense", nodes: 9 });
  });

  it("several NodePools sharing a nodeclass add up; the largest drives the fix", () => {
    const plan = planSubnet(
      input({
        nodePools: [
          np("web", "default", { limits: { cpu: "40" } }), // 20 nodes × 31
          np("batch", "default", { limits: { nodes: 15 } }), // 15 × 31
          np("other", "elsewhere", { limits: { nodes: 1000 } }), // another subnet's nodeclass: ignored
        ],
      }),
    );
    expect(plan.nodePools.map((d) => d.nodePool)).toEqual(["batch", "web"]);
    expect(plan).toMatchObject({ verdict: "short", neededAtLimits: 1085, shortfall: 85 });
    expect(plan.drivers).toEqual([
      { nodePool: "web", ips: 620 },
      { nodePool: "batch", ips: 465 },
    ]);
    // with batch at its limit, web may keep (1000 − 465) / 31 = 17 nodes
    expect(plan.fix.limit).toEqual({ nodePool: "web", nodes: 17 });
  });

  it("several nodeclasses sharing a subnet add up, each at its own IPs per node", () => {
    const plan = planSubnet(
      input({
        nodeClasses: [nodeClass("a", undefined), nodeClass("b", 50)],
        nodePools: [np("pa", "a", { limits: { nodes: 10 } }), np("pb", "b", { limits: { nodes: 10 } })],
      }),
    );
    expect(plan).toMatchObject({ verdict: "fits", neededAtLimits: 310 + 510 });
  });

  it("current nodes count toward the limit, so their IPs are room rather than extra demand", () => {
    // 30 nodes exist (Karpenter NICs hold maxPods = 30 IPs each) out of a 32-node limit
    const plan = planSubnet(
      input({
        capacity: { total: 1019, used: 19 + 900 },
        nodeClasses: [nodeClass("default", undefined, nodeSubnetCni, 30)],
        nodePools: [np("general", "default", { limits: { nodes: 32 } })],
      }),
    );
    expect(plan).toMatchObject({
      verdict: "fits",
      currentNodeIPs: 900,
      otherUsed: 19,
      room: 1000,
      neededAtLimits: 992,
    });
  });

  it("a NodePool without limits cannot be planned: says so, and how many of its nodes fit beside the rest", () => {
    const plan = planSubnet(
      input({ nodePools: [np("default", "default"), np("batch", "default", { limits: { nodes: 10 } })] }),
    );
    expect(plan).toMatchObject({ verdict: "unbounded", unbounded: ["default"], neededAtLimits: 310 });
    expect(plan.fix.limit).toEqual({ nodePool: "default", nodes: 22 });
    expect(planMessage(plan)).toBe(
      "Set a limit (limits.nodes, cpu or memory) on NodePool default: without one, whether subnet nodes holds its nodes cannot be planned. Beside the other NodePools' limits the subnet holds 22 more nodes of default.",
    );
  });

  it("a NodePool without limits on a subnet that holds AKS's 5000 nodes per cluster fits", () => {
    const plan = planSubnet(
      input({
        prefixes: ["10.8.0.0/16"],
        capacity: { total: 65531, used: 40 },
        nodeClasses: [nodeClass("default", undefined, overlayCni)],
        nodePools: [np("default", "default"), np("batch", "default", { limits: { nodes: 10 } })],
      }),
    );
    expect(plan).toMatchObject({ verdict: "fits", unbounded: ["default"], neededAtLimits: 10 });
    expect(planMessage(plan)).toBe(
      "The NodePools using subnet nodes fit at their limits (10 IPs needed). default sets no limit, but even AKS's 5000 nodes per cluster would fit.",
    );
  });

  it("bounded NodePools already short: short wins over unbounded, which is named", () => {
    const plan = planSubnet(
      input({ nodePools: [np("default", "default"), np("batch", "default", { limits: { nodes: 100 } })] }),
    );
    expect(plan.verdict).toBe("short");
    expect(planMessage(plan)).toContain("NodePools without limits (default) come on top.");
  });

  it("requirements that allow no instance: zero nodes, named in the message", () => {
    const plan = planSubnet(
      input({
        nodePools: [
          np("gpu", "default", {
            limits: { nodes: 100 },
            requirements: [{ key: "karpenter.azure.com/sku-cpu", operator: "Lt", values: ["2"] }],
          }),
          np("web", "default", { limits: { nodes: 5 } }),
        ],
      }),
    );
    expect(plan).toMatchObject({ verdict: "fits", neededAtLimits: 155, noInstance: ["gpu"] });
    expect(planMessage(plan)).toBe(
      "The NodePools using subnet nodes fit at their limits (155 IPs needed). NodePool gpu allows no instance type Karpenter for Azure can launch: check its requirements.",
    );
  });

  it("unknown without usage or without the CNI mode; nothing to say without NodePools", () => {
    const pools = [np("web", "default", { limits: { nodes: 5 } })];
    expect(planSubnet(input({ capacity: undefined, nodePools: pools })).verdict).toBe("unknown");
    const noMode = planSubnet(
      input({ nodeClasses: [{ name: "default", perNode: undefined, currentNodes: 0 }], nodePools: pools }),
    );
    expect(noMode).toMatchObject({ verdict: "unknown", neededAtLimits: undefined });
    expect(planMessage(noMode)).toBeUndefined();
    expect(planSubnet(input({})).verdict).toBe("no-nodepools");
  });

  it("prefixLengthFor: the smallest IPv4 prefix whose usable IPs hold the demand", () => {
    expect(prefixLengthFor(1)).toBe(29);
    expect(prefixLengthFor(3)).toBe(29);
    expect(prefixLengthFor(4)).toBe(28);
    expect(prefixLengthFor(251)).toBe(24);
    expect(prefixLengthFor(252)).toBe(23);
  });

  interface Scenario {
    used: number;
    pools: Array<{ nodes: number; cls: string }>;
    maxPodsA: number;
    maxPodsB: number;
    overlay: boolean;
  }

  describe("properties", () => {
    const scenario: fc.Arbitrary<Scenario> = fc.record({
      used: fc.integer({ min: 0, max: 4000 }),
      pools: fc.array(fc.record({ nodes: fc.integer({ min: 0, max: 300 }), cls: fc.constantFrom("a", "b") }), {
        minLength: 1,
        maxLength: 5,
      }),
      maxPodsA: fc.integer({ min: 10, max: 250 }),
      maxPodsB: fc.integer({ min: 10, max: 250 }),
      overlay: fc.boolean(),
    });
    const build = (s: Scenario, total: number): SubnetPlanInput => {
      const net = s.overlay ? overlayCni : nodeSubnetCni;
      return input({
        capacity: { total, used: Math.min(s.used, total) },
        nodeClasses: [nodeClass("a", s.maxPodsA, net), nodeClass("b", s.maxPodsB, net)],
        nodePools: s.pools.map((p, i) => np(`p${i}`, p.cls, { limits: { nodes: p.nodes } })),
      });
    };

    it("short exactly when the demand exceeds the room, by the difference", () => {
      fc.assert(
        fc.property(scenario, fc.integer({ min: 3, max: 65531 }), (s, total) => {
          const plan = planSubnet(build(s, total));
          const needed = plan.neededAtLimits ?? 0;
          expect(plan.verdict === "short").toBe(needed > (plan.room ?? 0));
          if (plan.verdict === "short") expect(plan.shortfall).toBe(needed - (plan.room ?? 0));
        }),
      );
    });

    it("applying the suggested limit or prefix makes the subnet fit", () => {
      fc.assert(
        fc.property(scenario, fc.integer({ min: 3, max: 65531 }), (s, total) => {
          const built = build(s, total);
          const plan = planSubnet(built);
          if (plan.verdict !== "short") return;
          if (plan.fix.limit !== undefined) {
            const { nodePool, nodes } = plan.fix.limit;
            const limited = planSubnet({
              ...built,
              nodePools: built.nodePools.map((p) => (p.name === nodePool ? { ...p, limits: { nodes } } : p)),
            });
            expect(limited.verdict).toBe("fits");
          }
          if (plan.fix.prefixLength !== undefined) {
            const usable = 2 ** (32 - plan.fix.prefixLength) - 5;
            expect(planSubnet({ ...built, capacity: { total: usable, used: plan.otherUsed ?? 0 } }).verdict).toBe(
              "fits",
            );
          }
        }),
      );
    });

    it("overlay never needs more IPs than the node subnet", () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const node = planSubnet(build({ ...s, overlay: false }, 65531));
          const over = planSubnet(build({ ...s, overlay: true }, 65531));
          expect(over.neededAtLimits ?? 0).toBeLessThanOrEqual(node.neededAtLimits ?? 0);
        }),
      );
    });
  });
});
