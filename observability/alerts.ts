/**
 * Prometheus alert rules for aks-subnet-health, built as data. `generate.ts` writes them both as a plain
 * rules file (for promtool) and as a PrometheusRule (for the Prometheus Operator), so the two never drift.
 *
 * Conventions the expressions follow, and why:
 * - Gauges are aggregated with `max by (...)`/`min by (...)` over the identifying labels only. With two
 *   replicas, a leader change moves the series to another pod/instance; without aggregation an alert's
 *   identity would change and its `for:` would restart on every failover.
 * - Joins use `topk by (...) (1, ...)` on the "one" side so that a stale series left behind by the exporter
 *   cannot turn into a "duplicate series" evaluation error that silences the alert.
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

const SUBNET_LABELS = "subnet_id, subscription_id, resource_group, vnet, subnet";
const m = (name: string): string => `aks_subnet_health_${name}`;

const utilization = `max by (${SUBNET_LABELS}) (${m("subnet_utilization_ratio")})`;
const available = `max by (${SUBNET_LABELS}) (${m("subnet_ips_available")})`;
const tightestHeadroom = `min by (subnet_id) (${m("nodeclass_node_headroom")})`;

/**
 * Utilization above `ratio`, or any nodeclass on the subnet with headroom below `headroom`. Both arms return
 * the utilization series, so the alert keeps the same labels whichever arm matches.
 */
function lowCapacityExpr(ratio: number, headroom: number): string {
  return [
    `${utilization} > ${ratio}`,
    `or`,
    `(`,
    `  ${utilization}`,
    `  and on (subnet_id)`,
    `  (${tightestHeadroom} < ${headroom})`,
    `)`,
  ].join("\n");
}

const subnetText =
  "{{ $labels.vnet }}/{{ $labels.subnet }} (resource group {{ $labels.resource_group }}, subscription {{ $labels.subscription_id }})";

function rule(r: Omit<AlertRule, "annotations"> & { summary: string; description: string }): AlertRule {
  const { summary, description, ...rest } = r;
  return { ...rest, annotations: { summary, description, runbook_url: runbookUrl(r.alert) } };
}

const notReady = `max by (nodeclass) (${m("nodeclass_condition")}{type="SubnetReady", status="False"}) == 1`;
const readyReason = `topk by (nodeclass) (1, max by (nodeclass, reason) (${m("nodeclass_condition_reason")}{type="SubnetReady"}))`;

export const capacityGroup: RuleGroup = {
  name: "aks-subnet-health.capacity",
  rules: [
    rule({
      alert: "AKSSubnetLowFreeIPs",
      expr: lowCapacityExpr(CAPACITY_THRESHOLDS.warningUtilization, CAPACITY_THRESHOLDS.warningHeadroom),
      for: "15m",
      labels: { severity: "warning" },
      summary: "Subnet {{ $labels.vnet }}/{{ $labels.subnet }} is running low on free IPs.",
      description:
        `Subnet ${subnetText} is {{ $value | humanizePercentage }} used, or a nodeclass on it has fewer than ` +
        `${CAPACITY_THRESHOLDS.warningHeadroom} nodes of headroom left. Karpenter will soon be unable to add nodes there.`,
    }),
    rule({
      alert: "AKSSubnetFreeIPsCritical",
      expr: lowCapacityExpr(CAPACITY_THRESHOLDS.criticalUtilization, CAPACITY_THRESHOLDS.criticalHeadroom),
      for: "5m",
      labels: { severity: "critical" },
      summary: "Subnet {{ $labels.vnet }}/{{ $labels.subnet }} is almost out of IPs.",
      description:
        `Subnet ${subnetText} is {{ $value | humanizePercentage }} used, or a nodeclass on it has room for fewer than ` +
        `${CAPACITY_THRESHOLDS.criticalHeadroom} more nodes. New nodes will fail to get an IP very soon.`,
    }),
    rule({
      alert: "AKSSubnetFull",
      expr: [`${available} == 0`, `and on (subnet_id)`, `(max by (subnet_id) (${m("subnet_ips_total")}) > 0)`].join(
        "\n",
      ),
      for: "1m",
      labels: { severity: "critical" },
      summary: "Subnet {{ $labels.vnet }}/{{ $labels.subnet }} has no free IPs.",
      description:
        `Subnet ${subnetText} has 0 free IPs. Karpenter cannot create nodes in it: every new NodeClaim ` +
        `that uses this subnet fails until IPs are freed or the subnet is enlarged.`,
    }),
    rule({
      alert: "AKSSubnetIPsExhaustionPredicted",
      expr: [
        `max by (${SUBNET_LABELS}) (predict_linear(${m("subnet_ips_available")}[6h], 24 * 3600)) <= 0`,
        `and on (subnet_id)`,
        `(max by (subnet_id) (${m("subnet_ips_available")}) > 0)`,
      ].join("\n"),
      for: "30m",
      labels: { severity: "warning" },
      summary: "Subnet {{ $labels.vnet }}/{{ $labels.subnet }} is predicted to run out of IPs within 24h.",
      description:
        `At the rate of the last 6 hours, subnet ${subnetText} will have no free IPs left within 24 hours ` +
        `(predicted free IPs in 24h: {{ $value | printf "%.0f" }}).`,
    }),
    rule({
      alert: "AKSSubnetDataStale",
      expr: `max by (${SUBNET_LABELS}) (${m("subnet_data_age_seconds")}) > ${CAPACITY_THRESHOLDS.staleDataSeconds}`,
      for: "5m",
      labels: { severity: "warning" },
      summary: "Azure data for subnet {{ $labels.vnet }}/{{ $labels.subnet }} is stale.",
      description:
        `The operator could not refresh Azure data for subnet ${subnetText} for {{ $value | humanizeDuration }}. ` +
        `Capacity figures and conditions for this subnet are out of date.`,
    }),
  ],
};

