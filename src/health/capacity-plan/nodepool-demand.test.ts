import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeMemoryCapacityBytes, nodePoolDemand, worstCaseNodes } from "./nodepool-demand.js";
import type { NodePoolInput, NodePoolRequirement } from "./types.js";

function pool(over: Partial<NodePoolInput> = {}): NodePoolInput & { nodeClass: string } {
  const p: NodePoolInput = { name: "np", nodeClass: "nc", limits: {}, replicas: undefined, requirements: [], ...over };
  return { ...p, nodeClass: p.nodeClass ?? "nc" };
}
const cpuAtLeast = (n: number): NodePoolRequirement => ({
  key: "karpenter.azure.com/sku-cpu",
  operator: "Gte",
  values: [String(n)],
});

describe("worstCaseNodes", () => {
  const cases: Array<
    [string, Partial<NodePoolInput>, number | undefined, number | "unbounded" | "no-instance", string?]
  > = [
    ["limits.nodes", { limits: { nodes: "10" } }, 30, 10, "nodes"],
    ["limits.cpu over Karpenter's 2-vCPU minimum", { limits: { cpu: "100" } }, 30, 50, "cpu"],
    ["limits.cpu as an integer", { limits: { cpu: 100 } }, 30, 50, "cpu"],
    ["limits.cpu with sku-cpu Gte 8", { limits: { cpu: "100" }, requirements: [cpuAtLeast(8)] }, 30, 12, "cpu"],
    ["limits.cpu in millicores", { limits: { cpu: "3500m" } }, 30, 1, "cpu"],
    // 3.5 GiB floor → 3 GiB whole → 3 GiB less 7.5 % = 2.775 GiB per node
    ["limits.memory over the 3.5 GiB floor", { limits: { memory: "1000Gi" } }, 30, 360, "memory"],
    [
      "limits.memory with sku-memory Gte 16384",
      {
        limits: { memory: "1000Gi" },
        requirements: [{ key: "karpenter.azure.com/sku-memory", operator: "Gte", values: ["16384"] }],
      },
      30,
      67,
      "memory",
    ],
    ["limits.pods / maxPods", { limits: { pods: "3000" } }, 30, 100, "pods"],
    ["the tightest limit wins", { limits: { cpu: "1000", nodes: "20", memory: "10Ti" } }, 30, 20, "nodes"],
    ["no limits: unbounded", {}, 30, "unbounded"],
    ["only a GPU limit: unbounded", { limits: { "nvidia.com/gpu": "8" } }, 30, "unbounded"],
    ["static NodePool: replicas", { replicas: 5 }, 30, 5, "replicas"],
    ["static NodePool: limits.nodes bounds the surge", { replicas: 5, limits: { nodes: 8 } }, 30, 8, "nodes"],
    ["static NodePool: limits.nodes below replicas caps it", { replicas: 5, limits: { nodes: 3 } }, 30, 3, "nodes"],
    [
      "requirements that allow no instance",
      {
        limits: { nodes: "10" },
        requirements: [{ key: "karpenter.azure.com/sku-cpu", operator: "Lt", values: ["2"] }],
      },
      30,
      "no-instance",
    ],
    ["a negative limit allows nothing", { limits: { nodes: "-3" } }, 30, 0, "nodes"],
    ["no NodePool outgrows AKS's 5000 nodes per cluster", { limits: { cpu: "100000" } }, 30, 5000, "cluster-maximum"],
  ];
  it.each(cases)("%s", (_, over, maxPods, expected, by) => {
    const { nodes } = worstCaseNodes(pool(over), maxPods);
    if (typeof expected === "number") {
      expect(nodes).toMatchObject({ kind: "bounded", nodes: expected, by });
    } else {
      expect(nodes.kind).toBe(expected);
    }
  });

  it("notes limits it cannot use, without failing", () => {
    const notes: string[] = [];
    const { nodes } = worstCaseNodes(pool({ limits: { cpu: "lots", nodes: "4", "nvidia.com/gpu": "2" } }), 30, notes);
    expect(nodes).toMatchObject({ kind: "bounded", nodes: 4 });
    expect(notes).toEqual([
      'limits.cpu "lots" is not a quantity and is ignored',
      "limits.nvidia.com/gpu does not bound the node count",
    ]);
  });

  it("Karpenter's node memory capacity: whole GiB less the VM overhead", () => {
    expect(nodeMemoryCapacityBytes(8192)).toBe(8 * 2 ** 30 - Math.ceil(8 * 2 ** 30 * 0.075));
    expect(nodeMemoryCapacityBytes(3584)).toBe(3 * 2 ** 30 - Math.ceil(3 * 2 ** 30 * 0.075));
  });

  it("raising a limit never lowers the worst case", () => {
    const limit = fc.record(
      {
        nodes: fc.integer({ min: 0, max: 5000 }),
        cpu: fc.integer({ min: 0, max: 20000 }),
        memory: fc.integer({ min: 0, max: 4096 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        limit,
        fc.constantFrom("nodes", "cpu", "memory"),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 2, max: 64 }),
        (l, key, extra, minCpu) => {
          const limits = (o: Record<string, number | undefined>) =>
            Object.fromEntries(
              Object.entries(o).flatMap(([k, v]) =>
                v === undefined ? [] : [[k, k === "memory" ? `${v}Gi` : String(v)]],
              ),
            );
          const current = (l as Record<string, number | undefined>)[key];
          // adding a limit that was absent is not raising one
          fc.pre(current !== undefined);
          const raised = { ...l, [key]: (current ?? 0) + extra };
          const requirements = [cpuAtLeast(minCpu)];
          const a = worstCaseNodes(pool({ limits: limits(l), requirements }), 30).nodes;
          const b = worstCaseNodes(pool({ limits: limits(raised), requirements }), 30).nodes;
          if (a.kind === "bounded" && b.kind === "bounded") expect(b.nodes).toBeGreaterThanOrEqual(a.nodes);
          if (a.kind === "unbounded") expect(b.kind).not.toBe("no-instance");
        },
      ),
    );
  });
});

describe("nodePoolDemand: IPs at limits", () => {
  it.each([
    ["Azure CNI node subnet, maxPods 30", { ips: 31, maxPods: 30 }, 310],
    ["custom maxPods 110", { ips: 111, maxPods: 110 }, 1110],
    ["overlay: one IP per node", { ips: 1, maxPods: 250 }, 10],
  ])("%s", (_, perNode, ips) => {
    expect(nodePoolDemand(pool({ limits: { nodes: 10 } }), perNode).ipsAtLimits).toBe(ips);
  });

  it("unknown when the CNI mode is unknown, none when unbounded, zero when no instance fits", () => {
    expect(nodePoolDemand(pool({ limits: { nodes: 10 } }), undefined).ipsAtLimits).toBeUndefined();
    expect(nodePoolDemand(pool(), { ips: 31, maxPods: 30 }).ipsAtLimits).toBeUndefined();
    const none = nodePoolDemand(
      pool({ limits: { nodes: 10 }, requirements: [{ key: "kubernetes.io/os", operator: "In", values: ["windows"] }] }),
      { ips: 31, maxPods: 30 },
    );
    expect(none.ipsAtLimits).toBe(0);
    expect(none.worstCase.kind).toBe("no-instance");
  });
});
