import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { REPO_ROOT } from "../../observability/generate.js";
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

  it("promtool test rules: every alert fires and stays quiet where observability/tests/rules.test.yaml says", () => {
    const r = promtool(["test", "rules", "observability/tests/rules.test.yaml"]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain("SUCCESS");
  });

  it("the unit tests cover every alert with a firing and a quiet expectation", async () => {
    const { parse } = await import("yaml");
    const { readFileSync } = await import("node:fs");
    const { allAlerts } = await import("../../observability/alerts.js");
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
