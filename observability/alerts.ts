/**
 * Prometheus alert rules for aks-subnet-health, built as data. `generate.ts` writes them as a plain rules file
 * (promtool), a PrometheusRule (Prometheus Operator) and Azure Prometheus rule groups (Bicep and ARM JSON), all
 * from `buildRuleGroups()`, so the four never drift.
 *
 * Conventions the expressions follow, and why:
 * - Every alert aggregates by the cluster label (`cluster` by default, `clusterLabel` at generation): one
 *   Prometheus or Azure Monitor workspace usually holds many clusters, and their alerts must neither merge nor
 *   hide each other. Without that label (one cluster per Prometheus) the same rules work unchanged.
 * - Gauges are aggregated with `max by (...)`/`min by (...)` over the identifying labels only. With two
 *   replicas, a leader change moves the series to another pod/instance; without aggregation an alert's
 *   identity would change and its `for:` would restart on every failover.
 * - Joins use `topk by (...) (1, ...)` on the "one" side so that a stale series left behind by the exporter
 *   cannot turn into a "duplicate series" evaluation error that silences the alert.
 * - Object alerts are per nodeclass and name its subnet: `nodeclass`, `subnet_id`, and `resource_group`,
 *   `vnet`, `subnet` cut out of the ID with label_replace, so they exist even when the subnet does not.
 * - `critical` only for what blocks new nodes now or soon; everything else is `warning`.
 */

export type Severity = "critical" | "warning";

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

export interface RuleOptions {
  /** Label that names the cluster on every series (Azure managed Prometheus adds `cluster`). */
  clusterLabel?: string;
  /** How long SubnetReady may stay Unknown before AKSNodeClassSubnetUnknown fires. */
  unknownFor?: string;
  /** How far back an operator counts as "installed in this cluster" for AKSSubnetHealthOperatorDown. */
  operatorLookback?: string;
}

export const DEFAULT_RULE_OPTIONS: Required<RuleOptions> = {
  clusterLabel: "cluster",
  unknownFor: "30m",
  operatorLookback: "1d",
};

export const RUNBOOK_BASE = "https://github.com/aks-subnet-health/aks-subnet-health/blob/main/docs/alerts.md";

/** GitHub's heading anchor for a `## AlertName` heading: lower-cased name. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_BASE}#${runbookAnchor(alert)}`;
}

/** Thresholds the capacity alerts use; docs/alerts.md quotes the same numbers. */
export const CAPACITY_THRESHOLDS = {
  warningUtilization: 0.8,
  warningHeadroom: 10,
  criticalUtilization: 0.95,
  criticalHeadroom: 2,
  staleDataSeconds: 900,
  reconcileErrorRatio: 0.1,
} as const;

/** HTTP codes that are answers, not failures: 2xx, 404 (existence reports it) and 429 (its own alert). */
export const AZURE_ANSWER_CODES = "2..|404|429";

const m = (name: string): string => `aks_subnet_health_${name}`;

