/**
 * A realistic /metrics exposition of every aks-subnet-health metric, for three nodeclasses on two subnets in
 * two VNets, rendered by the operator's own OperatorMetrics from evaluations shaped like the operator's: the
 * dashboard and alert tests query exactly the names, labels and series shape the operator serves. Counters
 * and histograms move on every scrape so that rate() has something to show.
 */
import type { Registry } from "prom-client";
import { ConditionType } from "../../../src/domain.js";
import { shortType } from "../../../src/health/conditions.js";
import { CONDITION_ORDER } from "../../../src/health/evaluate.js";
import { parseSubnetId } from "../../../src/health/subnet-id.js";
import type { EvaluationResult, NodeClassMetrics, SubnetRef } from "../../../src/health/types.js";
import { OperatorMetrics } from "../../../src/metrics/metrics.js";

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
  "nodeclass_access",
  "nodeclass_cidr_conflicts",
  "nodeclass_connectivity",
  "nodeclass_drift",
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

function subnetRef(s: SampleSubnet): SubnetRef {
  const parsed = parseSubnetId(s.subnet_id);
  if (!parsed.ok) throw new Error(`sample subnet ID does not parse: ${parsed.error}`);
  return parsed.ref;
}

/** The evaluation the operator would have recorded for a sample nodeclass. */
function evaluation(nc: SampleNodeClass, now: number): EvaluationResult {
  const s = nc.subnet;
  const ref = subnetRef(s);
  const onSubnet = SAMPLE_NODECLASSES.filter((x) => x.subnet === s);
  const metrics: NodeClassMetrics = {
    subnetCanonical: ref.canonical,
    ips: { total: s.total, used: s.used, available: s.total - s.used, fetchedAt: now - s.ageSeconds * 1000 },
    source: nc.source,
    nodeHeadroom: nc.headroom,
    access: { read: "granted", join: nc.name === "gpu" ? "conditional" : "granted" },
    // one conflict and two drift kinds, so that every panel has series to show
    cidrConflicts: nc.name === "batch" ? { pod: 1 } : {},
    drift: nc.name === "gpu" ? { migration: 1, "nodes-outside": 3 } : {},
    nodesOutsideSubnet: nc.name === "gpu" ? 3 : 0,
    // the fullest subnet is short at its NodePools' limits, the others are not
    plan: {
      neededAtLimits: s.used + 100,
      shortAtLimits: Math.max(0, s.used + 100 - s.total),
      nodePools: onSubnet.map((x) => ({ nodePool: `${x.name}-pool`, nodeClass: x.name, nodes: 50, limit: "cpu" })),
    },
    connectivity: { outbound: "pass", nsg: nc.name === "batch" ? "warn" : "pass", routes: "pass", parity: "pass" },
  };
  return {
    conditions: CONDITION_ORDER.map((type) =>
      type === ConditionType.SubnetReady
        ? { type, status: nc.ready, reason: nc.readyReason, message: "sample." }
        : { type, status: "True", reason: `${shortType(type)}OK`, message: "sample." },
    ),
    subnetHealth: { subnetID: s.subnet_id, source: nc.source },
    metrics,
    events: [],
    subnet: ref,
  };
}

export function sampleExporter(): SampleExporter {
  const now = Date.now();
  const m = new OperatorMetrics({ version: "0.1.0", now: () => now, workqueueDepth: () => 2 });
  for (const nc of SAMPLE_NODECLASSES) m.recordEvaluation(nc.name, evaluation(nc, now));
  m.setClusterNetwork({ plugin: "azure", mode: "overlay", policy: "cilium", dataplane: "cilium" }, true);
  m.leader.set(1);
  m.azureRefused.inc({ operation: "VirtualNetworks_ListUsage", reason: "foreign-host" }, 0);
  m.statusOverwritten.inc(0);

  // every label value present from the first scrape, so rate() has two points as early as possible
  for (const result of ["written", "conflict", "error"]) m.statusWrites.inc({ result }, 0);
  for (const operation of OPERATIONS) {
    for (const code of ["200", "429", "ECONNRESET"]) m.azureRequests.inc({ operation, code }, 0);
    m.azureThrottled.inc({ operation }, 0);
  }

  let n = 0;
  const tick = (): void => {
    n++;
    m.reconcileTotal.inc({ result: "success" }, 5);
    if (n % 3 === 0) m.reconcileTotal.inc({ result: "error" });
    m.reconcileTotal.inc({ result: "skipped" });
    m.reconcileDuration.observe(0.02 + (n % 5) * 0.01);
    m.statusWrites.inc({ result: "written" });
    if (n % 4 === 0) m.statusWrites.inc({ result: "conflict" });
    for (const operation of OPERATIONS) {
      m.azureRequests.inc({ operation, code: "200" }, 3);
      m.azureRequestDuration.observe({ operation }, 0.08 + (n % 7) * 0.02);
    }
    m.azureRequests.inc({ operation: "VirtualNetworks_ListUsage", code: "429" });
    m.azureThrottled.inc({ operation: "VirtualNetworks_ListUsage" });
    if (n % 5 === 0) m.azureRequests.inc({ operation: "VirtualNetworks_Get", code: "ECONNRESET" });
  };
  return { registry: m.registry, tick };
}
