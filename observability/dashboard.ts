/**
 * The aks-subnet-health Grafana dashboard, as code (@grafana/grafana-foundation-sdk, pinned 0.0.21).
 * `generate.ts` renders it to manifests/grafana-dashboard.json and a ConfigMap for Grafana's sidecar.
 *
 * Every panel and target uses the `$datasource` variable, so the dashboard works on any Prometheus
 * datasource. Gauges are aggregated over the identifying labels so that a leader change (the series moving
 * to another pod) shows as one continuous line, not two half lines.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { CAPACITY_THRESHOLDS } from "./alerts.js";

export const DASHBOARD_UID = "aks-subnet-health";
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** Row titles, in order; tests look panels up by these. */
export const ROWS = {
  overview: "Overview",
  capacity: "Capacity",
  access: "Access & network plan",
  drift: "Drift",
  operator: "Operator",
} as const;

const m = (name: string): string => `aks_subnet_health_${name}`;
/** Every query is filtered by the cluster variable and keeps `cluster` in its aggregations. */
const CL = `cluster=~"$cluster"`;
const NC = `${CL}, nodeclass=~"$nodeclass"`;
const SUBNET_SEL = `${CL}, vnet=~"$vnet", subnet=~"$subnet"`;
const SUBNET_KEY = "cluster, subscription_id, resource_group, vnet, subnet";

interface QuerySpec {
  expr: string;
  legend?: string;
  /** instant query in table format (for table and stat panels) */
  instant?: boolean;
}

type PanelBuilderLike = cog.Builder<dashboard.Panel> & {
  id(id: number): unknown;
  datasource(ds: common.DataSourceRef): unknown;
  withTarget(t: cog.Builder<cog.Dataquery>): unknown;
};

function target(q: QuerySpec, refId: string): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder().datasource(DATASOURCE).refId(refId).expr(q.expr);
  if (q.legend !== undefined) b.legendFormat(q.legend);
  if (q.instant) b.instant().format(prometheus.PromQueryFormat.Table);
  else b.range();
  return b;
}

/** Gives panels stable, unique ids in the order they are added (the SDK leaves ids unset). */
class Ids {
  private next = 1;
  take(): number {
    return this.next++;
  }
}

function withQueries<T extends PanelBuilderLike>(ids: Ids, panel: T, queries: QuerySpec[]): T {
  panel.id(ids.take());
  panel.datasource(DATASOURCE);
  queries.forEach((q, i) => panel.withTarget(target(q, String.fromCharCode(65 + i))));
  return panel;
}

function thresholds(steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function ts(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .span(12)
    .height(8)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Ascending),
    );
}

function single(title: string, description: string, unit: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .span(6)
    .height(5)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .graphMode(common.BigValueGraphMode.None);
}

function tbl(title: string, description: string, unit: string): table.PanelBuilder {
  return new table.PanelBuilder().title(title).description(description).unit(unit).span(12).height(8);
}

function variables(): cog.Builder<dashboard.VariableModel>[] {
  const labelVar = (name: string, label: string, query: string): dashboard.QueryVariableBuilder =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(DATASOURCE)
      .query(query)
      .definition(query)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue(".*")
      .current({ text: "All", value: "$__all" });
  return [
    new dashboard.DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    // Azure managed Prometheus (and most multi-cluster setups) label every series with `cluster`; with one
    // cluster per Prometheus and no such label, "All" (.*) still matches every series.
    labelVar("cluster", "Cluster", `label_values(${m("build_info")}, cluster)`),
    labelVar("nodeclass", "AKSNodeClass", `label_values(${m("nodeclass_info")}{${CL}}, nodeclass)`),
    labelVar("vnet", "VNet", `label_values(${m("subnet_ips_capacity")}{${CL}}, vnet)`),
    labelVar("subnet", "Subnet", `label_values(${m("subnet_ips_capacity")}{${CL}, vnet=~"$vnet"}, subnet)`),
  ];
}