/** A Prometheus label name we can also use as `$labels.<name>` in Go templates. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DURATION = /^[0-9]+(ms|s|m|h|d|w|y)$/;

export function buildRuleGroups(options: RuleOptions = {}): RuleGroup[] {
  const o = { ...DEFAULT_RULE_OPTIONS, ...options };
  const C = o.clusterLabel;
  if (!LABEL_NAME.test(C) || C.startsWith("__"))
    throw new Error(`clusterLabel ${JSON.stringify(C)} is not a label name`);
  for (const [k, v] of [
    ["unknownFor", o.unknownFor],
    ["operatorLookback", o.operatorLookback],
  ] as const) {
    if (!DURATION.test(v)) throw new Error(`${k} ${JSON.stringify(v)} is not a Prometheus duration`);
  }

  // ---- building blocks -------------------------------------------------------------------------------------
  /** " in cluster <name>" when the series carry the cluster label, "" otherwise. */
  const inCluster = `{{ with $labels.${C} }} in cluster {{ . }}{{ end }}`;
  const subnetName = "{{ $labels.vnet }}/{{ $labels.subnet }}";
  const subnetText = `${subnetName} (resource group {{ $labels.resource_group }})`;
  const nodeclassText = `AKSNodeClass {{ $labels.nodeclass }}${inCluster}`;

  const cut = (expr: string, label: string, regex: string): string =>
    `label_replace(${expr}, "${label}", "$1", "subnet_id", "${regex}")`;
  /** One series per nodeclass: its subnet ID and the ID's parts as labels, value 1. */
  const nodeclassSubnet = cut(
    cut(
      cut(
        `topk by (${C}, nodeclass) (1, max by (${C}, nodeclass, subnet_id) (${m("nodeclass_info")}))`,
        "resource_group",
        "/subscriptions/[^/]+/resourcegroups/([^/]+)/.*",
      ),
      "vnet",
      ".*/virtualnetworks/([^/]+)/subnets/.*",
    ),
    "subnet",
    ".*/subnets/([^/]+)",
  );
  /** A per-subnet value repeated for each nodeclass on the subnet, with the nodeclass's labels. */
  const perNodeclass = (subnetValue: string): string =>
    `${nodeclassSubnet}\n* on (${C}, subnet_id) group_left ()\n${subnetValue}`;
  /** A per-nodeclass alert with its subnet's labels added (kept without them if the info series is missing). */
  const withSubnet = (expr: string): string =>
    `(${expr})\n* on (${C}, nodeclass) group_left (subnet_id, resource_group, vnet, subnet)\n${nodeclassSubnet}\nor on (${C}, nodeclass)\n(${expr})`;
  /** 1 per nodeclass whose condition `type` has `status` (the condition series is present only for its status). */
  const conditionIs = (type: string, status: string): string =>
    `max by (${C}, nodeclass) (${m("nodeclass_condition")}{type="${type}", status="${status}"}) == 1`;
  /** The same with the condition's current reason as a label (one reason per nodeclass, also across a failover). */
  const conditionWithReason = (type: string, status: string): string =>
    `topk by (${C}, nodeclass) (1, max by (${C}, nodeclass, reason) (${m("nodeclass_condition")}{type="${type}", status="${status}"}) == 1)`;

  const bySubnet = (metric: string): string => `max by (${C}, subnet_id) (${m(metric)})`;
  const utilization = perNodeclass(bySubnet("subnet_utilization_ratio"));
  const headroom = `min by (${C}, nodeclass) (${m("nodeclass_node_headroom")})`;
  const lowCapacity = (ratio: number, nodes: number): string =>
    `(${utilization}) > ${ratio}\nor\n(${utilization})\nand on (${C}, nodeclass)\n(${headroom} < ${nodes})`;

  const rule = (r: Omit<AlertRule, "annotations"> & { summary: string; description: string }): AlertRule => {
    const { summary, description, ...rest } = r;
    return { ...rest, annotations: { summary, description, runbook_url: runbookUrl(r.alert) } };
  };

  // ---- capacity: per nodeclass on a subnet ---------------------------------------------------------------
  const capacity: RuleGroup = {
    name: "aks-subnet-health.capacity",
    rules: [
      rule({
        alert: "AKSSubnetLowFreeIPs",
        expr: lowCapacity(CAPACITY_THRESHOLDS.warningUtilization, CAPACITY_THRESHOLDS.warningHeadroom),
        for: "15m",
        labels: { severity: "warning" },
        summary: `Subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} is running low on free IPs.`,
        description:
          `Subnet ${subnetText} of ${nodeclassText} is {{ $value | humanizePercentage }} used, or the nodeclass has ` +
          `room for fewer than ${CAPACITY_THRESHOLDS.warningHeadroom} more nodes. Add room before Karpenter cannot add nodes there.`,
      }),
      rule({
        alert: "AKSSubnetFreeIPsCritical",
        expr: lowCapacity(CAPACITY_THRESHOLDS.criticalUtilization, CAPACITY_THRESHOLDS.criticalHeadroom),
        for: "5m",
        labels: { severity: "critical" },
        summary: `Subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} is almost out of IPs.`,
        description:
          `Subnet ${subnetText} of ${nodeclassText} is {{ $value | humanizePercentage }} used, or the nodeclass has ` +
          `room for fewer than ${CAPACITY_THRESHOLDS.criticalHeadroom} more nodes. New nodes will fail to get an IP very soon.`,
      }),
      rule({
        alert: "AKSSubnetFull",
        expr: `(${perNodeclass(bySubnet("subnet_ips_available"))}) == 0\nand on (${C}, subnet_id)\n(${bySubnet("subnet_ips_capacity")} > 0)`,
        for: "1m",
        labels: { severity: "critical" },
        summary: `Subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} has no free IPs.`,
        description:
          `Subnet ${subnetText} of ${nodeclassText} has 0 free IPs. Karpenter cannot create nodes for this ` +
          `nodeclass until IPs are freed or the nodeclass moves to a subnet with room.`,
      }),
      rule({
        alert: "AKSSubnetIPsExhaustionPredicted",
        expr:
          `(${perNodeclass(`max by (${C}, subnet_id) (predict_linear(${m("subnet_ips_available")}[6h], 24 * 3600))`)}) <= 0\n` +
          `and on (${C}, subnet_id)\n(${bySubnet("subnet_ips_available")} > 0)`,
        for: "30m",
        labels: { severity: "critical" },
        summary: `Subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} is predicted to run out of IPs within 24h.`,
        description:
          `At the pace of the last 6 hours, subnet ${subnetText} of ${nodeclassText} has no free IPs left ` +
          `within 24 hours. Add room or cap the NodePools before new nodes fail.`,
      }),
      rule({
        alert: "AKSSubnetShortAtNodePoolLimits",
        // a plan, not an outage: limits change by hand, so half an hour rules out a limit being edited
        expr: `(${perNodeclass(bySubnet("subnet_ips_short_at_limits"))}) > 0`,
        for: "30m",
        labels: { severity: "warning" },
        summary: `Subnet ${subnetName} cannot hold what the NodePools of AKSNodeClass {{ $labels.nodeclass }} may scale to.`,
        description:
          `At their limits the NodePools using subnet ${subnetText} need {{ $value }} more IPs than it can hold ` +
          `(${nodeclassText} is one of its nodeclasses). Nodes launch today, but a scale-out to those limits fails: ` +
          "lower a NodePool limit, give the subnet a bigger prefix or move to Azure CNI Overlay. The SubnetCapacity " +
          "condition names the NodePools and the limit or prefix that would fit.",
      }),
      rule({
        alert: "AKSSubnetDataStale",
        expr: `(${perNodeclass(bySubnet("subnet_data_age_seconds"))}) > ${CAPACITY_THRESHOLDS.staleDataSeconds}`,
        for: "5m",
        labels: { severity: "warning" },
        summary: `Azure data for subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} is stale.`,
        description:
          `The operator could not refresh Azure data for subnet ${subnetText} of ${nodeclassText} for ` +
          `{{ $value | humanizeDuration }}. Its capacity figures and conditions are out of date.`,
      }),
    ],
  };

  // ---- nodeclass conditions ------------------------------------------------------------------------------
  const subnetFoundFalse = conditionIs("SubnetFound", "False");
  const nodeclass: RuleGroup = {
    name: "aks-subnet-health.nodeclass",
    rules: [
      rule({
        alert: "AKSNodeClassSubnetNotReady",
        expr: withSubnet(conditionWithReason("SubnetReady", "False")),
        for: "10m",
        labels: { severity: "critical" },
        summary: "AKSNodeClass {{ $labels.nodeclass }} cannot get new nodes in its subnet (SubnetReady=False).",
        description:
          `${nodeclassText} reports SubnetReady=False{{ with $labels.reason }} (reason {{ . }}){{ end }} for subnet ` +
          `{{ with $labels.subnet_id }}{{ . }}{{ else }}(none resolved){{ end }}. Karpenter cannot launch nodes for it; ` +
          "the fix is in `kubectl describe aksnodeclass {{ $labels.nodeclass }}`.",
      }),
      rule({
        alert: "AKSNodeClassSubnetUnknown",
        expr: withSubnet(conditionWithReason("SubnetReady", "Unknown")),
        for: o.unknownFor,
        labels: { severity: "warning" },
        summary: "The operator cannot tell whether AKSNodeClass {{ $labels.nodeclass }} can get new nodes.",
        description:
          `${nodeclassText} has reported SubnetReady=Unknown{{ with $labels.reason }} (reason {{ . }}){{ end }} for ` +
          `${o.unknownFor} for subnet {{ with $labels.subnet_id }}{{ . }}{{ else }}(none resolved){{ end }}: Azure does ` +
          "not answer the operator (often: its identity lacks Reader on the subscription or VNet). Nothing warns " +
          "about this subnet until it is fixed.",
      }),
      rule({
        alert: "AKSNodeClassSubnetAccessDenied",
        // A subnet that does not exist is AKSNodeClassSubnetNotReady (SubnetNotFound), not an access problem.
        expr: withSubnet(
          `max by (${C}, nodeclass, action) (${m("nodeclass_access")}{action=~"read|join", result="denied"}) == 1\n` +
            `unless on (${C}, nodeclass)\n(${subnetFoundFalse})`,
        ),
        for: "5m",
        labels: { severity: "critical" },
        summary:
          "Karpenter may not {{ $labels.action }} subnet {{ $labels.vnet }}/{{ $labels.subnet }} of AKSNodeClass {{ $labels.nodeclass }}.",
        description:
          `Azure RBAC denies Karpenter's identity the subnet {{ $labels.action }} permission on subnet ${subnetText} ` +
          `of ${nodeclassText}. Node creation for this nodeclass fails with AuthorizationFailed.`,
      }),
      rule({
        alert: "AKSNodeClassCIDRConflict",
        expr: withSubnet(`max by (${C}, nodeclass, with) (${m("nodeclass_cidr_conflicts")}) > 0`),
        for: "5m",
        labels: { severity: "warning" },
        summary: `Subnet ${subnetName} of AKSNodeClass {{ $labels.nodeclass }} overlaps {{ $labels.with }} address space.`,
        description:
          `Subnet ${subnetText} of ${nodeclassText} has {{ $value }} CIDR conflict(s) with the {{ $labels.with }} ` +
          "address space. Nodes in it may be unreachable or break pod/service routing.",
      }),
      rule({
        alert: "AKSNodeClassSubnetMigration",
        expr: withSubnet(`max by (${C}, nodeclass) (${m("nodeclass_drift")}{kind="migration"}) > 0`),
        for: "15m",
        labels: { severity: "warning" },
        summary: "AKSNodeClass {{ $labels.nodeclass }} is migrating to subnet {{ $labels.vnet }}/{{ $labels.subnet }}.",
        description:
          `${nodeclassText} has pointed at subnet ${subnetText} while its nodes use another for at least 15 minutes. ` +
          "Karpenter drifts and replaces those nodes; check that the new subnet has room for all of them.",
      }),
    ],
  };

  // ---- the operator itself ---------------------------------------------------------------------------------
  const buildInfo = m("build_info");
  const operator: RuleGroup = {
    name: "aks-subnet-health.operator",
    rules: [
      rule({
        alert: "AKSSubnetHealthOperatorDown",
        // Per cluster: seen within the lookback but not now (absent() cannot tell clusters apart), or running
        // without a leader. The absent() arm covers a Prometheus that has never seen the operator at all.
        expr: [
          `group by (${C}) (max_over_time(${buildInfo}[${o.operatorLookback}]))`,
          `unless on (${C})`,
          `group by (${C}) (${buildInfo})`,
          `or`,
          `max by (${C}) (${m("leader")}) == 0`,
          `or`,
          `absent(${buildInfo}) unless on () group(max_over_time(${buildInfo}[${o.operatorLookback}]))`,
        ].join("\n"),
        for: "5m",
        // Karpenter keeps launching nodes without us: a monitoring gap, not a blocker.
        labels: { severity: "warning" },
        summary: `aks-subnet-health is down or has no leader${inCluster}.`,
        description:
          `No aks-subnet-health replica${inCluster} is scraped with metrics, or none holds the leader lease. ` +
          "Subnet conditions, events, capacity metrics and every other aks-subnet-health alert for that cluster are stale.",
      }),
      rule({
        alert: "AKSSubnetHealthReconcileErrors",
        expr: [
          `sum by (${C}) (rate(${m("reconcile_total")}{result="error"}[10m]))`,
          `/`,
          `sum by (${C}) (rate(${m("reconcile_total")}[10m]))`,
          `> ${CAPACITY_THRESHOLDS.reconcileErrorRatio}`,
        ].join("\n"),
        for: "15m",
        labels: { severity: "warning" },
        summary: `aks-subnet-health reconciles are failing${inCluster}.`,
        description:
          `{{ $value | humanizePercentage }} of aks-subnet-health reconciles${inCluster} failed over the last 10 minutes. ` +
          "Conditions on AKSNodeClasses may be out of date.",
      }),
      rule({
        alert: "AKSSubnetHealthAzureRequestsFailing",
        expr: `sum by (${C}, operation, code) (rate(${m("azure_requests_total")}{code!~"${AZURE_ANSWER_CODES}"}[15m])) > 0`,
        for: "30m",
        labels: { severity: "warning" },
        summary: `Azure keeps failing aks-subnet-health's {{ $labels.operation }} requests with {{ $labels.code }}${inCluster}.`,
        description:
          `Azure Resource Manager has answered {{ $labels.operation }} requests of aks-subnet-health${inCluster} with ` +
          "{{ $labels.code }} in every 15-minute window for 30 minutes. Affected nodeclasses stay Unknown or keep old data; " +
          "401/403 means the operator's identity lacks a role, a connection error means no route to ARM.",
      }),
      rule({
        alert: "AKSSubnetHealthAzureThrottling",
        expr: `sum by (${C}, operation) (rate(${m("azure_throttled_total")}[5m])) > 0`,
        for: "15m",
        labels: { severity: "warning" },
        summary: `Azure Resource Manager is throttling aks-subnet-health ({{ $labels.operation }})${inCluster}.`,
        description:
          `Azure has answered {{ $labels.operation }} requests of aks-subnet-health${inCluster} with 429 for at least ` +
          '15 minutes ({{ $value | printf "%.3f" }}/s). Subnet data refreshes are delayed.',
      }),
    ],
  };

  return [capacity, nodeclass, operator];
}

export const ruleGroups: RuleGroup[] = buildRuleGroups();

export function allAlerts(groups: RuleGroup[] = ruleGroups): AlertRule[] {
  return groups.flatMap((g) => g.rules);
}
