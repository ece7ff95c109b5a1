/**
 * The promtool unit tests of the alert rules, as data: `generate.ts` writes them to
 * observability/tests/rules.test.yaml (run: promtool test rules observability/tests/rules.test.yaml).
 *
 * Written here rather than by hand in YAML because every case has two clusters ("east" and "west") whose
 * nodeclasses and subnets carry the SAME names and IDs: each alert must fire for the right cluster only, which
 * proves the rules never merge or hide clusters. The cluster label name is a parameter, so a test can render
 * the same cases for a non-default label. Expected annotations are spelled out as literal text (not rendered
 * from the rule templates), so a template that renders wrongly fails.
 */
import { stringify } from "yaml";
import { runbookUrl } from "../alerts.js";

const SUB = "00000000-0000-0000-0000-000000000001";
const EAST = "east";
const WEST = "west";

interface Place {
  nodeclass: string;
  rg: string;
  vnet: string;
  subnet: string;
}

const subnetId = (p: Place): string =>
  `/subscriptions/${SUB}/resourcegroups/${p.rg}/providers/microsoft.network/virtualnetworks/${p.vnet}/subnets/${p.subnet}`;

const A: Place = { nodeclass: "nc-a", rg: "rg-net", vnet: "vnet-hub", subnet: "snet-a" };
const B: Place = { nodeclass: "nc-b", rg: "rg-net", vnet: "vnet-hub", subnet: "snet-b" };

interface Alert {
  exp_labels: Record<string, string>;
  exp_annotations: { summary: string; description: string; runbook_url: string };
}
interface Check {
  eval_time: string;
  alertname: string;
  exp_alerts: Alert[];
}
interface TestGroup {
  name: string;
  interval: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test: Check[];
}

