import { describe, expect, it } from "vitest";
import { ref, subnetId, THRESHOLDS } from "../health/test-fixtures.js";
import type { EvaluationSettings, NodeAddress } from "../health/types.js";
import type { NodeClassObject } from "./nodeclass.js";
import { PlanInputs } from "./plan-inputs.js";

const settings: EvaluationSettings = {
  defaultSubnetID: subnetId("default"),
  allowedSubscriptions: undefined,
  thresholds: THRESHOLDS,
};

function world() {
  const objects: NodeClassObject[] = [
    { metadata: { name: "a", generation: 1 }, spec: { vnetSubnetID: subnetId("nodes") } },
    { metadata: { name: "b", generation: 1 }, spec: { vnetSubnetID: subnetId("nodes"), maxPods: 50 } },
    { metadata: { name: "c", generation: 1 }, spec: {} }, // the default subnet
  ];
  const nodes = new Map<string, NodeAddress[]>([["b", [{ name: "n1", internalIPs: ["10.1.0.4"] }]]]);
  let synced = true;
  const inputs = new PlanInputs({
    nodeClasses: { list: () => objects, get: (n) => objects.find((o) => o.metadata?.name === n) },
    nodes: { addressesFor: (nc) => nodes.get(nc) ?? [] },
    nodePools: {
      hasSynced: () => synced,
      all: () => [
        { name: "p", nodeClass: "a", limits: { nodes: 3 }, replicas: undefined, requirements: [] },
        { name: "q", nodeClass: "b", limits: { nodes: 1 }, replicas: undefined, requirements: [] },
      ],
    },
  });
  return { objects, nodes, inputs, unsync: () => (synced = false) };
}

describe("PlanInputs: the plan's view around one nodeclass", () => {
  it("siblings are the other nodeclasses with NodePools resolving to the same subnet, with their maxPods and nodes", () => {
    const { inputs } = world();
    const input = inputs.forNodeClass("a", ref(subnetId("nodes")), 1000, settings);
    expect(input?.siblings).toEqual([{ name: "b", maxPods: 50, currentNodes: 1 }]);
    expect(input?.currentNodes).toBe(0);
    expect(input?.nodePools.map((p) => p.name)).toEqual(["p", "q"]);
    expect(inputs.siblingsOf("c", settings)).toEqual([]);
  });

  it("node counts stay as they were at the Azure read until the next read", () => {
    const { inputs, nodes } = world();
    const at = (fetchedAt: number) => inputs.forNodeClass("a", ref(subnetId("nodes")), fetchedAt, settings);
    expect(at(1000)?.siblings[0]?.currentNodes).toBe(1);
    nodes.set("b", [...(nodes.get("b") ?? []), { name: "n2", internalIPs: ["10.1.0.5"] }]);
    expect(at(1000)?.siblings[0]?.currentNodes).toBe(1);
    expect(at(2000)?.siblings[0]?.currentNodes).toBe(2);
  });

  it("a moved or deleted nodeclass names the siblings on its old subnet too", () => {
    const { inputs, objects } = world();
    expect(inputs.siblingsOf("b", settings)).toEqual(["a"]);
    objects[1] = { metadata: { name: "b", generation: 2 }, spec: {} }; // b moves to the default subnet
    expect(inputs.siblingsOf("b", settings)).toEqual(["a", "c"]);
    objects.splice(0, 1); // a is deleted
    expect(inputs.siblingsOf("a", settings)).toEqual([]);
  });

  it("no plan input before the NodePools are listed", () => {
    const { inputs, unsync } = world();
    unsync();
    expect(inputs.forNodeClass("a", ref(subnetId("nodes")), 1000, settings)).toBeUndefined();
  });
});
