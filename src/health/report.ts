/**
 * One nodeclass's evaluation as a person reads it: the subnet in short, the summary verdict, the
 * numbers and the access approach. `check` prints it and the per-nodeclass view resource
 * (SubnetHealthView) stores it, so both always say the same thing. Pure.
 */
import { ConditionType, CONDITION_PREFIX } from "../domain.js";
import { severityOf } from "./concerns.js";
import type {
  AccessApproach,
  AccessObservation,
  ConditionResult,
  ConditionStatus,
  EvaluationResult,
  SubnetSource,
} from "./types.js";

/**
 * - ok: nothing to do;
 * - warning: nodes launch, but something needs attention (low capacity, broad grant, unknown network);
 * - blocked: new nodes will not launch (SubnetReady False);
 * - undecided: Azure could not answer (SubnetReady Unknown), so nobody can tell yet.
 */
export type Verdict = "ok" | "warning" | "blocked" | "undecided";

export interface NodeClassReport {
  name: string;
  /** the subnet ID as resolved (spec or default), possibly invalid */
  subnetID: string | undefined;
  /** "vnet/subnet" when the ID parsed */
  subnet: string | undefined;
  subscription: string | undefined;
  resourceGroup: string | undefined;
  vnet: string | undefined;
  source: SubnetSource;
  ready: ConditionStatus;
  reason: string;
  message: string;
  verdict: Verdict;
  freeIPs?: number;
  totalIPs?: number;
  usedIPs?: number;
  /** used / total in whole percent */
  utilizationPercent?: number;
  nodeHeadroom?: number;
  /** RFC3339 time the Azure numbers were read */
  dataTime?: string;
  accessApproach?: AccessApproach;
  /** every condition of ours, summary first, with the full message */
  conditions: ConditionResult[];
}

export function verdictOf(summary: Pick<ConditionResult, "status" | "reason">): Verdict {
  if (summary.status === "False") return "blocked";
  if (summary.status === "Unknown") return "undecided";
  return summary.reason === "SubnetReady" ? "ok" : "warning";
}

/** Whether a concern's condition says something the user should read (not a plain healthy True). */
export function needsAttention(c: Pick<ConditionResult, "type" | "status" | "reason">): boolean {
  return severityOf(c).severity !== "ok";
}

export function shortConditionType(type: string): string {
  return type.startsWith(CONDITION_PREFIX) ? type.slice(CONDITION_PREFIX.length) : type;
}

export function utilizationPercent(used: number | undefined, total: number | undefined): number | undefined {
  if (used === undefined || total === undefined || total <= 0) return undefined;
  return Math.round((used / total) * 100);
}

function approachOf(access: AccessObservation | undefined): AccessApproach | undefined {
  if (access?.kind === "ok") return access.evaluation.approach;
  if (access?.kind === "unavailable") return access.last?.approach;
  return undefined;
}

export function nodeClassReport(
  name: string,
  result: EvaluationResult,
  access: AccessObservation | undefined,
): NodeClassReport {
  const summary = result.conditions.find((c) => c.type === ConditionType.SubnetReady);
  const sh = result.subnetHealth;
  const ref = result.subnet;
  const approach = approachOf(access);
  const utilization = utilizationPercent(sh.usedIPs, sh.totalIPs);
  return {
    name,
    subnetID: sh.subnetID,
    subnet: ref ? `${ref.vnet}/${ref.subnet}` : undefined,
    subscription: ref?.subscriptionId,
    resourceGroup: ref?.resourceGroup,
    vnet: ref?.vnet,
    source: sh.source,
    ready: summary?.status ?? "Unknown",
    reason: summary?.reason ?? "NotEvaluated",
    message: summary?.message ?? "",
    verdict: summary ? verdictOf(summary) : "undecided",
    ...(sh.freeIPs !== undefined ? { freeIPs: sh.freeIPs } : {}),
    ...(sh.totalIPs !== undefined ? { totalIPs: sh.totalIPs } : {}),
    ...(sh.usedIPs !== undefined ? { usedIPs: sh.usedIPs } : {}),
    ...(utilization !== undefined ? { utilizationPercent: utilization } : {}),
    ...(sh.nodeHeadroom !== undefined ? { nodeHeadroom: sh.nodeHeadroom } : {}),
    ...(sh.dataTime !== undefined ? { dataTime: sh.dataTime } : {}),
    ...(approach !== undefined ? { accessApproach: approach } : {}),
    conditions: result.conditions,
  };
}
