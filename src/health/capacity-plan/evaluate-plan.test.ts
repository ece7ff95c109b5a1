/** The capacity plan inside one nodeclass's evaluation: condition, summary, metric values. */
import { describe, expect, it } from "vitest";
import { ConditionType } from "../../domain.js";
import { evaluateNodeClass } from "../evaluate.js";
import { network, okVnet, subnetId, subnetProps, THRESHOLDS } from "../test-fixtures.js";
import type { CapacityPlanInput, EvaluationInput } from "../types.js";

const nodeSubnet = network({ networkPluginMode: undefined, podCidrs: [], networkDataplane: "azure" });

function input(plan: CapacityPlanInput | undefined, used = 19): EvaluationInput {
  return {
    nodeClass: { name: "a", uid: "u", generation: 1, vnetSubnetID: subnetId("nodes"), maxPods: undefined },
    settings: { defaultSubnetID: undefined, allowedSubscriptions: undefined, thresholds: THRESHOLDS },
    vnet: okVnet([subnetProps("nodes", { addressPrefixes: ["10.1.0.0/22"], usage: { limit: 1019, used } })]),
    access: { kind: "disabled" },
    network: { kind: "ok", network: nodeSubnet, fetchedAt: 0 },
    peers: [],
    nodes: [],
    previous: { conditions: [], subnetHealth: undefined },
    now: 0,
    ...(plan !== undefined ? { capacityPlan: plan } : {}),
  };
}
const pool = (name: string, nodeClass: string, nodes: number) => ({
  name,
  nodeClass,
  limits: { nodes },
  replicas: undefined,
  requirements: [],
});

describe("evaluateNodeClass with the capacity plan", () => {
  it("a sibling's NodePool on the same subnet makes this nodeclass's subnet short: advisory, SubnetReady stays True", () => {
    const result = evaluateNodeClass(
      input({
        nodePools: [pool("mine", "a", 10), pool("theirs", "b", 30), pool("elsewhere", "c", 1000)],
        siblings: [{ name: "b", maxPods: undefined, currentNodes: 0 }],
        currentNodes: 0,
      }),
    );
    const capacity = result.conditions.find((c) => c.type === ConditionType.SubnetCapacity);
    expect(capacity).toMatchObject({ status: "True", reason: "CapacityShortAtLimits" });
    expect(capacity?.message).toContain("(theirs 930, mine 310), 240 more than it can hold");
    expect(result.conditions[0]).toMatchObject({ status: "True", reason: "CapacityShortAtLimits" });
    expect(result.metrics.plan).toEqual({
      neededAtLimits: 1240,
      shortAtLimits: 240,
      nodePools: [
        { nodePool: "mine", nodeClass: "a", nodes: 10, limit: "nodes" },
        { nodePool: "theirs", nodeClass: "b", nodes: 30, limit: "nodes" },
      ],
    });
    expect(result.events).toContainEqual(expect.objectContaining({ type: "Warning", reason: "CapacityShortAtLimits" }));
  });

  it("without NodePools read there is no plan and nothing changes", () => {
    const result = evaluateNodeClass(input(undefined));
    expect(result.capacityPlan).toBeUndefined();
    expect(result.metrics.plan).toBeUndefined();
    expect(result.conditions.find((c) => c.type === ConditionType.SubnetCapacity)?.reason).toBe("CapacitySufficient");
  });
});