function overviewRow(ids: Ids, d: dashboard.DashboardBuilder): void {
  const notReady = `max by (cluster, nodeclass) (${m("nodeclass_condition")}{type="SubnetReady", status="False", ${NC}}) == 1`;
  d.withRow(new dashboard.RowBuilder(ROWS.overview).id(ids.take()));
  d.withPanel(
    withQueries(
      ids,
      single(
        "Subnets not ready",
        "Distinct subnets used by at least one AKSNodeClass whose SubnetReady condition is False.",
        "short",
      )
        .thresholds(
          thresholds([
            [null, "green"],
            [1, "red"],
          ]),
        )
        .colorMode(common.BigValueColorMode.Background),
      [
        {
          expr: `count(count by (cluster, subnet_id) (max by (cluster, nodeclass, subnet_id) (${m("nodeclass_info")}{${NC}}) * on (cluster, nodeclass) group_left () (${notReady}))) or vector(0)`,
          legend: "subnets",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      single(
        "NodeClasses by SubnetReady status",
        "How many AKSNodeClasses have SubnetReady True, False or Unknown.",
        "short",
      ).textMode(common.BigValueTextMode.ValueAndName),
      [
        {
          // a status no nodeclass has shows 0: the condition series exists only for the current status
          expr: [
            `sum by (status) (max by (cluster, nodeclass, status) (${m("nodeclass_condition")}{type="SubnetReady", ${NC}}))`,
            ...["True", "False", "Unknown"].map((s) => `label_replace(vector(0), "status", "${s}", "", "")`),
          ].join(" or "),
          legend: "{{status}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      single(
        "Lowest node headroom",
        "Fewest additional nodes any selected AKSNodeClass can still get IPs for.",
        "short",
      ).thresholds(
        thresholds([
          [null, "red"],
          [CAPACITY_THRESHOLDS.criticalHeadroom, "orange"],
          [CAPACITY_THRESHOLDS.warningHeadroom, "green"],
        ]),
      ),
      [{ expr: `min(${m("nodeclass_node_headroom")}{${NC}})`, legend: "headroom" }],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      single("Highest subnet utilization", "Fullest selected subnet (used / usable IPs).", "percentunit")
        .min(0)
        .max(1)
        .thresholds(
          thresholds([
            [null, "green"],
            [CAPACITY_THRESHOLDS.warningUtilization, "orange"],
            [CAPACITY_THRESHOLDS.criticalUtilization, "red"],
          ]),
        ),
      [{ expr: `max(${m("subnet_utilization_ratio")}{${SUBNET_SEL}})`, legend: "utilization" }],
    ),
  );
}

function capacityRow(ids: Ids, d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder(ROWS.capacity).id(ids.take()));
  d.withPanel(
    withQueries(
      ids,
      ts("Free IPs per subnet", "Usable IPs not yet allocated, per subnet (Azure's subnet usage).", "short").min(0),
      [
        {
          expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_available")}{${SUBNET_SEL}})`,
          legend: "{{cluster}} {{vnet}}/{{subnet}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      ts("Subnet utilization", "Used / usable IPs per subnet. The alert thresholds are drawn as lines.", "percentunit")
        .min(0)
        .max(1)
        .thresholds(
          thresholds([
            [null, "green"],
            [CAPACITY_THRESHOLDS.warningUtilization, "orange"],
            [CAPACITY_THRESHOLDS.criticalUtilization, "red"],
          ]),
        )
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line)),
      [
        {
          expr: `max by (${SUBNET_KEY}) (${m("subnet_utilization_ratio")}{${SUBNET_SEL}})`,
          legend: "{{cluster}} {{vnet}}/{{subnet}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      ts(
        "Node headroom per nodeclass",
        "How many more nodes of this nodeclass (at its maxPods) the subnet's free IPs allow.",
        "short",
      )
        .min(0)
        .thresholds(
          thresholds([
            [null, "red"],
            [CAPACITY_THRESHOLDS.criticalHeadroom, "orange"],
            [CAPACITY_THRESHOLDS.warningHeadroom, "green"],
          ]),
        )
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Line)),
      [
        {
          expr: `min by (cluster, nodeclass) (${m("nodeclass_node_headroom")}{${NC}})`,
          legend: "{{cluster}} {{nodeclass}}",
        },
      ],
    ),
  );
  const subnetTable = tbl("Subnets", "Current IP figures per subnet.", "short")
    .withTransformation({ id: "merge", options: {} })
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: { Time: true },
        renameByName: { "Value #A": "Total", "Value #B": "Used", "Value #C": "Free", "Value #D": "Utilization" },
      },
    })
    .overrideByName("Utilization", [{ id: "unit", value: "percentunit" }]);
  d.withPanel(
    withQueries(ids, subnetTable, [
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_capacity")}{${SUBNET_SEL}})`, instant: true },
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_used")}{${SUBNET_SEL}})`, instant: true },
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_available")}{${SUBNET_SEL}})`, instant: true },
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_utilization_ratio")}{${SUBNET_SEL}})`, instant: true },
    ]),
  );
  // the capacity plan next to what is free now and when it runs out at today's pace
  const planTable = tbl(
    "Capacity plan: free IPs vs IPs needed at NodePool limits",
    "Per subnet: free IPs now, the IPs its NodePools would hold at their limits (docs/capacity-planning.md), how many " +
      "IPs it would be short at those limits, and when free IPs run out at the pace of the last 6 hours (1 year " +
      "means not within a year, or not falling).",
    "short",
  )
    .withTransformation({ id: "merge", options: {} })
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: { Time: true },
        renameByName: {
          "Value #A": "Free IPs",
          "Value #B": "IPs needed at limits",
          "Value #C": "Short at limits",
          "Value #D": "Free IPs run out in",
        },
      },
    })
    .overrideByName("Free IPs run out in", [{ id: "unit", value: "s" }])
    .overrideByName("Short at limits", [
      {
        id: "thresholds",
        value: {
          mode: "absolute",
          steps: [
            { value: null, color: "green" },
            { value: 1, color: "orange" },
          ],
        },
      },
      { id: "custom.cellOptions", value: { type: "color-background" } },
    ]);
  const free = `max by (${SUBNET_KEY}) (${m("subnet_ips_available")}{${SUBNET_SEL}})`;
  d.withPanel(
    withQueries(ids, planTable, [
      { expr: free, instant: true },
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_needed_at_limits")}{${SUBNET_SEL}})`, instant: true },
      { expr: `max by (${SUBNET_KEY}) (${m("subnet_ips_short_at_limits")}{${SUBNET_SEL}})`, instant: true },
      {
        // seconds until free IPs reach 0 at the last 6 hours' pace, capped at a year (also shown while they do not fall)
        expr: `clamp_max(${free} / clamp_min(-max by (${SUBNET_KEY}) (deriv(${m("subnet_ips_available")}{${SUBNET_SEL}}[6h])), 1e-9), ${365 * 24 * 3600})`,
        instant: true,
      },
    ]),
  );
}

