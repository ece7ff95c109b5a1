/**
 * One nodeclass, one evaluation: resolve → existence → access → capacity → network plan → drift →
 * summary. Pure: the shell passes every observation and the clock in.
 */
import { ConditionType } from "../domain.js";
import { accessCondition, accessWithoutSubnet } from "./access/condition.js";
import { evaluateCapacity } from "./capacity.js";
import { withCapacityPlan } from "./capacity-plan/condition.js";
import { planForNodeClass, planMetrics } from "./capacity-plan/plan-subnets.js";
import { evaluateConnectivity } from "./connectivity/evaluate.js";
import { evaluateDrift } from "./drift.js";
import { evaluateExistence } from "./existence.js";
import { conflictKind, evaluateNetworkPlan } from "./network-plan.js";
import { evaluatePlacement } from "./placement.js";
import { resolveSubnet } from "./resolve-subnet.js";
import { boundedOutput, conditionsEqual, rfc3339, shortType } from "./conditions.js";
import { parseSubnetId } from "./subnet-id.js";
import { CONCERN_ORDER, severityOf } from "./concerns.js";
import { summarize } from "./summary.js";
import type {
  AccessObservation,
  ClusterNetwork,
  ClusterNetworkObservation,
  ConditionResult,
  DriftKind,
  EvaluationInput,
  EvaluationResult,
  EventIntent,
  NodeClassMetrics,
  StoredCondition,
  SubnetHealthStatus,
  SubnetProperties,
  VNetSnapshot,
} from "./types.js";
import { clusterNodeResourceGroup, clusterOutboundType } from "./cluster-facts.js";

/** Order of conditions in the result: the summary first, then the concerns. */
export const CONDITION_ORDER = [ConditionType.SubnetReady, ...CONCERN_ORDER] as const;

export { conditionsEqual, rfc3339 };

export function networkFromObservation(obs: ClusterNetworkObservation): ClusterNetwork | undefined {
  switch (obs.kind) {
    case "ok":
      return obs.network;
    case "unavailable":
      return obs.last;
    case "unknown":
      return undefined;
  }
}

function accessMetrics(obs: AccessObservation): NodeClassMetrics["access"] {
  const evaluation = obs.kind === "ok" ? obs.evaluation : obs.kind === "unavailable" ? obs.last : undefined;
  if (evaluation === undefined) return {};
  return { read: evaluation.read.verdict, join: evaluation.join.verdict };
}

/**
 * Events for condition transitions: Warning when a concern turns False (or stays False with a new
 * reason), Normal when a False concern turns True. Unknown is neither: throttling must not page anyone.
 * An advisory is a Warning only when its concern says it will block new nodes if left alone (IPs running
 * out); other advisories (a broad grant, a migration) are Normal: a Warning is for what blocks.
 * The summary gets no events of its own; it only repeats the concerns.
 */
export function transitionEvents(
  previous: readonly StoredCondition[],
  next: readonly ConditionResult[],
  skipReasons: ReadonlySet<string>,
): EventIntent[] {
  const events: EventIntent[] = [];
  for (const t of CONCERN_ORDER) {
    const now = next.find((c) => c.type === t);
    if (now === undefined) continue;
    const before = previous.find((c) => c.type === t);
    if (skipReasons.has(now.reason)) continue;
    const advisory = now.status === "True" && severityOf(now).severity !== "ok";
    const changed = before === undefined || before.status !== now.status || before.reason !== now.reason;
    if (now.status === "False" && changed) {
      events.push({ type: "Warning", reason: now.reason, message: `${shortType(t)} is False: ${now.message}` });
    } else if (advisory && changed) {
      const type = severityOf(now).warns === true ? "Warning" : "Normal";
      events.push({ type, reason: now.reason, message: `${shortType(t)}: ${now.message}` });
    } else if (now.status === "True" && !advisory && before !== undefined && before.status === "False") {
      events.push({ type: "Normal", reason: now.reason, message: `${shortType(t)} is True again: ${now.message}` });
    } else if (
      now.status === "True" &&
      !advisory &&
      before !== undefined &&
      before.status === "True" &&
      severityOf(before).severity !== "ok"
    ) {
      events.push({ type: "Normal", reason: now.reason, message: `${shortType(t)} is healthy again: ${now.message}` });
    }
  }
  return events;
}

