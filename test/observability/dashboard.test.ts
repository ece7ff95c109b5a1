import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { buildDashboard, ROWS } from "../../observability/dashboard.js";
import { allPanels, type DashboardJson, panelsByRow, substituteVariables } from "./support/dashboard-walk.js";

const dash = buildDashboard() as unknown as DashboardJson;
const placed = panelsByRow(dash);
const DS_UID = "${datasource}";

/** Lezer's parser is error tolerant: a query is valid when its tree has no error node. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError)
        errors.push(`error at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
    },
  });
  return errors;
}

describe("Grafana dashboard", () => {
  it("has the datasource variable and cluster / nodeclass / vnet / subnet variables bound to it", () => {
    const vars = dash.templating.list;
    expect(vars.map((v) => v.name)).toEqual(["datasource", "cluster", "nodeclass", "vnet", "subnet"]);
    const ds = vars.find((v) => v.name === "datasource");
    expect(ds?.type).toBe("datasource");
    expect(ds?.query).toBe("prometheus");
    for (const name of ["cluster", "nodeclass", "vnet", "subnet"]) {
      const v = vars.find((x) => x.name === name);
      expect(v?.type, name).toBe("query");
      expect(v?.datasource?.uid, name).toBe(DS_UID);
    }
  });

  it("has the rows Overview, Capacity, Access & network plan, Drift and Operator, each with panels", () => {
    const rows = dash.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(Object.values(ROWS));
    for (const row of Object.values(ROWS)) expect(placed.filter((p) => p.row === row).length, row).toBeGreaterThan(0);
  });

  it("gives every panel (rows included) a unique id", () => {
    const ids = allPanels(dash).map((p) => p.id);
    expect(ids.every((id) => typeof id === "number")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("queries every panel and target through the datasource variable", () => {
    for (const { panel } of placed) {
      expect(panel.datasource?.uid, panel.title).toBe(DS_UID);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid, `${panel.title} ${t.refId}`).toBe(DS_UID);
    }
  });

  it("every query is valid PromQL once Grafana's variables are substituted", () => {
    const exprs = placed.flatMap(({ panel }) =>
      (panel.targets ?? []).map((t) => ({ title: panel.title, expr: t.expr ?? "" })),
    );
    expect(exprs.length).toBeGreaterThan(20);
    for (const { title, expr } of exprs) {
      expect(expr, title).not.toBe("");
      expect(promqlErrors(substituteVariables(expr)), `${title}: ${expr}`).toEqual([]);
    }
  });

  it("the PromQL check does flag a broken query", () => {
    expect(promqlErrors("sum by (nodeclass (aks_subnet_health_leader)")).not.toEqual([]);
  });

  it("uses $__rate_interval in every rate() and never a fixed window", () => {
    for (const { panel } of placed) {
      for (const t of panel.targets ?? []) {
        for (const m of (t.expr ?? "").matchAll(/\b(rate|increase)\(([^)]*)\)/g)) {
          expect(m[2], `${panel.title}: ${t.expr}`).toContain("[$__rate_interval]");
        }
      }
    }
  });

  it("sets units on every Capacity and Overview panel (ratios as percentunit)", () => {
    for (const { row, panel } of placed.filter((p) => p.row === ROWS.capacity || p.row === ROWS.overview)) {
      expect(panel.fieldConfig?.defaults?.unit, `${row}/${panel.title}`).toBeTruthy();
      if ((panel.targets ?? []).every((t) => t.expr?.includes("utilization_ratio"))) {
        expect(panel.fieldConfig?.defaults?.unit, panel.title).toBe("percentunit");
      }
    }
  });

  it("filters every query and every dependent variable by $cluster; graphs and tables keep cluster apart", () => {
    const exprs = [
      ...placed.flatMap(({ panel }) => (panel.targets ?? []).map((t) => ({ type: panel.type, expr: t.expr ?? "" }))),
      ...dash.templating.list
        .filter((v) => v.type === "query" && v.name !== "cluster")
        .map((v) => ({ type: "variable", expr: String(v.query) })),
    ];
    for (const { type, expr } of exprs) {
      for (const sel of expr.matchAll(/\baks_subnet_health_[a-z_]+(\{[^}]*\})?/g)) {
        expect(sel[1] ?? "", `${sel[0]} in ${expr}`).toContain('cluster=~"$cluster"');
      }
      // a stat panel sums over the selected clusters on purpose; every other aggregation keeps them apart
      const aggregations = [...expr.matchAll(/\b(?:max|min|sum|count) by \(([^)]*)\)/g)];
      for (const by of type === "stat" ? aggregations.slice(1) : aggregations) {
        expect(by[1]?.split(", "), `${by[0]} in ${expr}`).toContain("cluster");
      }
    }
  });

  it("filters per-subnet panels by $vnet/$subnet and per-nodeclass panels by $nodeclass", () => {
    for (const { panel } of placed) {
      for (const t of panel.targets ?? []) {
        const expr = t.expr ?? "";
        if (/aks_subnet_health_subnet_(ips|utilization)/.test(expr))
          expect(expr, panel.title).toContain('vnet=~"$vnet"');
        if (/aks_subnet_health_nodeclass_(node_headroom|access|drift|cidr_conflicts)/.test(expr)) {
          expect(expr, panel.title).toContain('nodeclass=~"$nodeclass"');
        }
      }
    }
  });
});
