import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allAlerts, buildRuleGroups, ruleGroups, runbookAnchor } from "../../observability/alerts.js";
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
    "AKSNodeClassSubnetUnknown",
    "AKSNodeClassSubnetAccessDenied",
    "AKSNodeClassCIDRConflict",
    "AKSNodeClassSubnetMigration",
    "AKSSubnetDataStale",
    "AKSSubnetShortAtNodePoolLimits",
    "AKSSubnetHealthAzureThrottling",
    "AKSSubnetHealthAzureRequestsFailing",
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

  it("every alert aggregates by the cluster label and its description names the cluster", () => {
    for (const a of allAlerts()) {
      // every aggregation keeps `cluster`, except absent()/group() over nothing, which have no series to split
      const aggregations = [...a.expr.matchAll(/\b(?:max|min|sum|topk|group) by \(([^)]*)\)/g)];
      expect(aggregations.length, a.alert).toBeGreaterThan(0);
      for (const [, labels] of aggregations)
        expect(labels?.split(", ")[0], `${a.alert}: by (${labels})`).toBe("cluster");
      for (const on of a.expr.matchAll(/\b(?:on|and on|unless on|or on) \(([^)]*)\)/g)) {
        if (on[1] !== "") expect(on[1]?.split(", ")[0], `${a.alert}: ${on[0]}`).toBe("cluster");
      }
      expect(a.annotations.description, a.alert).toContain("{{ with $labels.cluster }} in cluster {{ . }}{{ end }}");
    }
  });

  it("descriptions of nodeclass and subnet alerts name both the nodeclass and the subnet", () => {
    const objectAlerts = allAlerts().filter((a) => a.expr.includes("nodeclass"));
    expect(objectAlerts.length).toBe(11);
    for (const a of objectAlerts) {
      expect(a.annotations.description, a.alert).toContain("{{ $labels.nodeclass }}");
      expect(a.annotations.description, a.alert).toMatch(/\{\{ \$labels\.vnet \}\}|\$labels\.subnet_id/);
    }
  });

  it("critical only for what blocks new nodes now or soon; advisories and the operator's own health are warnings", () => {
    const critical = allAlerts()
      .filter((a) => a.labels.severity === "critical")
      .map((a) => a.alert)
      .sort();
    expect(critical).toEqual(
      [
        "AKSSubnetFreeIPsCritical",
        "AKSSubnetFull",
        "AKSSubnetIPsExhaustionPredicted",
        "AKSNodeClassSubnetNotReady",
        "AKSNodeClassSubnetAccessDenied",
      ].sort(),
    );
  });

  it("the cluster label name and the Unknown delay are set at generation", () => {
    const groups = buildRuleGroups({ clusterLabel: "aks_cluster", unknownFor: "45m" });
    for (const a of allAlerts(groups)) {
      expect(a.expr, a.alert).not.toMatch(/\bcluster\b/);
      expect(a.annotations.description, a.alert).not.toMatch(/\$labels\.cluster\b/);
    }
    expect(allAlerts(groups).find((a) => a.alert === "AKSNodeClassSubnetUnknown")?.for).toBe("45m");
    expect(() => buildRuleGroups({ clusterLabel: "cluster-name" })).toThrow(/not a label name/);
    expect(() => buildRuleGroups({ unknownFor: "half an hour" })).toThrow(/not a Prometheus duration/);
  });
});
