/**
 * A realistic /metrics exposition of every aks-subnet-health metric (names and labels as docs/metrics.md
 * documents them), for three nodeclasses on two subnets in two VNets, built with prom-client the way the
 * operator builds it. Counters and histograms move on every scrape so that rate() has something to show.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

const P = "aks_subnet_health_";

export interface SampleSubnet {
  subnet_id: string;
  subscription_id: string;
  resource_group: string;
  vnet: string;
  subnet: string;
  total: number;
  used: number;
  ageSeconds: number;
}

const SUB = "00000000-0000-0000-0000-00000000aaaa";
const id = (rg: string, vnet: string, subnet: string): string =>
  `/subscriptions/${SUB}/resourcegroups/${rg}/providers/microsoft.network/virtualnetworks/${vnet}/subnets/${subnet}`;

export const SAMPLE_SUBNETS: SampleSubnet[] = [
  {
    subnet_id: id("rg-net", "vnet-hub", "snet-nodes"),
    subscription_id: SUB,
    resource_group: "rg-net",
    vnet: "vnet-hub",
    subnet: "snet-nodes",
    total: 251,
    used: 230,
    ageSeconds: 42,
  },
  {
    subnet_id: id("rg-net", "vnet-spoke", "snet-gpu"),
    subscription_id: SUB,
    resource_group: "rg-net",
    vnet: "vnet-spoke",
    subnet: "snet-gpu",
    total: 4091,
    used: 300,
    ageSeconds: 1200,
  },
];

export interface SampleNodeClass {
  name: string;
  subnet: SampleSubnet;
  source: "spec" | "default";
  headroom: number;
  ready: "True" | "False" | "Unknown";
  readyReason: string;
}

const [hub, spoke] = SAMPLE_SUBNETS as [SampleSubnet, SampleSubnet];
export const SAMPLE_NODECLASSES: SampleNodeClass[] = [
  { name: "default", subnet: hub, source: "default", headroom: 7, ready: "True", readyReason: "SubnetLow" },
  { name: "batch", subnet: hub, source: "spec", headroom: 0, ready: "False", readyReason: "SubnetFull" },
  { name: "gpu", subnet: spoke, source: "spec", headroom: 120, ready: "True", readyReason: "SubnetHealthy" },
];

export const SAMPLE_MIN_HEADROOM = Math.min(...SAMPLE_NODECLASSES.map((n) => n.headroom));
export const SAMPLE_SUBNETS_NOT_READY = new Set(
  SAMPLE_NODECLASSES.filter((n) => n.ready === "False").map((n) => n.subnet.subnet_id),
).size;

const CONDITION_TYPES = [
  "SubnetReady",
  "SubnetFound",
  "SubnetCapacity",
  "SubnetAccess",
  "NetworkPlan",
  "SubnetStable",
] as const;
const STATUSES = ["True", "False", "Unknown"] as const;
const VERDICTS = ["granted", "denied", "conditional", "unknown"] as const;
const DRIFT_KINDS = [
  "migration",
  "correction",
  "prefix-changed",
  "subnet-deleted",
  "default-changed",
  "nodes-outside",
] as const;
const OPERATIONS = ["VirtualNetworks_Get", "VirtualNetworks_ListUsage", "RoleAssignments_ListForScope"] as const;

/** Names of every metric family the operator exports besides prom-client's defaults. */
export const OPERATOR_METRIC_NAMES = [
  "subnet_ips_capacity",
  "subnet_ips_used",
  "subnet_ips_available",
  "subnet_utilization_ratio",
  "subnet_data_age_seconds",
  "subnet_ips_needed_at_limits",
  "subnet_ips_short_at_limits",
  "nodepool_worst_case_nodes",
  "nodeclass_info",
  "nodeclass_node_headroom",
  "nodeclass_condition",
  "nodeclass_condition_reason",
  "nodeclass_access",
  "nodeclass_cidr_conflicts",
  "nodeclass_drift",
  "nodeclass_nodes_outside_subnet",
  "cluster_network_supported",
  "reconcile_total",
  "reconcile_duration_seconds",
  "azure_requests_total",
  "azure_request_duration_seconds",
  "azure_throttled_total",
  "azure_requests_refused_total",
  "status_overwritten_total",
  "status_writes_total",
  "workqueue_depth",
  "leader",
  "build_info",
].map((n) => P + n);

