import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allAlerts, ruleGroups, runbookAnchor } from "../../observability/alerts.js";
import { generatedFiles, REPO_ROOT } from "../../observability/generate.js";

describe("generated observability files", () => {
  const files = generatedFiles();

  it.each(Object.keys(files))(
    "%s is up to date with its TypeScript source (run: npx tsx observability/generate.ts)",
    (path) => {
      const onDisk = readFileSync(join(REPO_ROOT, path), "utf8");
      expect(onDisk).toBe(files[path]);
    },
  );

  it("the PrometheusRule carries exactly the groups of the plain rules file", () => {
    const plain = parse(files["observability/generated/alerts.rules.yaml"] ?? "") as { groups: unknown };
    const cr = parse(files["manifests/prometheusrule.yaml"] ?? "") as {
      apiVersion: string;
      kind: string;
      spec: { groups: unknown };
    };
    expect(cr.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(cr.kind).toBe("PrometheusRule");
    expect(cr.spec.groups).toEqual(plain.groups);
  });

  it("the dashboard ConfigMap is labelled for Grafana's sidecar and holds the dashboard JSON", () => {
    const cm = parse(files["manifests/grafana-dashboard-configmap.yaml"] ?? "") as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const [json] = Object.values(cm.data);
    expect(JSON.parse(json ?? "null")).toEqual(JSON.parse(files["manifests/grafana-dashboard.json"] ?? ""));
  });
});

describe("alert rules", () => {
  const expected = [
    "AKSSubnetLowFreeIPs",
    "AKSSubnetFreeIPsCritical",
    "AKSSubnetFull",
    "AKSSubnetIPsExhaustionPredicted",
    "AKSNodeClassSubnetNotReady",
    "AKSNodeClassSubnetAccessDenied",
    "AKSNodeClassCIDRConflict",
    "AKSNodeClassSubnetMigration",
    "AKSSubnetDataStale",
    "AKSSubnetHealthAzureThrottling",
    "AKSSubnetHealthOperatorDown",
    "AKSSubnetHealthReconcileErrors",
  ];

  it("defines every documented alert once, low-IP alerts first", () => {
    const names = allAlerts().map((a) => a.alert);
    expect([...names].sort()).toEqual([...expected].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(ruleGroups[0]?.rules.slice(0, 4).map((r) => r.alert)).toEqual(expected.slice(0, 4));
  });

  it.each(allAlerts().map((a) => [a.alert, a] as const))(
    "%s has severity, summary, description and a runbook anchor in docs/alerts.md",
    (name, a) => {
      expect(["warning", "critical"]).toContain(a.labels.severity);
      expect(a.annotations.summary.length).toBeGreaterThan(10);
      expect(a.annotations.description.length).toBeGreaterThan(40);
      expect(a.annotations.runbook_url).toBe(
        `https://github.com/aks-subnet-health/aks-subnet-health/blob/main/docs/alerts.md#${name.toLowerCase()}`,
      );
      const docs = readFileSync(join(REPO_ROOT, "docs/alerts.md"), "utf8");
      const headings = [...docs.matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? "").trim().toLowerCase());
      expect(headings).toContain(runbookAnchor(name));
    },
  );

  it("descriptions of per-object alerts name the object", () => {
    for (const a of allAlerts()) {
      if (a.expr.includes("by (nodeclass") || a.expr.includes("by (subnet_id")) {
        expect(a.annotations.description, a.alert).toMatch(/\{\{ \$labels\.(nodeclass|vnet)/);
      }
    }
  });
});
