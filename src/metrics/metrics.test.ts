import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import { CONDITION_ORDER } from "../health/evaluate.js";
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
    expect(await series(m, "nodeclass_condition")).toEqual([
      { labels: { nodeclass: "nc1", type: "SubnetCapacity", status: "True", reason: "CapacityLow" }, value: 1 },
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

/** Every condition of ours, with the given status and reason. */
const conditions = (status: "True" | "False" | "Unknown", reason: string): EvaluationResult["conditions"] =>
  CONDITION_ORDER.map((type) => ({ type, status, reason, message: "m." }));

/** Series on /metrics that name the nodeclass (what the series budget counts). */
async function seriesOf(m: OperatorMetrics, nodeclass: string): Promise<string[]> {
  return (await m.registry.metrics())
    .split("\n")
    .filter((l) => !l.startsWith("#") && l.includes(`nodeclass="${nodeclass}"`));
}

describe("OperatorMetrics: the series budget per nodeclass (docs/metrics.md, Cardinality)", () => {
  it("a healthy nodeclass with every family reported has 15 series: one per condition, action and check", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false });
    const healthy = result(A, 40);
    m.recordEvaluation("ok", {
      ...healthy,
      conditions: conditions("True", "Healthy"),
      metrics: { ...healthy.metrics, connectivity: { outbound: "pass", nsg: "pass", routes: "pass", parity: "pass" } },
    });
    const lines = await seriesOf(m, "ok");
    expect(lines).toHaveLength(15);
    // the current state is a label with value 1, not one series per possible state
    expect(lines.filter((l) => l.startsWith("aks_subnet_health_nodeclass_condition{"))).toHaveLength(
      CONDITION_ORDER.length,
    );
    expect(lines).toContain('aks_subnet_health_nodeclass_access{nodeclass="ok",action="join",result="granted"} 1');
    expect(lines).toContain('aks_subnet_health_nodeclass_connectivity{nodeclass="ok",check="nsg",result="pass"} 1');
    // nothing drifts and nothing conflicts: no series, not a row of zeros
    expect(lines.filter((l) => /_(drift|cidr_conflicts)\{/.test(l))).toEqual([]);
  });

  it("the worst case, every drift and every conflict kind at once, is bounded at 25", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false });
    const bad = result(A, 0);
    m.recordEvaluation("bad", {
      ...bad,
      conditions: conditions("False", "Broken"),
      metrics: {
        ...bad.metrics,
        access: { read: "denied", join: "unknown" },
        cidrConflicts: { pod: 2, service: 1, reserved: 1, nodeclass: 3 },
        drift: {
          migration: 1,
          correction: 1,
          "prefix-changed": 1,
          "subnet-deleted": 1,
          "default-changed": 1,
          "nodes-outside": 4,
        },
        nodesOutsideSubnet: 4,
        connectivity: { outbound: "fail", nsg: "warn", routes: "unknown", parity: "skipped" },
      },
    });
    const lines = await seriesOf(m, "bad");
    expect(lines).toHaveLength(25);
    expect(lines).toContain('aks_subnet_health_nodeclass_drift{nodeclass="bad",kind="nodes-outside"} 4');
    expect(lines).toContain('aks_subnet_health_nodeclass_cidr_conflicts{nodeclass="bad",with="nodeclass"} 3');
    expect(lines).toContain(
      'aks_subnet_health_nodeclass_condition{nodeclass="bad",type="SubnetReady",status="False",reason="Broken"} 1',
    );
  });

  it("a state change replaces the series: the old status, verdict or result is gone at the next scrape", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false });
    m.recordEvaluation("nc", { ...result(A, 40), conditions: conditions("True", "Healthy") });
    const denied = result(A, 40);
    m.recordEvaluation("nc", {
      ...denied,
      conditions: conditions("False", "JoinDenied"),
      metrics: { ...denied.metrics, access: { read: "granted", join: "denied" } },
    });
    const lines = await seriesOf(m, "nc");
    expect(lines.filter((l) => l.includes('status="True"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('reason="JoinDenied"'))).toHaveLength(CONDITION_ORDER.length);
    expect(await series(m, "nodeclass_access")).toEqual([
      { labels: { nodeclass: "nc", action: "read", result: "granted" }, value: 1 },
      { labels: { nodeclass: "nc", action: "join", result: "denied" }, value: 1 },
    ]);
  });
});

describe("OperatorMetrics: its writer for the projected families", () => {
  it("writes exactly what prom-client writes for the same series, escaping included", async () => {
    const m = new OperatorMetrics({ version: "t", defaultMetrics: false, now: () => T0 + 5_000 });
    const odd = result(B, 3);
    m.recordEvaluation("plain", { ...result(A, 40), conditions: conditions("True", "Healthy") });
    m.recordEvaluation("odd", {
      ...odd,
      // nothing the operator writes today, but the text format must survive it
      conditions: conditions("False", 'a "quoted" back\\slash\nand newline'),
      metrics: {
        ...odd.metrics,
        cidrConflicts: { pod: 2 },
        drift: { "nodes-outside": 7 },
        connectivity: { outbound: "fail" },
        plan: {
          neededAtLimits: 300,
          shortAtLimits: 49,
          nodePools: [{ nodePool: "p", nodeClass: "odd", nodes: 9, limit: "cpu" }],
        },
      },
    });
    m.setClusterNetwork({ plugin: "azure", mode: "", policy: "", dataplane: "" }, false);
    m.leader.set(1);

    // the reference: plain prom-client gauges holding the same series, written by prom-client's registry
    const reference = new Registry();
    const projected = (await m.registry.getMetricsAsJSON()).filter(
      (f) => f.type.toString() === "gauge" && f.values.some((v) => Object.keys(v.labels).length > 0),
    );
    expect(projected.map((f) => f.name)).toContain("aks_subnet_health_nodeclass_condition");
    for (const f of projected) {
      const labelNames = [...new Set(f.values.flatMap((v) => Object.keys(v.labels)))];
      const g = new Gauge({ name: f.name, help: f.help, labelNames, registers: [reference] });
      for (const v of f.values) g.set(v.labels, v.value);
    }
    const blocks = (text: string): Map<string, string> =>
      new Map(
        text
          .trimEnd()
          .split("\n\n")
          .map((b) => [b.split("\n")[0] ?? "", b]),
      );
    const ours = blocks(await m.registry.metrics());
    const theirs = blocks(await reference.metrics());
    expect(theirs.size).toBe(projected.length);
    for (const [head, block] of theirs) expect(ours.get(head), head).toBe(block);
    expect(await m.registry.metrics()).toContain('reason="a \\"quoted\\" back\\\\slash\\nand newline"');
  });
});