function accessRow(ids: Ids, d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder(ROWS.access).id(ids.take()));
  d.withPanel(
    withQueries(
      ids,
      tbl("Access per nodeclass", "Whether Karpenter's identity may read and join each nodeclass's subnet.", "short"),
      [{ expr: `max by (cluster, nodeclass, action, result) (${m("nodeclass_access")}{${NC}}) == 1`, instant: true }],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      tbl(
        "Access and network plan reasons",
        "Current reasons of the SubnetAccess and NetworkPlan conditions.",
        "short",
      ),
      [
        {
          expr: `max by (cluster, nodeclass, type, status, reason) (${m("nodeclass_condition")}{type=~"SubnetAccess|NetworkPlan", ${NC}})`,
          instant: true,
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      ts(
        "CIDR conflicts",
        "Overlaps of each nodeclass's subnet with pod, service, reserved or other nodeclasses' ranges (only those with one).",
        "short",
      ).min(0),
      [
        {
          expr: `max by (cluster, nodeclass, with) (${m("nodeclass_cidr_conflicts")}{${NC}})`,
          legend: "{{cluster}} {{nodeclass}} vs {{with}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      tbl(
        "Cluster networking",
        "The cluster's network configuration and whether node autoprovisioning supports it (1 = supported).",
        "short",
      ),
      [
        {
          expr: `max by (cluster, plugin, mode, policy, dataplane) (${m("cluster_network_supported")}{${CL}})`,
          instant: true,
        },
      ],
    ),
  );
}

function driftRow(ids: Ids, d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder(ROWS.drift).id(ids.take()));
  d.withPanel(
    withQueries(
      ids,
      new statetimeline.PanelBuilder()
        .title("Drift by nodeclass")
        .description(
          "Drift kinds present on each nodeclass (migration, correction, prefix-changed, subnet-deleted, default-changed, nodes-outside); absent kinds are not drawn.",
        )
        .unit("bool_on_off")
        .span(12)
        .height(8),
      [
        {
          expr: `max by (cluster, nodeclass, kind) (${m("nodeclass_drift")}{${NC}})`,
          legend: "{{cluster}} {{nodeclass}} {{kind}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      ts(
        "Nodes outside their nodeclass's subnet",
        "Nodes of the nodeclass whose IPs are not in its current subnet (nodeclasses with none are not drawn).",
        "short",
      ).min(0),
      [
        {
          expr: `max by (cluster, nodeclass) (${m("nodeclass_drift")}{kind="nodes-outside", ${NC}})`,
          legend: "{{cluster}} {{nodeclass}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      tbl(
        "Nodeclass subnets",
        "Which subnet each nodeclass resolves to, and whether it comes from spec.vnetSubnetID or the cluster default.",
        "short",
      ),
      [{ expr: `max by (cluster, nodeclass, subnet_id, source) (${m("nodeclass_info")}{${NC}})`, instant: true }],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      tbl("SubnetStable reasons", "Current reason of the SubnetStable condition per nodeclass.", "short"),
      [
        {
          expr: `max by (cluster, nodeclass, status, reason) (${m("nodeclass_condition")}{type="SubnetStable", ${NC}})`,
          instant: true,
        },
      ],
    ),
  );
}

function operatorRow(ids: Ids, d: dashboard.DashboardBuilder): void {
  const rate = (metric: string, by: string): string =>
    `sum by (cluster, ${by}) (rate(${m(metric)}{${CL}}[$__rate_interval]))`;
  d.withRow(new dashboard.RowBuilder(ROWS.operator).id(ids.take()));
  d.withPanel(
    withQueries(ids, ts("Reconciles by result", "Reconcile rate, split into success, error and skipped.", "ops"), [
      { expr: rate("reconcile_total", "result"), legend: "{{cluster}} {{result}}" },
    ]),
  );
  d.withPanel(
    withQueries(ids, ts("Reconcile duration p95", "95th percentile of the time one reconcile takes.", "s"), [
      {
        expr: `histogram_quantile(0.95, sum by (cluster, le) (rate(${m("reconcile_duration_seconds_bucket")}{${CL}}[$__rate_interval])))`,
        legend: "{{cluster}} p95",
      },
    ]),
  );
  d.withPanel(
    withQueries(
      ids,
      ts("Azure requests by code", "ARM requests per operation and HTTP status (or error class).", "reqps"),
      [{ expr: rate("azure_requests_total", "operation, code"), legend: "{{cluster}} {{operation}} {{code}}" }],
    ),
  );
  d.withPanel(
    withQueries(ids, ts("Azure latency p95", "95th percentile ARM request latency per operation.", "s"), [
      {
        expr: `histogram_quantile(0.95, sum by (cluster, operation, le) (rate(${m("azure_request_duration_seconds_bucket")}{${CL}}[$__rate_interval])))`,
        legend: "{{cluster}} {{operation}}",
      },
    ]),
  );
  d.withPanel(
    withQueries(ids, ts("Azure throttling", "Requests Azure answered with 429, per operation.", "reqps"), [
      { expr: rate("azure_throttled_total", "operation"), legend: "{{cluster}} {{operation}}" },
    ]),
  );
  d.withPanel(
    withQueries(
      ids,
      ts("Subnet data age", "Time since the subnet's Azure data was last refreshed. Alerts above 15 minutes.", "s").min(
        0,
      ),
      [
        {
          expr: `max by (${SUBNET_KEY}) (${m("subnet_data_age_seconds")}{${SUBNET_SEL}})`,
          legend: "{{cluster}} {{vnet}}/{{subnet}}",
        },
      ],
    ),
  );
  d.withPanel(
    withQueries(ids, ts("Status writes", "Writes of AKSNodeClass status by result (conflicts are retried).", "ops"), [
      { expr: rate("status_writes_total", "result"), legend: "{{cluster}} {{result}}" },
    ]),
  );
  d.withPanel(
    withQueries(ids, ts("Work queue depth", "Nodeclasses waiting to be reconciled, per replica.", "short").min(0), [
      { expr: `max by (cluster, instance) (${m("workqueue_depth")}{${CL}})`, legend: "{{cluster}} {{instance}}" },
    ]),
  );
  d.withPanel(
    withQueries(
      ids,
      new statetimeline.PanelBuilder()
        .title("Leader")
        .description("Which replica holds the leader lease (only the leader reconciles and exports subnet metrics).")
        .unit("bool_yes_no")
        .span(12)
        .height(6),
      [{ expr: `max by (cluster, instance) (${m("leader")}{${CL}})`, legend: "{{cluster}} {{instance}}" }],
    ),
  );
  d.withPanel(
    withQueries(
      ids,
      tbl("Versions", "Running operator versions and how many replicas run each.", "short").span(12).height(6),
      [{ expr: `count by (cluster, version) (${m("build_info")}{${CL}})`, instant: true }],
    ),
  );
}

export function dashboardBuilder(): dashboard.DashboardBuilder {
  const ids = new Ids();
  const d = new dashboard.DashboardBuilder("AKS subnet health")
    .uid(DASHBOARD_UID)
    .description(
      "Azure subnets behind Karpenter AKSNodeClasses: readiness, IP capacity, access, network plan, drift and the operator itself.",
    )
    .tags(["aks", "karpenter", "azure", "subnet"])
    .editable()
    .refresh("1m")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables(variables());
  overviewRow(ids, d);
  capacityRow(ids, d);
  accessRow(ids, d);
  driftRow(ids, d);
  operatorRow(ids, d);
  return d;
}

export function buildDashboard(): dashboard.Dashboard {
  return dashboardBuilder().build();
}
