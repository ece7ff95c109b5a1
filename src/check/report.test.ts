import { describe, expect, test } from "vitest";
import { ConditionType } from "../domain.js";
import type { NodeClassReport, Verdict } from "../health/report.js";
import { buildReport, exitCodeFor, renderReport, type CheckedRow } from "./report.js";

function row(name: string, verdict: Verdict, over: Partial<NodeClassReport> = {}): CheckedRow {
  const status = verdict === "blocked" ? "False" : verdict === "undecided" ? "Unknown" : "True";
  const reason = { ok: "SubnetReady", warning: "CapacityLow", blocked: "SubnetFull", undecided: "AzureUnavailable" }[
    verdict
  ];
  return {
    name,
    origin: `f.yaml#${name}`,
    subnetID: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/${name}`,
    subnet: `v/${name}`,
    subscription: "s",
    resourceGroup: "rg",
    vnet: "v",
    source: "spec",
    ready: status,
    reason,
    message: "summary",
    verdict,
    freeIPs: 10,
    nodeHeadroom: 3,
    conditions: [
      { type: ConditionType.SubnetReady, status, reason, message: "summary" },
      { type: ConditionType.SubnetCapacity, status, reason, message: `Capacity says ${reason}. Then the fix.` },
      { type: ConditionType.SubnetFound, status: "True", reason: "SubnetFound", message: "found" },
    ],
    ...over,
  };
}

describe("check report", () => {
  test.each([
    [["ok", "warning"], 0],
    [["ok", "undecided"], 3],
    [["undecided", "blocked", "ok"], 1],
    [["warning"], 0],
  ] as const)("verdicts %j give exit code %i", (verdicts, code) => {
    expect(exitCodeFor(verdicts.map((v) => ({ verdict: v })))).toBe(code);
  });

  test("table: a row per nodeclass, then what to do about each one not plainly ready, then the totals", () => {
    const report = buildReport("manifests", "flags", [
      row("good", "ok"),
      row("low", "warning"),
      row("full", "blocked"),
    ]);
    const text = renderReport(report, "table");
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^NODECLASS\s+SUBNET\s+READY\s+REASON\s+FREE-IPS\s+HEADROOM\s+SOURCE$/);
    expect(lines[1]).toMatch(/^good\s+v\/good\s+True\s+SubnetReady\s+10\s+3\s+spec$/);
    expect(text).toContain(
      "full (f.yaml#full): blocked\n  SubnetCapacity False SubnetFull: Capacity says SubnetFull. Then the fix.",
    );
    // an advisory gets its first sentence; healthy concerns are not repeated
    expect(text).toContain(
      "low (f.yaml#low): ready with warnings\n  SubnetCapacity True CapacityLow: Capacity says CapacityLow.\n",
    );
    expect(text).not.toContain("good (f.yaml#good)");
    expect(text).not.toContain("SubnetFound True");
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      "3 nodeclasses: 1 ready, 1 with warnings, 1 blocked, 0 undecided (network plan: flags); exit 1",
    );
  });

  test("JSON and YAML carry the same report, with full condition types", async () => {
    const report = buildReport("cluster", "managed-cluster", [row("u", "undecided")]);
    const json = JSON.parse(renderReport(report, "json")) as typeof report;
    expect(json).toEqual(report);
    expect(json.exitCode).toBe(3);
    expect(json.summary).toEqual({ nodeClasses: 1, ok: 0, warning: 0, blocked: 0, undecided: 1 });
    expect(json.nodeClasses[0]?.conditions[0]?.type).toBe("aks-subnet-health.io/SubnetReady");
    const { parse } = await import("yaml");
    expect(parse(renderReport(report, "yaml"))).toEqual(report);
  });

  test("an unparsable subnet ID shows as (invalid ID) in the table, whole in JSON", () => {
    const report = buildReport("manifests", "unknown", [
      row("bad", "blocked", { subnet: undefined, subnetID: "/subscriptions/not-a-guid" }),
    ]);
    expect(renderReport(report, "table").split("\n")[1]).toMatch(/^bad\s+\(invalid ID\)\s+False/);
    expect(renderReport(report, "json")).toContain('"subnetID": "/subscriptions/not-a-guid"');
  });
});