export function evaluateNodeClass(input: EvaluationInput): EvaluationResult {
  const { nodeClass, settings, previous } = input;
  const resolution = input.resolution ?? resolveSubnet(nodeClass, settings);
  const network = networkFromObservation(input.network);
  const placement = evaluatePlacement(
    resolution,
    settings.defaultSubnetID,
    clusterNodeResourceGroup(settings, network),
  );
  const existence = evaluateExistence(resolution, input.vnet, settings.allowedSubscriptions, placement);
  // a subnet that does not exist, or an ID that is missing or does not parse, is SubnetFound's problem alone: no
  // access verdict, no access alert (and no "waiting for Azure" for an ID Azure is never asked about)
  const subnetMissing = ["not-found", "invalid", "unconfigured"].includes(existence.state);
  const access = subnetMissing
    ? accessWithoutSubnet(existence.condition.reason)
    : accessCondition(input.access, existence.ref);
  const capacity = evaluateCapacity({
    existence,
    vnet: input.vnet,
    specMaxPods: nodeClass.maxPods,
    network,
    thresholds: settings.thresholds,
  });
  const plan = evaluateNetworkPlan({
    subnetPrefixes: existence.data?.subnet.addressPrefixes,
    subnetCanonical: existence.ref?.canonical,
    vnetCanonical: existence.ref?.vnetCanonical,
    network,
    peers: input.peers.filter((p) => p.nodeclass !== nodeClass.name),
  });
  const connectivity = evaluateConnectivity({
    ref: existence.ref,
    // a subnet Karpenter refuses, or that does not exist, has no connectivity worth judging
    subnet: existence.refused === undefined ? existence.data?.subnet : undefined,
    vnetAddressSpace: existence.data?.snapshot.addressSpace ?? [],
    clusterSubnetID: settings.defaultSubnetID,
    clusterSubnet: clusterSubnetIn(existence.data?.snapshot, settings.defaultSubnetID),
    network,
    outboundType: clusterOutboundType(settings, network),
    nsg: input.connectivity?.nsg,
    routeTable: input.connectivity?.routeTable,
    natGateway: input.connectivity?.natGateway,
  });
  const drift = evaluateDrift({
    resolution,
    existence,
    previous: previous.subnetHealth,
    previousStable: previous.conditions.find((c) => c.type === ConditionType.SubnetStable),
    nodes: input.nodes,
    defaultSubnetID: settings.defaultSubnetID,
  });

  const capacityPlan = planForNodeClass(
    nodeClass,
    existence.ref,
    capacity.numbers,
    existence.data?.subnet.addressPrefixes ?? [],
    input.capacityPlan,
    network,
  );
  const capacityCondition = withCapacityPlan(capacity.condition, capacityPlan);
  const planValues = capacityPlan !== undefined ? planMetrics(capacityPlan) : undefined;

  const concerns = [
    existence.condition,
    access,
    capacityCondition,
    plan.condition,
    connectivity.condition,
    drift.condition,
  ].map(boundedOutput);
  const conditions = [boundedOutput(summarize(concerns)), ...concerns];

  const numbers = capacity.numbers;
  const dataAt = numbers?.fetchedAt ?? existence.data?.snapshot.fetchedAt;
  const subnetHealth: SubnetHealthStatus = {
    subnetID: existence.ref?.id ?? resolution.raw,
    source: resolution.source,
    ...(numbers !== undefined
      ? {
          freeIPs: numbers.free,
          totalIPs: numbers.total,
          usedIPs: numbers.used,
          ...(numbers.nodeHeadroom !== undefined ? { nodeHeadroom: numbers.nodeHeadroom } : {}),
        }
      : {}),
    ...(dataAt !== undefined ? { dataTime: rfc3339(dataAt) } : {}),
    ...dropUndefined(drift.memory),
  };

  const cidrConflicts: NodeClassMetrics["cidrConflicts"] = {};
  for (const c of plan.conflicts) {
    const k = conflictKind(c);
    cidrConflicts[k] = (cidrConflicts[k] ?? 0) + 1;
  }
  const driftCounts: Partial<Record<DriftKind, number>> = {};
  for (const k of drift.kinds) driftCounts[k] = k === "nodes-outside" ? (drift.nodesOutside ?? 0) : 1;
  const metrics: NodeClassMetrics = {
    subnetCanonical: existence.ref?.canonical,
    ...(numbers !== undefined
      ? { ips: { total: numbers.total, used: numbers.used, available: numbers.free, fetchedAt: numbers.fetchedAt } }
      : {}),
    source: resolution.source,
    nodeHeadroom: numbers?.nodeHeadroom,
    access: subnetMissing ? {} : accessMetrics(input.access),
    cidrConflicts,
    drift: driftCounts,
    nodesOutsideSubnet: drift.nodesOutside,
    ...(planValues !== undefined ? { plan: planValues } : {}),
    connectivity: Object.fromEntries(connectivity.checks.map((c) => [c.check, c.result])),
  };

  const driftReasons = new Set(drift.events.map((e) => e.reason));
  const events = [...drift.events, ...transitionEvents(previous.conditions, concerns, driftReasons)].map(boundedOutput);

  return { conditions, subnetHealth, metrics, events, subnet: existence.ref, capacityPlan };
}

/** The cluster subnet's properties, when it is in the VNet just read (Karpenter accepts no other). */
function clusterSubnetIn(
  snapshot: VNetSnapshot | undefined,
  clusterSubnetID: string | undefined,
): SubnetProperties | undefined {
  if (snapshot === undefined || clusterSubnetID === undefined) return undefined;
  const parsed = parseSubnetId(clusterSubnetID);
  if (!parsed.ok || parsed.ref.vnetCanonical !== snapshot.vnetCanonical) return undefined;
  return snapshot.subnets.get(parsed.ref.subnet.toLowerCase());
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
