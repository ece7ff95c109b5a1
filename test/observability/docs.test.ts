import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allAlerts } from "../../observability/alerts.js";
import { buildDashboard } from "../../observability/dashboard.js";
import { REPO_ROOT } from "../../observability/generate.js";
import { type DashboardJson, panelsByRow } from "./support/dashboard-walk.js";
import { OPERATOR_METRIC_NAMES } from "./support/sample-exposition.js";

const metricsDoc = readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8");
const alertsDoc = readFileSync(join(REPO_ROOT, "docs/alerts.md"), "utf8");

/** Metric names an expression uses (identifiers with our prefix, histogram suffixes stripped). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\baks_subnet_health_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ""));
}

describe("docs", () => {
  it("docs/metrics.md documents every metric in a table row with its type", () => {
    for (const name of OPERATOR_METRIC_NAMES) {
      expect(metricsDoc, name).toMatch(new RegExp(`^\\| \`${name}\` \\| (gauge|counter|histogram)`, "m"));
    }
  });

  it("alerts and dashboard use only documented metrics", () => {
    const dash = buildDashboard() as unknown as DashboardJson;
    const exprs = [
      ...allAlerts().map((a) => a.expr),
      ...panelsByRow(dash).flatMap(({ panel }) => (panel.targets ?? []).map((t) => t.expr ?? "")),
      ...dash.templating.list.map((v) => (typeof v.query === "string" ? v.query : "")),
    ];
    const used = new Set(exprs.flatMap(metricNames));
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(OPERATOR_METRIC_NAMES, name).toContain(name);
  });

  it("docs/alerts.md has one runbook section per alert, with meaning, impact, diagnosis and fix", () => {
    const sections = alertsDoc.split(/^## /m).slice(1);
    const byName = new Map(sections.map((s) => [s.split("\n")[0]?.trim() ?? "", s]));
    expect([...byName.keys()].sort()).toEqual(
      allAlerts()
        .map((a) => a.alert)
        .sort(),
    );
    for (const [name, body] of byName) {
      for (const part of ["**Meaning.**", "**Impact on Karpenter.**", "**Diagnose.**", "**Fix.**"])
        expect(body, `${name} ${part}`).toContain(part);
    }
  });

  it("in-page links of docs/alerts.md point at existing sections", () => {
    const anchors = new Set([...alertsDoc.matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? "").trim().toLowerCase()));
    for (const m of alertsDoc.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, m[1]).toContain(m[1]);
  });
});