export function renderRulesTest(opts: { clusterLabel?: string; rulesFile?: string } = {}): string {
  const C = opts.clusterLabel ?? "cluster";

  const series = (metric: string, cluster: string | undefined, labels: Record<string, string>, values: string) => {
    const all: Record<string, string> = { job: "aks-subnet-health", instance: "pod-1:8080" };
    if (cluster !== undefined) all[C] = cluster;
    Object.assign(all, labels);
    const text = Object.entries(all)
      .map(([k, v]) => `${k}="${v}"`)
      .join(", ");
    return { series: `aks_subnet_health_${metric}{${text}}`, values };
  };
  const subnetLabels = (p: Place): Record<string, string> => ({
    subnet_id: subnetId(p),
    subscription_id: SUB,
    resource_group: p.rg,
    vnet: p.vnet,
    subnet: p.subnet,
  });
  const subnetSeries = (metric: string, cluster: string, p: Place, values: string) =>
    series(metric, cluster, subnetLabels(p), values);
  const info = (cluster: string, p: Place, steps: number) =>
    series("nodeclass_info", cluster, { nodeclass: p.nodeclass, subnet_id: subnetId(p), source: "spec" }, `1x${steps}`);
  /** the condition's one series: its current status and reason as labels, value 1 while current */
  const condition = (cluster: string, p: Place, type: string, status: string, reason: string, values: string) =>
    series("nodeclass_condition", cluster, { nodeclass: p.nodeclass, type, status, reason }, values);

  const where = (cluster: string) => ` in cluster ${cluster}`;
  const placeLabels = (cluster: string, p: Place): Record<string, string> => ({
    [C]: cluster,
    nodeclass: p.nodeclass,
    subnet_id: subnetId(p),
    resource_group: p.rg,
    vnet: p.vnet,
    subnet: p.subnet,
  });
  const sn = (p: Place) => `${p.vnet}/${p.subnet}`;
  const snText = (p: Place) => `${sn(p)} (resource group ${p.rg})`;
  const ncText = (cluster: string, p: Place) => `AKSNodeClass ${p.nodeclass}${where(cluster)}`;
  const alert = (
    name: string,
    severity: string,
    labels: Record<string, string>,
    summary: string,
    description: string,
  ): Alert => ({
    exp_labels: { severity, ...labels },
    exp_annotations: { summary, description, runbook_url: runbookUrl(name) },
  });
  const none = (eval_time: string, alertname: string): Check => ({ eval_time, alertname, exp_alerts: [] });

  // ---- expected alerts, one helper per rule -----------------------------------------------------------------
  const low = (cluster: string, p: Place, pct: string) =>
    alert(
      "AKSSubnetLowFreeIPs",
      "warning",
      placeLabels(cluster, p),
      `Subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} is running low on free IPs.`,
      `Subnet ${snText(p)} of ${ncText(cluster, p)} is ${pct} used, or the nodeclass has room for fewer than 10 more nodes. Add room before Karpenter cannot add nodes there.`,
    );
  const critical = (cluster: string, p: Place, pct: string) =>
    alert(
      "AKSSubnetFreeIPsCritical",
      "critical",
      placeLabels(cluster, p),
      `Subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} is almost out of IPs.`,
      `Subnet ${snText(p)} of ${ncText(cluster, p)} is ${pct} used, or the nodeclass has room for fewer than 2 more nodes. New nodes will fail to get an IP very soon.`,
    );
  const full = (cluster: string, p: Place) =>
    alert(
      "AKSSubnetFull",
      "critical",
      placeLabels(cluster, p),
      `Subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} has no free IPs.`,
      `Subnet ${snText(p)} of ${ncText(cluster, p)} has 0 free IPs. Karpenter cannot create nodes for this nodeclass until IPs are freed or the nodeclass moves to a subnet with room.`,
    );
  const predicted = (cluster: string, p: Place) =>
    alert(
      "AKSSubnetIPsExhaustionPredicted",
      "critical",
      placeLabels(cluster, p),
      `Subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} is predicted to run out of IPs within 24h.`,
      `At the pace of the last 6 hours, subnet ${snText(p)} of ${ncText(cluster, p)} has no free IPs left within 24 hours. Add room or cap the NodePools before new nodes fail.`,
    );
  const shortAtLimits = (cluster: string, p: Place, ips: number) =>
    alert(
      "AKSSubnetShortAtNodePoolLimits",
      "warning",
      placeLabels(cluster, p),
      `Subnet ${sn(p)} cannot hold what the NodePools of AKSNodeClass ${p.nodeclass} may scale to.`,
      `At their limits the NodePools using subnet ${snText(p)} need ${ips} more IPs than it can hold (${ncText(cluster, p)} is one of its nodeclasses). Nodes launch today, but a scale-out to those limits fails: lower a NodePool limit, give the subnet a bigger prefix or move to Azure CNI Overlay. The SubnetCapacity condition names the NodePools and the limit or prefix that would fit.`,
    );
  const stale = (cluster: string, p: Place, age: string) =>
    alert(
      "AKSSubnetDataStale",
      "warning",
      placeLabels(cluster, p),
      `Azure data for subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} is stale.`,
      `The operator could not refresh Azure data for subnet ${snText(p)} of ${ncText(cluster, p)} for ${age}. Its capacity figures and conditions are out of date.`,
    );
  const notReady = (cluster: string, p: Place, r: string) =>
    alert(
      "AKSNodeClassSubnetNotReady",
      "critical",
      { ...placeLabels(cluster, p), reason: r },
      `AKSNodeClass ${p.nodeclass} cannot get new nodes in its subnet (SubnetReady=False).`,
      `${ncText(cluster, p)} reports SubnetReady=False (reason ${r}) for subnet ${subnetId(p)}. Karpenter cannot launch nodes for it; the fix is in \`kubectl describe aksnodeclass ${p.nodeclass}\`.`,
    );
  const unknown = (cluster: string, p: Place, r: string) =>
    alert(
      "AKSNodeClassSubnetUnknown",
      "warning",
      { ...placeLabels(cluster, p), reason: r },
      `The operator cannot tell whether AKSNodeClass ${p.nodeclass} can get new nodes.`,
      `${ncText(cluster, p)} has reported SubnetReady=Unknown (reason ${r}) for 30m for subnet ${subnetId(p)}: Azure does not answer the operator (often: its identity lacks Reader on the subscription or VNet). Nothing warns about this subnet until it is fixed.`,
    );
  const denied = (cluster: string, p: Place, action: string) =>
    alert(
      "AKSNodeClassSubnetAccessDenied",
      "critical",
      { ...placeLabels(cluster, p), action },
      `Karpenter may not ${action} subnet ${sn(p)} of AKSNodeClass ${p.nodeclass}.`,
      `Azure RBAC denies Karpenter's identity the subnet ${action} permission on subnet ${snText(p)} of ${ncText(cluster, p)}. Node creation for this nodeclass fails with AuthorizationFailed.`,
    );
  const conflict = (cluster: string, p: Place, w: string, n: number) =>
    alert(
      "AKSNodeClassCIDRConflict",
      "warning",
      { ...placeLabels(cluster, p), with: w },
      `Subnet ${sn(p)} of AKSNodeClass ${p.nodeclass} overlaps ${w} address space.`,
      `Subnet ${snText(p)} of ${ncText(cluster, p)} has ${n} CIDR conflict(s) with the ${w} address space. Nodes in it may be unreachable or break pod/service routing.`,
    );
  const migration = (cluster: string, p: Place) =>
    alert(
      "AKSNodeClassSubnetMigration",
      "warning",
      placeLabels(cluster, p),
      `AKSNodeClass ${p.nodeclass} is migrating to subnet ${sn(p)}.`,
      `${ncText(cluster, p)} has pointed at subnet ${snText(p)} while its nodes use another for at least 15 minutes. Karpenter drifts and replaces those nodes; check that the new subnet has room for all of them.`,
    );
  const down = (cluster: string | undefined) =>
    alert(
      "AKSSubnetHealthOperatorDown",
      "warning",
      cluster === undefined ? {} : { [C]: cluster },
      `aks-subnet-health is down or has no leader${cluster ? where(cluster) : ""}.`,
      `No aks-subnet-health replica${cluster ? where(cluster) : ""} is scraped with metrics, or none holds the leader lease. Subnet conditions, events, capacity metrics and every other aks-subnet-health alert for that cluster are stale.`,
    );
  const reconcileErrors = (cluster: string, pct: string) =>
    alert(
      "AKSSubnetHealthReconcileErrors",
      "warning",
      { [C]: cluster },
      `aks-subnet-health reconciles are failing${where(cluster)}.`,
      `${pct} of aks-subnet-health reconciles${where(cluster)} failed over the last 10 minutes. Conditions on AKSNodeClasses may be out of date.`,
    );
  const failing = (cluster: string, operation: string, code: string) =>
    alert(
      "AKSSubnetHealthAzureRequestsFailing",
      "warning",
      { [C]: cluster, operation, code },
      `Azure keeps failing aks-subnet-health's ${operation} requests with ${code}${where(cluster)}.`,
      `Azure Resource Manager has answered ${operation} requests of aks-subnet-health${where(cluster)} with ${code} in every 15-minute window for 30 minutes. Affected nodeclasses stay Unknown or keep old data; 401/403 means the operator's identity lacks a role, a connection error means no route to ARM.`,
    );
  const throttled = (cluster: string, operation: string, rate: string) =>
    alert(
      "AKSSubnetHealthAzureThrottling",
      "warning",
      { [C]: cluster, operation },
      `Azure Resource Manager is throttling aks-subnet-health (${operation})${where(cluster)}.`,
      `Azure has answered ${operation} requests of aks-subnet-health${where(cluster)} with 429 for at least 15 minutes (${rate}/s). Subnet data refreshes are delayed.`,
    );

  const tests: TestGroup[] = [
    {
      name: "AKSSubnetLowFreeIPs: utilization 0.81 (east) vs 0.79 (west), headroom 9 (west) vs 10 (east)",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_utilization_ratio", EAST, A, "0.81x30"),
        subnetSeries("subnet_utilization_ratio", WEST, A, "0.79x30"),
        subnetSeries("subnet_utilization_ratio", EAST, B, "0.5x30"),
        subnetSeries("subnet_utilization_ratio", WEST, B, "0.5x30"),
        ...[EAST, WEST].flatMap((c) => [info(c, A, 30), info(c, B, 30)]),
        series("nodeclass_node_headroom", EAST, { nodeclass: "nc-a", subnet_id: subnetId(A) }, "50x30"),
        series("nodeclass_node_headroom", WEST, { nodeclass: "nc-a", subnet_id: subnetId(A) }, "50x30"),
        series("nodeclass_node_headroom", EAST, { nodeclass: "nc-b", subnet_id: subnetId(B) }, "10x30"),
        series("nodeclass_node_headroom", WEST, { nodeclass: "nc-b", subnet_id: subnetId(B) }, "9x30"),
      ],
      alert_rule_test: [
        none("14m", "AKSSubnetLowFreeIPs"),
        { eval_time: "16m", alertname: "AKSSubnetLowFreeIPs", exp_alerts: [low(EAST, A, "81%"), low(WEST, B, "50%")] },
        none("16m", "AKSSubnetFreeIPsCritical"),
      ],
    },
    {
      name: "AKSSubnetLowFreeIPs: a leader change (series move to pod-2) keeps the alert and its for: clock",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_utilization_ratio", EAST, A, "0.85x10"),
        { ...subnetSeries("subnet_utilization_ratio", EAST, A, "_x10 0.85x20") },
        info(EAST, A, 30),
      ].map((s, i) =>
        i === 1 ? { series: s.series.replace('instance="pod-1:8080"', 'instance="pod-2:8080"'), values: s.values } : s,
      ),
      alert_rule_test: [{ eval_time: "16m", alertname: "AKSSubnetLowFreeIPs", exp_alerts: [low(EAST, A, "85%")] }],
    },
    {
      name: "AKSSubnetFreeIPsCritical: 0.96 (west) vs 0.95 (east), headroom 1 (east) vs 2 (west)",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_utilization_ratio", WEST, A, "0.96x30"),
        subnetSeries("subnet_utilization_ratio", EAST, A, "0.95x30"),
        subnetSeries("subnet_utilization_ratio", EAST, B, "0.3x30"),
        subnetSeries("subnet_utilization_ratio", WEST, B, "0.3x30"),
        ...[EAST, WEST].flatMap((c) => [info(c, A, 30), info(c, B, 30)]),
        series("nodeclass_node_headroom", EAST, { nodeclass: "nc-b", subnet_id: subnetId(B) }, "1x30"),
        series("nodeclass_node_headroom", WEST, { nodeclass: "nc-b", subnet_id: subnetId(B) }, "2x30"),
      ],
      alert_rule_test: [
        none("4m", "AKSSubnetFreeIPsCritical"),
        {
          eval_time: "6m",
          alertname: "AKSSubnetFreeIPsCritical",
          exp_alerts: [critical(WEST, A, "96%"), critical(EAST, B, "30%")],
        },
      ],
    },
    {
      name: "AKSSubnetFull: 0 free (east) vs 1 free (west); 0 of 0 (usage not reported) does not fire",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_ips_available", EAST, A, "3 2 1 0x10"),
        subnetSeries("subnet_ips_capacity", EAST, A, "251x13"),
        subnetSeries("subnet_ips_available", WEST, A, "1x13"),
        subnetSeries("subnet_ips_capacity", WEST, A, "251x13"),
        subnetSeries("subnet_ips_available", WEST, B, "0x13"),
        subnetSeries("subnet_ips_capacity", WEST, B, "0x13"),
        ...[EAST, WEST].flatMap((c) => [info(c, A, 13), info(c, B, 13)]),
      ],
      alert_rule_test: [
        none("3m", "AKSSubnetFull"),
        { eval_time: "5m", alertname: "AKSSubnetFull", exp_alerts: [full(EAST, A)] },
      ],
    },
    {
      name: "AKSSubnetIPsExhaustionPredicted: east loses 1 IP a minute from 1500 (empty within 24h), west from 2000 (not)",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_ips_available", EAST, A, "1500-1x130"),
        subnetSeries("subnet_ips_available", WEST, A, "2000-1x130"),
        subnetSeries("subnet_ips_available", EAST, B, "0x130"),
        ...[EAST, WEST].flatMap((c) => [info(c, A, 130), info(c, B, 130)]),
      ],
      alert_rule_test: [
        // east's prediction reaches 0 at minute 60 (1440 left, 1 a minute): pending until minute 90
        none("80m", "AKSSubnetIPsExhaustionPredicted"),
        { eval_time: "2h", alertname: "AKSSubnetIPsExhaustionPredicted", exp_alerts: [predicted(EAST, A)] },
      ],
    },
    {
      name: "AKSSubnetShortAtNodePoolLimits: east 240 IPs short for 40 minutes, west short only briefly (a limit being edited)",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_ips_short_at_limits", EAST, A, "240x60"),
        subnetSeries("subnet_ips_short_at_limits", WEST, A, "240x10 0x50"),
        subnetSeries("subnet_ips_short_at_limits", EAST, B, "0x60"),
        ...[EAST, WEST].flatMap((c) => [info(c, A, 60), info(c, B, 60)]),
      ],
      alert_rule_test: [
        none("29m", "AKSSubnetShortAtNodePoolLimits"),
        { eval_time: "40m", alertname: "AKSSubnetShortAtNodePoolLimits", exp_alerts: [shortAtLimits(EAST, A, 240)] },
      ],
    },
    {
      name: "AKSSubnetDataStale: 1320 s (west) vs 900 s (east)",
      interval: "1m",
      input_series: [
        subnetSeries("subnet_data_age_seconds", WEST, A, "1320x10"),
        subnetSeries("subnet_data_age_seconds", EAST, A, "900x10"),
        ...[EAST, WEST].map((c) => info(c, A, 10)),
      ],
      alert_rule_test: [
        none("4m", "AKSSubnetDataStale"),
        { eval_time: "6m", alertname: "AKSSubnetDataStale", exp_alerts: [stale(WEST, A, "22m 0s")] },
      ],
    },
    {
      name: "AKSNodeClassSubnetNotReady: east False (SubnetNotFound), west True; neither fires the access alert",
      interval: "1m",
      input_series: [
        condition(EAST, A, "SubnetReady", "False", "SubnetNotFound", "1x20"),
        condition(WEST, A, "SubnetReady", "True", "SubnetReady", "1x20"),
        ...[EAST, WEST].map((c) => info(c, A, 20)),
      ],
      alert_rule_test: [
        none("9m", "AKSNodeClassSubnetNotReady"),
        {
          eval_time: "11m",
          alertname: "AKSNodeClassSubnetNotReady",
          exp_alerts: [notReady(EAST, A, "SubnetNotFound")],
        },
      ],
    },
    {
      name: "AKSNodeClassSubnetUnknown: Unknown for 31m (west) fires after 30m; Unknown for 20m then True (east) never",
      interval: "1m",
      input_series: [
        condition(WEST, A, "SubnetReady", "Unknown", "AzureUnavailable", "1x45"),
        // a state change swaps the series: Unknown's goes stale, True's appears
        condition(EAST, A, "SubnetReady", "Unknown", "AzureUnavailable", "1x20 stale"),
        condition(EAST, A, "SubnetReady", "True", "SubnetReady", "_x20 1x25"),
        ...[EAST, WEST].map((c) => info(c, A, 45)),
      ],
      alert_rule_test: [
        none("29m", "AKSNodeClassSubnetUnknown"),
        {
          eval_time: "31m",
          alertname: "AKSNodeClassSubnetUnknown",
          exp_alerts: [unknown(WEST, A, "AzureUnavailable")],
        },
        {
          eval_time: "45m",
          alertname: "AKSNodeClassSubnetUnknown",
          exp_alerts: [unknown(WEST, A, "AzureUnavailable")],
        },
      ],
    },
    {
      name: "AKSNodeClassSubnetAccessDenied: join denied (east) fires; join denied on a subnet that does not exist (west) does not",
      interval: "1m",
      input_series: [
        ...[EAST, WEST].flatMap((c) => [
          series("nodeclass_access", c, { nodeclass: "nc-a", action: "join", result: "denied" }, "1x10"),
          series("nodeclass_access", c, { nodeclass: "nc-a", action: "read", result: "granted" }, "1x10"),
          info(c, A, 10),
        ]),
        condition(EAST, A, "SubnetFound", "True", "SubnetFound", "1x10"),
        condition(WEST, A, "SubnetFound", "False", "SubnetNotFound", "1x10"),
      ],
      alert_rule_test: [
        none("4m", "AKSNodeClassSubnetAccessDenied"),
        { eval_time: "6m", alertname: "AKSNodeClassSubnetAccessDenied", exp_alerts: [denied(EAST, A, "join")] },
      ],
    },
    {
      name: "AKSNodeClassCIDRConflict: a service CIDR overlap (west), none (east)",
      interval: "1m",
      input_series: [
        // only kinds with a conflict have a series: east has none
        series("nodeclass_cidr_conflicts", WEST, { nodeclass: "nc-a", with: "service" }, "1x10"),
        ...[EAST, WEST].map((c) => info(c, A, 10)),
      ],
      alert_rule_test: [
        none("4m", "AKSNodeClassCIDRConflict"),
        { eval_time: "6m", alertname: "AKSNodeClassCIDRConflict", exp_alerts: [conflict(WEST, A, "service", 1)] },
      ],
    },
    {
      name: "AKSNodeClassSubnetMigration: migrating for 20m (east), not migrating (west)",
      interval: "1m",
      input_series: [
        // only kinds present have a series: west has a correction, and nodes outside its subnet (a count)
        series("nodeclass_drift", EAST, { nodeclass: "nc-a", kind: "migration" }, "1x20"),
        series("nodeclass_drift", WEST, { nodeclass: "nc-a", kind: "correction" }, "1x20"),
        series("nodeclass_drift", WEST, { nodeclass: "nc-a", kind: "nodes-outside" }, "3x20"),
        ...[EAST, WEST].map((c) => info(c, A, 20)),
      ],
      alert_rule_test: [
        none("14m", "AKSNodeClassSubnetMigration"),
        { eval_time: "16m", alertname: "AKSNodeClassSubnetMigration", exp_alerts: [migration(EAST, A)] },
      ],
    },
    {
      name: "AKSSubnetHealthOperatorDown: east's operator disappears at minute 10, west keeps running without a leader from minute 20",
      interval: "1m",
      input_series: [
        series("build_info", EAST, { version: "0.1.0" }, "1x10 stale"),
        series("leader", EAST, {}, "1x10 stale"),
        series("build_info", WEST, { version: "0.1.0" }, "1x40"),
        series("leader", WEST, {}, "1x20 0x20"),
      ],
      alert_rule_test: [
        none("14m", "AKSSubnetHealthOperatorDown"),
        { eval_time: "17m", alertname: "AKSSubnetHealthOperatorDown", exp_alerts: [down(EAST)] },
        { eval_time: "27m", alertname: "AKSSubnetHealthOperatorDown", exp_alerts: [down(EAST), down(WEST)] },
      ],
    },
    {
      name: "AKSSubnetHealthOperatorDown: a Prometheus that has never seen the operator (no cluster label at all)",
      interval: "1m",
      input_series: [{ series: 'up{job="kubelet", instance="node-1"}', values: "1x10" }],
      alert_rule_test: [
        {
          eval_time: "6m",
          alertname: "AKSSubnetHealthOperatorDown",
          exp_alerts: [down(undefined)],
        },
      ],
    },
    {
      name: "AKSSubnetHealthReconcileErrors: 20 % errors (west) vs 5 % (east)",
      interval: "1m",
      input_series: [
        series("reconcile_total", WEST, { result: "success" }, "0+8x40"),
        series("reconcile_total", WEST, { result: "error" }, "0+2x40"),
        series("reconcile_total", EAST, { result: "success" }, "0+19x40"),
        series("reconcile_total", EAST, { result: "error" }, "0+1x40"),
      ],
      alert_rule_test: [
        none("10m", "AKSSubnetHealthReconcileErrors"),
        { eval_time: "30m", alertname: "AKSSubnetHealthReconcileErrors", exp_alerts: [reconcileErrors(WEST, "20%")] },
      ],
    },
    {
      name: "AKSSubnetHealthAzureRequestsFailing: 403 on every resync (east) fires; 404, 429 and a 10-minute burst of 500 (west) do not",
      interval: "1m",
      input_series: [
        series("azure_requests_total", EAST, { operation: "VirtualNetworks_Get", code: "403" }, "0+1x90"),
        series("azure_requests_total", EAST, { operation: "VirtualNetworks_Get", code: "200" }, "0+5x90"),
        series("azure_requests_total", WEST, { operation: "Subnets_Get", code: "404" }, "0+1x90"),
        series("azure_requests_total", WEST, { operation: "VirtualNetworks_Get", code: "429" }, "0+1x90"),
        series("azure_requests_total", WEST, { operation: "VirtualNetworks_Get", code: "500" }, "0+1x10 10x80"),
      ],
      alert_rule_test: [
        none("20m", "AKSSubnetHealthAzureRequestsFailing"),
        {
          eval_time: "60m",
          alertname: "AKSSubnetHealthAzureRequestsFailing",
          exp_alerts: [failing(EAST, "VirtualNetworks_Get", "403")],
        },
      ],
    },
    {
      name: "AKSSubnetHealthAzureThrottling: 429s for 20 minutes (east), none (west)",
      interval: "1m",
      input_series: [
        series("azure_throttled_total", EAST, { operation: "VirtualNetworks_ListUsage" }, "0+6x30"),
        series("azure_throttled_total", WEST, { operation: "VirtualNetworks_ListUsage" }, "0x30"),
      ],
      alert_rule_test: [
        none("10m", "AKSSubnetHealthAzureThrottling"),
        {
          eval_time: "25m",
          alertname: "AKSSubnetHealthAzureThrottling",
          exp_alerts: [throttled(EAST, "VirtualNetworks_ListUsage", "0.100")],
        },
      ],
    },
  ];

  const doc = {
    rule_files: [opts.rulesFile ?? "../generated/alerts.rules.yaml"],
    evaluation_interval: "1m",
    tests,
  };
  return (
    "# Generated by observability/generate.ts from observability/tests/rules-test.ts. Do not edit.\n" +
    "# Run: promtool test rules observability/tests/rules.test.yaml\n" +
    stringify(doc, { lineWidth: 0 })
  );
}