export interface SampleExporter {
  registry: Registry;
  /** advances counters and histograms as a running operator would between scrapes */
  tick: () => void;
}

export function sampleExporter(): SampleExporter {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: P });
  const subnetLabels = ["subnet_id", "subscription_id", "resource_group", "vnet", "subnet"] as const;
  const perSubnet = (name: string, help: string): Gauge<(typeof subnetLabels)[number]> =>
    new Gauge({ name: P + name, help, labelNames: subnetLabels, registers });
  const total = perSubnet("subnet_ips_capacity", "Usable IPs of the subnet.");
  const used = perSubnet("subnet_ips_used", "IPs in use.");
  const available = perSubnet("subnet_ips_available", "Free IPs.");
  const utilization = perSubnet("subnet_utilization_ratio", "used / total.");
  const age = perSubnet("subnet_data_age_seconds", "Age of the Azure data.");
  const neededAtLimits = perSubnet("subnet_ips_needed_at_limits", "IPs the NodePools need at their limits.");
  const shortAtLimits = perSubnet("subnet_ips_short_at_limits", "IPs short at NodePool limits.");
  for (const s of SAMPLE_SUBNETS) {
    const l = {
      subnet_id: s.subnet_id,
      subscription_id: s.subscription_id,
      resource_group: s.resource_group,
      vnet: s.vnet,
      subnet: s.subnet,
    };
    total.set(l, s.total);
    used.set(l, s.used);
    available.set(l, s.total - s.used);
    utilization.set(l, s.used / s.total);
    age.set(l, s.ageSeconds);
    // the fullest subnet is short at its NodePools' limits, the others are not
    neededAtLimits.set(l, s.used + 100);
    shortAtLimits.set(l, Math.max(0, s.used + 100 - s.total));
  }
  const worstCase = new Gauge({
    name: P + "nodepool_worst_case_nodes",
    help: "worst-case nodes",
    labelNames: ["nodepool", "nodeclass", "limit"],
    registers,
  });

  const info = new Gauge({
    name: P + "nodeclass_info",
    help: "nodeclass → subnet",
    labelNames: ["nodeclass", "subnet_id", "source"],
    registers,
  });
  const headroom = new Gauge({
    name: P + "nodeclass_node_headroom",
    help: "headroom",
    labelNames: ["nodeclass", "subnet_id"],
    registers,
  });
  const condition = new Gauge({
    name: P + "nodeclass_condition",
    help: "condition",
    labelNames: ["nodeclass", "type", "status"],
    registers,
  });
  const reason = new Gauge({
    name: P + "nodeclass_condition_reason",
    help: "reason",
    labelNames: ["nodeclass", "type", "reason"],
    registers,
  });
  const access = new Gauge({
    name: P + "nodeclass_access",
    help: "access",
    labelNames: ["nodeclass", "action", "result"],
    registers,
  });
  const conflicts = new Gauge({
    name: P + "nodeclass_cidr_conflicts",
    help: "conflicts",
    labelNames: ["nodeclass", "with"],
    registers,
  });
  const drift = new Gauge({ name: P + "nodeclass_drift", help: "drift", labelNames: ["nodeclass", "kind"], registers });
  const outside = new Gauge({
    name: P + "nodeclass_nodes_outside_subnet",
    help: "outside",
    labelNames: ["nodeclass"],
    registers,
  });
  for (const nc of SAMPLE_NODECLASSES) {
    const nodeclass = nc.name;
    worstCase.set({ nodepool: `${nodeclass}-pool`, nodeclass, limit: "cpu" }, 50);
    info.set({ nodeclass, subnet_id: nc.subnet.subnet_id, source: nc.source }, 1);
    headroom.set({ nodeclass, subnet_id: nc.subnet.subnet_id }, nc.headroom);
    for (const type of CONDITION_TYPES) {
      const current = type === "SubnetReady" ? nc.ready : "True";
      for (const status of STATUSES) condition.set({ nodeclass, type, status }, status === current ? 1 : 0);
      reason.set({ nodeclass, type, reason: type === "SubnetReady" ? nc.readyReason : `${type}OK` }, 1);
    }
    for (const action of ["read", "join"] as const) {
      const current = nc.name === "gpu" && action === "join" ? "conditional" : "granted";
      for (const result of VERDICTS) access.set({ nodeclass, action, result }, result === current ? 1 : 0);
    }
    for (const w of ["pod", "service", "reserved", "nodeclass"] as const) conflicts.set({ nodeclass, with: w }, 0);
    for (const kind of DRIFT_KINDS) drift.set({ nodeclass, kind }, nc.name === "gpu" && kind === "migration" ? 1 : 0);
    outside.set({ nodeclass }, nc.name === "gpu" ? 3 : 0);
  }
  new Gauge({
    name: P + "cluster_network_supported",
    help: "supported",
    labelNames: ["plugin", "mode", "policy", "dataplane"],
    registers,
  }).set({ plugin: "azure", mode: "overlay", policy: "cilium", dataplane: "cilium" }, 1);

  const reconciles = new Counter({
    name: P + "reconcile_total",
    help: "reconciles",
    labelNames: ["result"],
    registers,
  });
  const reconcileDuration = new Histogram({
    name: P + "reconcile_duration_seconds",
    help: "reconcile duration",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const requests = new Counter({
    name: P + "azure_requests_total",
    help: "requests",
    labelNames: ["operation", "code"],
    registers,
  });
  const requestDuration = new Histogram({
    name: P + "azure_request_duration_seconds",
    help: "latency",
    labelNames: ["operation"],
    registers,
  });
  const throttled = new Counter({
    name: P + "azure_throttled_total",
    help: "throttled",
    labelNames: ["operation"],
    registers,
  });
  new Counter({
    name: P + "azure_requests_refused_total",
    help: "refused",
    labelNames: ["operation", "reason"],
    registers,
  }).inc({ operation: "VirtualNetworks_ListUsage", reason: "foreign-host" }, 0);
  new Counter({ name: P + "status_overwritten_total", help: "overwritten", registers }).inc(0);
  const writes = new Counter({ name: P + "status_writes_total", help: "writes", labelNames: ["result"], registers });
  new Gauge({ name: P + "workqueue_depth", help: "depth", registers }).set(2);
  new Gauge({ name: P + "leader", help: "leader", registers }).set(1);
  new Gauge({ name: P + "build_info", help: "build", labelNames: ["version"], registers }).set({ version: "0.1.0" }, 1);

  // every label value present from the first scrape, so rate() has two points as early as possible
  for (const result of ["success", "error", "skipped"]) reconciles.inc({ result }, 0);
  for (const result of ["written", "conflict", "error"]) writes.inc({ result }, 0);
  for (const operation of OPERATIONS) {
    for (const code of ["200", "429", "ECONNRESET"]) requests.inc({ operation, code }, 0);
    throttled.inc({ operation }, 0);
  }

  let n = 0;
  const tick = (): void => {
    n++;
    reconciles.inc({ result: "success" }, 5);
    if (n % 3 === 0) reconciles.inc({ result: "error" });
    reconciles.inc({ result: "skipped" });
    reconcileDuration.observe(0.02 + (n % 5) * 0.01);
    writes.inc({ result: "written" });
    if (n % 4 === 0) writes.inc({ result: "conflict" });
    for (const operation of OPERATIONS) {
      requests.inc({ operation, code: "200" }, 3);
      requestDuration.observe({ operation }, 0.08 + (n % 7) * 0.02);
    }
    requests.inc({ operation: "VirtualNetworks_ListUsage", code: "429" });
    throttled.inc({ operation: "VirtualNetworks_ListUsage" });
    if (n % 5 === 0) requests.inc({ operation: "VirtualNetworks_Get", code: "ECONNRESET" });
  };
  return { registry, tick };
}
