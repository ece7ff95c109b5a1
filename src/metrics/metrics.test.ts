import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import { ref, subnetId, T0 } from "../health/test-fixtures.js";
import type { EvaluationResult, SubnetRef } from "../health/types.js";
import { OperatorMetrics } from "./metrics.js";

function result(subnet: SubnetRef, free: number, fetchedAt = T0): EvaluationResult {
  return {
    conditions: [{ type: ConditionType.SubnetCapacity, status: "True", reason: "CapacityLow", message: "low." }],
    subnetHealth: { subnetID: subnet.id, source: "spec" },
    metrics: {
      subnetCanonical: subnet.canonical,
      ips: { total: 251, used: 251 - free, available: free, fetchedAt },
      source: "spec",
      nodeHeadroom: free,
      access: { read: "granted", join: "granted" },
      cidrConflicts: {},
      drift: {},
      nodesOutsideSubnet: 0,
    },
    events: [],
    subnet,
  };
}

const A = ref(subnetId("a"));
const B = ref(subnetId("b"));

async function series(
  m: OperatorMetrics,
  name: string,
): Promise<Array<{ labels: Record<string, unknown>; value: number }>> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === `aks_subnet_health_${name}`);
  return (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
}

describe("OperatorMetrics: a projection of one sample per nodeclass", () => {
  it("renders the last evaluation at scrape time, with the nodeclass label", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false, now: () => T0 + 30_000 });
    m.recordEvaluation("nc1", result(A, 40));
    m.recordEvaluation("nc1", result(A, 30));
    expect(await series(m, "nodeclass_node_headroom")).toEqual([
      { labels: { nodeclass: "nc1", subnet_id: A.canonical }, value: 30 },
    ]);
    expect(await series(m, "nodeclass_condition_reason")).toEqual([
      { labels: { nodeclass: "nc1", type: "SubnetCapacity", reason: "CapacityLow" }, value: 1 },
    ]);
    expect(await series(m, "subnet_ips_available")).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ subnet_id: A.canonical }) as unknown, value: 30 }),
    ]);
    expect((await series(m, "subnet_data_age_seconds"))[0]?.value).toBe(30);
  });

  it("a subnet shared by two classes is one series, kept while one of them uses it", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false });
    m.recordEvaluation("nc1", result(A, 40, T0));
    m.recordEvaluation("nc2", result(A, 39, T0 + 1));
    m.recordEvaluation("nc3", result(B, 10));
    expect((await series(m, "subnet_ips_available")).map((s) => s.value).sort()).toEqual([10, 39]);
    m.forgetNodeClass("nc2");
    m.forgetNodeClass("nc3");
    expect(await series(m, "subnet_ips_available")).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ subnet_id: A.canonical }) as unknown, value: 40 }),
    ]);
    expect(m.nodeClassCount()).toBe(1);
  });

  it("forgetting a nodeclass drops every series that names it; losing leadership drops all object series", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false });
    m.recordEvaluation("nc1", result(A, 40));
    m.recordEvaluation("nc2", result(B, 40));
    m.setClusterNetwork({ plugin: "azure", mode: "overlay", policy: "cilium", dataplane: "cilium" }, true);
    m.forgetNodeClass("nc1");
    const text = await m.registry.metrics();
    expect(text).not.toContain('nodeclass="nc1"');
    expect(text).not.toContain(A.canonical);
    expect(text).toContain('nodeclass="nc2"');
    m.forgetAll();
    const after = await m.registry.metrics();
    expect(after).not.toContain("nodeclass=");
    expect(after).not.toContain("subnet_id=");
    expect(after).not.toContain('plugin="azure"');
  });
});
