import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { allAlerts, buildRuleGroups } from "../../observability/alerts.js";
import { REPO_ROOT } from "../../observability/generate.js";
import { renderRulesTest } from "../../observability/tests/rules-test.js";
import { requireTool, shouldRunWith } from "./support/tools.js";

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(requireTool("promtool"), args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`promtool ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe.runIf(shouldRunWith("promtool"))("alert rules with promtool", () => {
  it("promtool check rules accepts the generated rules file", () => {
    const r = promtool(["check", "rules", "observability/generated/alerts.rules.yaml"]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status, r.output).toBe(0);
  });

  it(
    "promtool test rules: every alert fires and stays quiet where observability/tests/rules.test.yaml says",
    { timeout: 60_000 },
    () => {
      const r = promtool(["test", "rules", "observability/tests/rules.test.yaml"]);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toContain("SUCCESS");
    },
  );

  it("with another cluster label name (set at generation) the same two-cluster tests pass", { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "ash-promtool-label-"));
    try {
      const rules = stringify({ groups: buildRuleGroups({ clusterLabel: "aks_cluster" }) }, { lineWidth: 0 });
      writeFileSync(join(dir, "rules.yaml"), rules);
      writeFileSync(join(dir, "test.yaml"), renderRulesTest({ clusterLabel: "aks_cluster", rulesFile: "rules.yaml" }));
      const r = promtool(["test", "rules", join(dir, "test.yaml")]);
      expect(r.status, r.output).toBe(0);
      // and the default-label rules do not pass them: the label name really is used
      writeFileSync(join(dir, "rules.yaml"), stringify({ groups: buildRuleGroups() }, { lineWidth: 0 }));
      expect(promtool(["test", "rules", join(dir, "test.yaml")]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every alert has a case with two clusters where it fires for one cluster and not for the same object in the other", () => {
    const doc = parse(readFileSync(join(REPO_ROOT, "observability/tests/rules.test.yaml"), "utf8")) as {
      tests: Array<{
        input_series: Array<{ series: string }>;
        alert_rule_test?: Array<{ alertname: string; exp_alerts?: Array<{ exp_labels: Record<string, string> }> }>;
      }>;
    };
    const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());
    for (const { alert } of allAlerts()) {
      const shown = doc.tests.some((t) => {
        const inputs = t.input_series.map((s) => s.series);
        if (!inputs.some((s) => s.includes('cluster="east"')) || !inputs.some((s) => s.includes('cluster="west"')))
          return false;
        return (t.alert_rule_test ?? [])
          .filter((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0)
          .some((c) => {
            const expected = new Set((c.exp_alerts ?? []).map((a) => key(a.exp_labels)));
            // the same alert with the other cluster's name is not expected
            return (c.exp_alerts ?? []).every((a) => {
              const other = a.exp_labels.cluster === "east" ? "west" : "east";
              return a.exp_labels.cluster !== undefined && !expected.has(key({ ...a.exp_labels, cluster: other }));
            });
          });
      });
      expect(shown, `${alert}: a two-cluster case firing for one cluster only`).toBe(true);
    }
  });

  it("the unit tests cover every alert with a firing and a quiet expectation", () => {
    const doc = parse(readFileSync(join(REPO_ROOT, "observability/tests/rules.test.yaml"), "utf8")) as {
      tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
    };
    const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of allAlerts()) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} has a firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} has a not-firing case`,
      ).toBe(true);
    }
  });

  it("promtool rejects a broken rule, so a passing check means something", () => {
    const dir = mkdtempSync(join(tmpdir(), "ash-promtool-"));
    try {
      const file = join(dir, "broken.rules.yaml");
      writeFileSync(file, stringify({ groups: [{ name: "x", rules: [{ alert: "Broken", expr: "sum by (a (up)" }] }] }));
      const r = promtool(["check", "rules", file]);
      expect(r.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
