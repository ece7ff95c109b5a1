import { describe, expect, it } from "vitest";
import { ConditionType } from "../../domain.js";
import type { ConditionResult } from "../types.js";
import { withCapacityPlan } from "./condition.js";
import type { SubnetPlan } from "./subnet-plan.js";

const sufficient: ConditionResult = {
  type: ConditionType.SubnetCapacity,
  status: "True",
  reason: "CapacitySufficient",
  message: "Subnet nodes has enough free IPs.",
};

function plan(over: Partial<SubnetPlan>): SubnetPlan {
  return {
    subnetCanonical: "s",
    subnetName: "nodes",
    nodePools: [],
    verdict: "fits",
    neededAtLimits: 100,
    currentNodeIPs: 0,
    otherUsed: 0,
    room: 1000,
    unbounded: [],
    noInstance: [],
    drivers: [{ nodePool: "web", ips: 100 }],
    fix: {},
    ...over,
  };
}
const short = plan({
  verdict: "short",
  neededAtLimits: 1240,
  shortfall: 240,
  drivers: [{ nodePool: "web", ips: 1240 }],
  fix: { limit: { nodePool: "web", nodes: 32 } },
});

describe("withCapacityPlan: the plan's verdict on SubnetCapacity", () => {
  it("short at limits while sufficient now: advisory CapacityShortAtLimits, the fix first", () => {
    expect(withCapacityPlan(sufficient, short)).toEqual({
      ...sufficient,
      reason: "CapacityShortAtLimits",
      message:
        "Set limits.nodes to at most 32 on NodePool web: at their limits the NodePools using subnet nodes need 1240 IPs (web 1240), 240 more than it can hold. Subnet nodes has enough free IPs.",
    });
  });

  it("a NodePool that cannot be planned: NodePoolUnbounded", () => {
    const c = withCapacityPlan(sufficient, plan({ verdict: "unbounded", unbounded: ["default"] }));
    expect(c.reason).toBe("NodePoolUnbounded");
    expect(c.status).toBe("True");
  });

  it("fits: stays CapacitySufficient with the plan's sentence", () => {
    expect(withCapacityPlan(sufficient, plan({})).message).toBe(
      "Subnet nodes has enough free IPs. The NodePools using subnet nodes fit at their limits (100 IPs needed).",
    );
  });

  it("capacity already low, critical or full keeps its reason; the plan is appended", () => {
    const full: ConditionResult = {
      ...sufficient,
      status: "False",
      reason: "SubnetFull",
      message: "Subnet nodes is full.",
    };
    const c = withCapacityPlan(full, short);
    expect(c.reason).toBe("SubnetFull");
    expect(c.message).toMatch(/^Subnet nodes is full\. Set limits\.nodes/);
  });

  it("unknown capacity or nothing to plan: unchanged", () => {
    const unknown: ConditionResult = { ...sufficient, status: "Unknown", reason: "CapacityUnknown" };
    expect(withCapacityPlan(unknown, short)).toBe(unknown);
    expect(withCapacityPlan(sufficient, plan({ verdict: "no-nodepools" }))).toBe(sufficient);
    expect(withCapacityPlan(sufficient, undefined)).toBe(sufficient);
  });
});
