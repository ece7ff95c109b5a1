/**
 * `promtool check metrics` on what the running operator serves on /metrics, after it has evaluated nodeclasses
 * of several example scenarios (so subnet, access, conflict and drift series exist, not just process metrics).
 * Prometheus's own linter is the reference for names, types, suffixes and help texts.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { requireTool, shouldRunWith } from "../observability/support/tools.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");

function checkMetrics(exposition: string): { status: number | null; output: string } {
  const r = spawnSync(requireTool("promtool"), ["check", "metrics"], {
    input: exposition,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe.runIf(shouldRunWith("promtool"))("promtool check metrics on a live scrape of the operator", () => {
  let stack: Stack;
  let scrape = "";
  const scenarios = ["nearly-full", "reader-only", "pod-cidr-overlap", "missing-subnet"] as const;
  const names = scenarios.map((s) => uniqueName(s));

  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    for (const [i, s] of scenarios.entries()) {
      await stack.createNodeClass(names[i] ?? "", { vnetSubnetID: EXAMPLE_SUBNET_IDS[s] });
    }
    // every family with samples: subnet figures, access verdicts, conflicts, reconciles and ARM requests
    scrape = await eventually(
      async () => {
        const text = await stack.metricsText();
        const has = (metric: string, nodeclass: string | undefined): boolean =>
          new RegExp(`^${metric}\\{[^}]*nodeclass="${nodeclass}"`, "m").test(text);
        return /^aks_subnet_health_subnet_ips_used\{/m.test(text) &&
          names.every((n) => has("aks_subnet_health_nodeclass_info", n)) &&
          has("aks_subnet_health_nodeclass_access", names[1]) &&
          has("aks_subnet_health_nodeclass_cidr_conflicts", names[2]) &&
          /^aks_subnet_health_azure_requests_total\{/m.test(text)
          ? text
          : undefined;
      },
      { what: "every nodeclass, subnet, access, conflict and request series on /metrics", timeoutMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("is clean: no problem reported for any metric family", () => {
    const r = checkMetrics(scrape);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
    // and it checked our families, not an empty page
    expect((scrape.match(/^# TYPE aks_subnet_health_/gm) ?? []).length).toBeGreaterThan(20);
  });

  test("every nodeclass, healthy or not, stays within the series budget of docs/metrics.md (at most 25)", () => {
    for (const name of names) {
      const own = scrape.split("\n").filter((l) => !l.startsWith("#") && l.includes(`nodeclass="${name}"`));
      expect(own.length, name).toBeGreaterThan(0);
      expect(own.length, own.join("\n")).toBeLessThanOrEqual(25);
    }
  });

  test("control: the linter flags a gauge named like a counter, as subnet_ips_total used to be", () => {
    const r = checkMetrics(
      "# HELP aks_subnet_health_subnet_ips_total Usable IPs.\n# TYPE aks_subnet_health_subnet_ips_total gauge\naks_subnet_health_subnet_ips_total 251\n",
    );
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('non-counter metrics should not have "_total" suffix');
  });
});
