import { describe, expect, it } from "vitest";
import { nodePoolInput } from "./nodepools.js";

describe("nodePoolInput: a NodePool reduced to what the capacity plan reads", () => {
  it("reads the nodeclass, limits, replicas and requirements", () => {
    expect(
      nodePoolInput({
        metadata: { name: "general" },
        spec: {
          limits: { cpu: "1000", memory: "4000Gi", nodes: 50 },
          template: {
            spec: {
              nodeClassRef: { group: "karpenter.azure.com", kind: "AKSNodeClass", name: "default" },
              requirements: [
                { key: "karpenter.azure.com/sku-family", operator: "In", values: ["D"] },
                { key: "karpenter.azure.com/sku-cpu", operator: "Gt", values: ["3"], minValues: 2 },
              ],
              expireAfter: "720h",
            },
          },
          disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized" },
        },
      }),
    ).toEqual({
      name: "general",
      nodeClass: "default",
      limits: { cpu: "1000", memory: "4000Gi", nodes: 50 },
      replicas: undefined,
      requirements: [
        { key: "karpenter.azure.com/sku-family", operator: "In", values: ["D"] },
        { key: "karpenter.azure.com/sku-cpu", operator: "Gt", values: ["3"] },
      ],
    });
  });

  it("a static NodePool keeps its replicas", () => {
    expect(nodePoolInput({ metadata: { name: "s" }, spec: { replicas: 3 } }).replicas).toBe(3);
  });

  it("a reference to another kind of node class is not an AKSNodeClass", () => {
    const pool = nodePoolInput({
      metadata: { name: "aws" },
      spec: { template: { spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "x" } } } },
    });
    expect(pool.nodeClass).toBeUndefined();
  });

  it("garbage reads as absent, never a crash", () => {
    expect(
      nodePoolInput({
        metadata: { name: "bad" },
        spec: {
          replicas: -1,
          limits: { cpu: { nested: true }, nodes: "10" },
          template: { spec: { nodeClassRef: "default", requirements: [null, { key: "k", operator: "Near" }, 7] } },
        },
      }),
    ).toEqual({ name: "bad", nodeClass: undefined, limits: { nodes: "10" }, replicas: undefined, requirements: [] });
    expect(nodePoolInput({})).toEqual({
      name: "",
      nodeClass: undefined,
      limits: {},
      replicas: undefined,
      requirements: [],
    });
  });
});