export const nodeClassGroup: RuleGroup = {
  name: "aks-subnet-health.nodeclass",
  rules: [
    rule({
      alert: "AKSNodeClassSubnetNotReady",
      // The fallback arm keeps the alert firing (without a reason) when the reason series is missing.
      expr: [
        `(${notReady})`,
        `* on (nodeclass) group_left (reason)`,
        `${readyReason}`,
        `or on (nodeclass)`,
        `(${notReady})`,
      ].join("\n"),
      for: "10m",
      labels: { severity: "critical" },
      summary: "AKSNodeClass {{ $labels.nodeclass }} has SubnetReady=False.",
      description:
        "AKSNodeClass {{ $labels.nodeclass }} reports SubnetReady=False{{ with $labels.reason }} (reason {{ . }}){{ end }}. " +
        "Karpenter cannot reliably provision nodes for this nodeclass; see `kubectl describe aksnodeclass {{ $labels.nodeclass }}`.",
    }),
    rule({
      alert: "AKSNodeClassSubnetAccessDenied",
      expr: `max by (nodeclass, action) (${m("nodeclass_access")}{action=~"read|join", result="denied"}) == 1`,
      for: "5m",
      labels: { severity: "critical" },
      summary: "Karpenter may not {{ $labels.action }} the subnet of AKSNodeClass {{ $labels.nodeclass }}.",
      description:
        "The Azure role assignments deny Karpenter's identity the subnet {{ $labels.action }} permission for AKSNodeClass " +
        "{{ $labels.nodeclass }}. Node creation for this nodeclass fails with AuthorizationFailed.",
    }),
    rule({
      alert: "AKSNodeClassCIDRConflict",
      expr: `max by (nodeclass, with) (${m("nodeclass_cidr_conflicts")}) > 0`,
      for: "5m",
      labels: { severity: "warning" },
      summary: "The subnet of AKSNodeClass {{ $labels.nodeclass }} overlaps {{ $labels.with }} address space.",
      description:
        "The subnet of AKSNodeClass {{ $labels.nodeclass }} has {{ $value }} CIDR conflict(s) with the {{ $labels.with }} " +
        "address space. Nodes in it may be unreachable or break pod/service routing.",
    }),
    rule({
      alert: "AKSNodeClassSubnetMigration",
      expr: `max by (nodeclass) (${m("nodeclass_drift")}{kind="migration"}) == 1`,
      for: "15m",
      labels: { severity: "warning" },
      summary: "AKSNodeClass {{ $labels.nodeclass }} is migrating to another subnet.",
      description:
        "AKSNodeClass {{ $labels.nodeclass }} has pointed at a different subnet than its existing nodes use for at least 15 minutes. " +
        "Karpenter drifts and replaces those nodes; check that the new subnet has room for all of them.",
    }),
  ],
};

export const operatorGroup: RuleGroup = {
  name: "aks-subnet-health.operator",
  rules: [
    rule({
      alert: "AKSSubnetHealthOperatorDown",
      expr: [
        `absent(up{job=~".*aks-subnet-health.*"} == 1)`,
        `or`,
        `absent(${m("build_info")})`,
        `or`,
        `(max(${m("leader")}) == 0)`,
      ].join("\n"),
      for: "5m",
      labels: { severity: "critical" },
      summary: "aks-subnet-health is down or has no leader.",
      description:
        "No aks-subnet-health replica is up and exporting metrics, or none holds the leader lease. " +
        "Subnet health conditions, events and capacity metrics are not being updated.",
    }),
    rule({
      alert: "AKSSubnetHealthReconcileErrors",
      expr: [
        `sum(rate(${m("reconcile_total")}{result="error"}[10m]))`,
        `/`,
        `sum(rate(${m("reconcile_total")}[10m]))`,
        `> ${CAPACITY_THRESHOLDS.reconcileErrorRatio}`,
      ].join("\n"),
      for: "15m",
      labels: { severity: "warning" },
      summary: "aks-subnet-health reconciles are failing.",
      description:
        "{{ $value | humanizePercentage }} of aks-subnet-health reconciles failed over the last 10 minutes. " +
        "Conditions on AKSNodeClasses may be out of date.",
    }),
    rule({
      alert: "AKSSubnetHealthAzureThrottling",
      expr: `sum by (operation) (rate(${m("azure_throttled_total")}[5m])) > 0`,
      for: "15m",
      labels: { severity: "warning" },
      summary: "Azure Resource Manager is throttling aks-subnet-health ({{ $labels.operation }}).",
      description:
        "Azure has answered {{ $labels.operation }} requests with 429 for at least 15 minutes " +
        '({{ $value | printf "%.3f" }}/s). Subnet data refreshes are delayed.',
    }),
  ],
};

export const ruleGroups: RuleGroup[] = [capacityGroup, nodeClassGroup, operatorGroup];

export function allAlerts(): AlertRule[] {
  return ruleGroups.flatMap((g) => g.rules);
}
