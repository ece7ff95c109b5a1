/**
 * Prometheus metrics: a projection of the last evaluation of each nodeclass (like kube-state-metrics),
 * never a trigger of Azure calls. Series of a deleted nodeclass, and of a subnet no nodeclass uses any
 * more, are removed. Names and labels are documented in docs/metrics.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { CONDITION_PREFIX } from "../domain.js";
import type {
  AccessVerdict,
  ConditionStatus,
  DriftKind,
  EvaluationResult,
  NodeClassMetrics,
  SubnetRef,
} from "../health/types.js";

const P = "aks_subnet_health_";
const STATUSES: ConditionStatus[] = ["True", "False", "Unknown"];
const VERDICTS: AccessVerdict[] = ["granted", "denied", "conditional", "unknown"];
const CONFLICT_KINDS = ["pod", "service", "reserved", "nodeclass"] as const;
const DRIFT_KINDS: DriftKind[] = [
  "migration",
  "correction",
  "prefix-changed",
  "subnet-deleted",
  "default-changed",
  "nodes-outside",
];

type SubnetLabels = "subnet_id" | "subscription_id" | "resource_group" | "vnet" | "subnet";

interface SubnetSample {
  labels: Record<SubnetLabels, string>;
  total: number;
  used: number;
  available: number;
  fetchedAt: number;
}

export interface SubnetNumbers {
  total: number;
  used: number;
  available: number;
  /** epoch ms of the Azure read */
  fetchedAt: number;
}

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly subnets = new Map<string, SubnetSample>();
  /** nodeclass → the subnet it last reported, so shared subnet series live as long as one user does */
  private readonly nodeClassSubnet = new Map<string, string>();
  private readonly nodeClassLabels = new Map<
    string,
    { subnetId: string; source: string; reasons: Array<[string, string]> }
  >();
  /** nodeclass → its subnet's capacity plan, rendered at scrape time (one series per subnet and NodePool) */
  private readonly plans = new Map<string, { subnet: SubnetRef; plan: NonNullable<NodeClassMetrics["plan"]> }>();

  readonly subnetIpsTotal: Gauge<SubnetLabels>;
  readonly subnetIpsUsed: Gauge<SubnetLabels>;
  readonly subnetIpsAvailable: Gauge<SubnetLabels>;
  readonly subnetUtilization: Gauge<SubnetLabels>;
  readonly subnetDataAge: Gauge<SubnetLabels>;
  readonly nodeClassInfo: Gauge<"nodeclass" | "subnet_id" | "source">;
  readonly nodeClassHeadroom: Gauge<"nodeclass" | "subnet_id">;
  readonly nodeClassCondition: Gauge<"nodeclass" | "type" | "status">;
  readonly nodeClassConditionReason: Gauge<"nodeclass" | "type" | "reason">;
  readonly nodeClassAccess: Gauge<"nodeclass" | "action" | "result">;
  readonly nodeClassCidrConflicts: Gauge<"nodeclass" | "with">;
  readonly nodeClassDrift: Gauge<"nodeclass" | "kind">;
  readonly nodeClassNodesOutside: Gauge<"nodeclass">;
  readonly subnetIpsNeededAtLimits: Gauge<SubnetLabels>;
  readonly subnetIpsShortAtLimits: Gauge<SubnetLabels>;
  readonly nodePoolWorstCaseNodes: Gauge<"nodepool" | "nodeclass" | "limit">;
  readonly clusterNetworkSupported: Gauge<"plugin" | "mode" | "policy" | "dataplane">;
  readonly reconcileTotal: Counter<"result">;
  readonly reconcileDuration: Histogram;
  readonly azureRequests: Counter<"operation" | "code">;
  readonly azureRequestDuration: Histogram<"operation">;
  readonly azureThrottled: Counter<"operation">;
  readonly azureRefused: Counter<"operation" | "reason">;
  readonly statusWrites: Counter<"result">;
  readonly workqueueDepth: Gauge;
  readonly leader: Gauge;
  readonly buildInfo: Gauge<"version">;

  constructor(opts: { version: string; now?: () => number; workqueueDepth?: () => number; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    const now = opts.now ?? Date.now;
    const subnetLabels: SubnetLabels[] = ["subnet_id", "subscription_id", "resource_group", "vnet", "subnet"];
    const subnets = this.subnets;
    const perSubnet = (name: string, help: string, value: (s: SubnetSample) => number): Gauge<SubnetLabels> =>
      new Gauge({
        name: P + name,
        help,
        labelNames: subnetLabels,
        registers,
        // computed at scrape time from the last observation: scraping never calls Azure
        collect(this: Gauge<SubnetLabels>) {
          this.reset();
          for (const s of subnets.values()) this.set(s.labels, value(s));
        },
      });
    this.subnetIpsTotal = perSubnet(
      // not `_total`: that suffix means a counter (docs/metrics.md, "Renamed metrics")
      "subnet_ips_capacity",
      "Usable IPs in the subnet (Azure's usage limit; excludes the 5 reserved per prefix).",
      (s) => s.total,
    );
    this.subnetIpsUsed = perSubnet("subnet_ips_used", "IPs in use in the subnet.", (s) => s.used);
    this.subnetIpsAvailable = perSubnet("subnet_ips_available", "Free IPs in the subnet.", (s) => s.available);
    this.subnetUtilization = perSubnet("subnet_utilization_ratio", "Used / usable IPs, 0-1.", (s) =>
      s.total > 0 ? s.used / s.total : 0,
    );
    this.subnetDataAge = perSubnet(
      "subnet_data_age_seconds",
      "Age of the Azure data behind the subnet's numbers.",
      (s) => Math.max(0, (now() - s.fetchedAt) / 1000),
    );

    this.nodeClassInfo = new Gauge({
      name: P + "nodeclass_info",
      help: "1 per nodeclass with the subnet it resolves to and where the ID came from (spec or default).",
      labelNames: ["nodeclass", "subnet_id", "source"],
      registers,
    });
    this.nodeClassHeadroom = new Gauge({
      name: P + "nodeclass_node_headroom",
      help: "How many more nodes of this class fit in its subnet for the cluster's CNI mode.",
      labelNames: ["nodeclass", "subnet_id"],
      registers,
    });
    this.nodeClassCondition = new Gauge({
      name: P + "nodeclass_condition",
      help: "1 for the current status of each of our conditions, 0 for the other statuses.",
      labelNames: ["nodeclass", "type", "status"],
      registers,
    });
    this.nodeClassConditionReason = new Gauge({
      name: P + "nodeclass_condition_reason",
      help: "1 for the current reason of each of our conditions.",
      labelNames: ["nodeclass", "type", "reason"],
      registers,
    });
    this.nodeClassAccess = new Gauge({
      name: P + "nodeclass_access",
      help: "1 for the current verdict per action (read, join) of Karpenter's identity on the subnet.",
      labelNames: ["nodeclass", "action", "result"],
      registers,
    });
    this.nodeClassCidrConflicts = new Gauge({
      name: P + "nodeclass_cidr_conflicts",
      help: "CIDR conflicts of the nodeclass's subnet, by what it conflicts with.",
      labelNames: ["nodeclass", "with"],
      registers,
    });
    this.nodeClassDrift = new Gauge({
      name: P + "nodeclass_drift",
      help: "1 while a kind of subnet drift is present for the nodeclass.",
      labelNames: ["nodeclass", "kind"],
      registers,
    });
    this.nodeClassNodesOutside = new Gauge({
      name: P + "nodeclass_nodes_outside_subnet",
      help: "Nodes of the class whose InternalIP is outside the subnet's prefixes.",
      labelNames: ["nodeclass"],
      registers,
    });
    // the capacity plan (docs/capacity-planning.md): rendered from the last plan of each subnet
    const plans = (): Map<string, { subnet: SubnetRef; plan: NonNullable<NodeClassMetrics["plan"]> }> => {
      const bySubnet = new Map<string, { subnet: SubnetRef; plan: NonNullable<NodeClassMetrics["plan"]> }>();
      for (const p of this.plans.values()) bySubnet.set(p.subnet.canonical, p);
      return bySubnet;
    };
    const perSubnetPlan = (name: string, help: string, value: (p: NonNullable<NodeClassMetrics["plan"]>) => number) =>
      new Gauge({
        name: P + name,
        help,
        labelNames: ["subnet_id", "subscription_id", "resource_group", "vnet", "subnet"],
        registers,
        collect(this: Gauge<SubnetLabels>) {
          this.reset();
          for (const p of plans().values()) this.set(labelsOfSubnet(p.subnet), value(p.plan));
        },
      });
    this.subnetIpsNeededAtLimits = perSubnetPlan(
      "subnet_ips_needed_at_limits",
      "IPs the NodePools using the subnet would hold at their limits.",
      (p) => p.neededAtLimits,
    );
    this.subnetIpsShortAtLimits = perSubnetPlan(
      "subnet_ips_short_at_limits",
      "IPs the subnet would be short at its NodePools' limits (0 when it holds them).",
      (p) => p.shortAtLimits,
    );
    this.nodePoolWorstCaseNodes = new Gauge({
      name: P + "nodepool_worst_case_nodes",
      help: "The most nodes the NodePool may reach; `limit` says which limit bounds it.",
      labelNames: ["nodepool", "nodeclass", "limit"],
      registers,
      collect(this: Gauge<"nodepool" | "nodeclass" | "limit">) {
        this.reset();
        for (const p of plans().values()) {
          for (const n of p.plan.nodePools) {
            this.set({ nodepool: n.nodePool, nodeclass: n.nodeClass, limit: n.limit }, n.nodes);
          }
        }
      },
    });
    this.clusterNetworkSupported = new Gauge({
      name: P + "cluster_network_supported",
      help: "1 when the cluster's networking is a supported NAP configuration, 0 when not.",
      labelNames: ["plugin", "mode", "policy", "dataplane"],
      registers,
    });
    this.reconcileTotal = new Counter({
      name: P + "reconcile_total",
      help: "Nodeclass reconciles by result.",
      labelNames: ["result"],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: P + "reconcile_duration_seconds",
      help: "Duration of nodeclass reconciles.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.azureRequests = new Counter({
      name: P + "azure_requests_total",
      help: "Azure Resource Manager requests by operation and HTTP status (or error class).",
      labelNames: ["operation", "code"],
      registers,
    });
    this.azureRequestDuration = new Histogram({
      name: P + "azure_request_duration_seconds",
      help: "Azure Resource Manager request latency.",
      labelNames: ["operation"],
      registers,
    });
    this.azureThrottled = new Counter({
      name: P + "azure_throttled_total",
      help: "Azure requests answered 429 (throttled).",
      labelNames: ["operation"],
      registers,
    });
    this.azureRefused = new Counter({
      name: P + "azure_requests_refused_total",
      help: "Azure requests the operator refused to send (nextLink to another host, page cap) or answers it refused to use (body too large, not the expected resource), by reason.",
      labelNames: ["operation", "reason"],
      registers,
    });
    this.statusWrites = new Counter({
      name: P + "status_writes_total",
      help: "Status patches of nodeclasses by result.",
      labelNames: ["result"],
      registers,
    });
    const depth = opts.workqueueDepth;
    this.workqueueDepth = new Gauge({
      name: P + "workqueue_depth",
      help: "Nodeclasses waiting to be reconciled.",
      registers,
      collect(this: Gauge) {
        if (depth) this.set(depth());
      },
    });
    this.leader = new Gauge({
      name: P + "leader",
      help: "1 when this replica is the leader (writes status and exports subnet series).",
      registers,
    });
    this.buildInfo = new Gauge({
      name: P + "build_info",
      help: "Build information; always 1.",
      labelNames: ["version"],
      registers,
    });
    this.buildInfo.set({ version: opts.version }, 1);
    for (const r of ["success", "error", "skipped"]) this.reconcileTotal.inc({ result: r }, 0);
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: P });
      // prom-client names three gauges with a counter's `_total` suffix; their per-type siblings hold the same
      // numbers (sum them), so drop these and keep every exported name lint-clean
      for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"])
        this.registry.removeSingleMetric(`${P}nodejs_${name}`);
    }
  }

  /** Projects one evaluation into the per-nodeclass and per-subnet series. */
  recordEvaluation(nodeclass: string, result: EvaluationResult, numbers: SubnetNumbers | undefined): void {
    this.removeNodeClassSeries(nodeclass);
    const subnetId = result.subnet?.canonical ?? "";
    const source = result.metrics.source;
    this.nodeClassInfo.set({ nodeclass, subnet_id: subnetId, source }, 1);
    if (result.metrics.nodeHeadroom !== undefined) {
      this.nodeClassHeadroom.set({ nodeclass, subnet_id: subnetId }, result.metrics.nodeHeadroom);
    }
    const reasons: Array<[string, string]> = [];
    for (const c of result.conditions) {
      const type = c.type.startsWith(CONDITION_PREFIX) ? c.type.slice(CONDITION_PREFIX.length) : c.type;
      for (const s of STATUSES) this.nodeClassCondition.set({ nodeclass, type, status: s }, s === c.status ? 1 : 0);
      this.nodeClassConditionReason.set({ nodeclass, type, reason: c.reason }, 1);
      reasons.push([type, c.reason]);
    }
    for (const action of ["read", "join"] as const) {
      const verdict = result.metrics.access[action];
      if (!verdict) continue;
      for (const v of VERDICTS) this.nodeClassAccess.set({ nodeclass, action, result: v }, v === verdict ? 1 : 0);
    }
    for (const kind of CONFLICT_KINDS)
      this.nodeClassCidrConflicts.set({ nodeclass, with: kind }, result.metrics.cidrConflicts[kind] ?? 0);
    for (const kind of DRIFT_KINDS) this.nodeClassDrift.set({ nodeclass, kind }, result.metrics.drift[kind] ? 1 : 0);
    if (result.metrics.nodesOutsideSubnet !== undefined)
      this.nodeClassNodesOutside.set({ nodeclass }, result.metrics.nodesOutsideSubnet);
    this.nodeClassLabels.set(nodeclass, { subnetId, source, reasons });
    if (result.subnet && result.metrics.plan)
      this.plans.set(nodeclass, { subnet: result.subnet, plan: result.metrics.plan });
    else this.plans.delete(nodeclass);

    const previousSubnet = this.nodeClassSubnet.get(nodeclass);
    if (result.subnet && numbers) {
      this.subnets.set(result.subnet.canonical, { labels: subnetLabels(result.subnet), ...numbers });
      this.nodeClassSubnet.set(nodeclass, result.subnet.canonical);
    } else {
      this.nodeClassSubnet.delete(nodeclass);
    }
    if (previousSubnet && previousSubnet !== this.nodeClassSubnet.get(nodeclass))
      this.dropSubnetIfUnused(previousSubnet);
  }

  /** A deleted nodeclass drops all its series (and its subnet's, when no other class uses it). */
  forgetNodeClass(nodeclass: string): void {
    this.removeNodeClassSeries(nodeclass);
    this.nodeClassLabels.delete(nodeclass);
    this.plans.delete(nodeclass);
    const subnet = this.nodeClassSubnet.get(nodeclass);
    this.nodeClassSubnet.delete(nodeclass);
    if (subnet) this.dropSubnetIfUnused(subnet);
  }

  /** Losing leadership: another replica reports now, so this one exports no object series. */
  forgetAll(): void {
    for (const name of [...this.nodeClassLabels.keys()]) this.forgetNodeClass(name);
    this.subnets.clear();
    this.clusterNetworkSupported.reset();
  }

  setClusterNetwork(
    labels: { plugin: string; mode: string; policy: string; dataplane: string } | undefined,
    supported: boolean,
  ): void {
    this.clusterNetworkSupported.reset();
    if (labels) this.clusterNetworkSupported.set(labels, supported ? 1 : 0);
  }

  nodeClassCount(): number {
    return this.nodeClassLabels.size;
  }

  private dropSubnetIfUnused(canonical: string): void {
    for (const s of this.nodeClassSubnet.values()) if (s === canonical) return;
    this.subnets.delete(canonical);
  }

  private removeNodeClassSeries(nodeclass: string): void {
    const prev = this.nodeClassLabels.get(nodeclass);
    if (!prev) return;
    this.nodeClassInfo.remove({ nodeclass, subnet_id: prev.subnetId, source: prev.source });
    this.nodeClassHeadroom.remove({ nodeclass, subnet_id: prev.subnetId });
    for (const [type, reason] of prev.reasons) {
      for (const s of STATUSES) this.nodeClassCondition.remove({ nodeclass, type, status: s });
      this.nodeClassConditionReason.remove({ nodeclass, type, reason });
    }
    for (const action of ["read", "join"])
      for (const v of VERDICTS) this.nodeClassAccess.remove({ nodeclass, action, result: v });
    for (const kind of CONFLICT_KINDS) this.nodeClassCidrConflicts.remove({ nodeclass, with: kind });
    for (const kind of DRIFT_KINDS) this.nodeClassDrift.remove({ nodeclass, kind });
    this.nodeClassNodesOutside.remove({ nodeclass });
  }
}

/** subnetLabels under another name, for the constructor (where `subnetLabels` is the label-name list) */
function labelsOfSubnet(ref: SubnetRef): Record<SubnetLabels, string> {
  return subnetLabels(ref);
}

export function subnetLabels(ref: SubnetRef): Record<SubnetLabels, string> {
  return {
    subnet_id: ref.canonical,
    subscription_id: ref.subscriptionId.toLowerCase(),
    resource_group: ref.resourceGroup.toLowerCase(),
    vnet: ref.vnet.toLowerCase(),
    subnet: ref.subnet.toLowerCase(),
  };
}
