/**
 * SubnetReady: one answer from the five concern conditions.
 *
 * - False when anything blocks new nodes: SubnetFound False, SubnetAccess False, SubnetCapacity False
 *   with SubnetFull, NetworkPlan False. Reason = the first blocking reason in CONCERN_ORDER.
 * - Unknown when nothing blocks but something is Unknown.
 * - True with an advisory reason when something needs attention but does not block (CapacityCritical,
 *   CapacityLow, AccessBroaderThanNeeded, SubnetMigration, NodesOutsideSubnet, BYOCNI, …); the most
 *   severe advisory (False before True, then CONCERN_ORDER) names the reason.
 * - True SubnetReady otherwise.
 * Messages list every problem in a fixed order so the same inputs always give the same text.
 */
import { ConditionType, CONDITION_PREFIX } from "../domain.js";
import type { ConditionResult } from "./types.js";

export const SummaryReason = { SubnetReady: "SubnetReady" } as const;

/** Fixed order of concerns: it decides which reason the summary shows. */
export const CONCERN_ORDER = [
  ConditionType.SubnetFound,
  ConditionType.SubnetAccess,
  ConditionType.SubnetCapacity,
  ConditionType.NetworkPlan,
  ConditionType.SubnetStable,
] as const;

/** True reasons that mean "nothing to see"; any other True reason is advisory. */
export const HEALTHY_REASONS: ReadonlySet<string> = new Set([
  "SubnetFound",
  "AccessGranted",
  "AccessNotChecked",
  "CapacitySufficient",
  "NetworkPlanSupported",
  "NetworkPlanRecommended",
  "SubnetStable",
]);

/** False conditions that do not block new nodes. */
function isBlocking(c: ConditionResult): boolean {
  if (c.status !== "False") return false;
  switch (c.type) {
    case ConditionType.SubnetFound:
    case ConditionType.SubnetAccess:
    case ConditionType.NetworkPlan:
      return true;
    case ConditionType.SubnetCapacity:
      return c.reason === "SubnetFull";
    default:
      return false;
  }
}

/**
 * Unknowns that say "not enough information to check" rather than "cannot tell whether nodes
 * launch": without them a cluster whose network the operator cannot see would never be Ready.
 */
const INFORMATIONAL_UNKNOWN_REASONS: ReadonlySet<string> = new Set(["NetworkUnknown", "StabilityUnknown"]);

function isAdvisory(c: ConditionResult): boolean {
  if (c.status === "Unknown") return INFORMATIONAL_UNKNOWN_REASONS.has(c.reason);
  if (c.status === "False") return !isBlocking(c);
  return c.status === "True" && !HEALTHY_REASONS.has(c.reason);
}

/** Lower is more urgent: running out of IPs beats a broad grant or an unknown network. */
const ADVISORY_PRIORITY: readonly string[] = [
  "CapacityCritical",
  "CapacityLow",
  "SubnetMigration",
  "NodesOutsideSubnet",
  "SubnetDeleted",
  "DefaultSubnetChanged",
  "SubnetNotProvisioned",
];

function advisoryRank(c: ConditionResult): number {
  const i = ADVISORY_PRIORITY.indexOf(c.reason);
  if (i >= 0) return i;
  // then False before True before informational Unknown, keeping CONCERN_ORDER among equals
  const base = ADVISORY_PRIORITY.length + (c.status === "False" ? 0 : c.status === "True" ? 10 : 20);
  return base + CONCERN_ORDER.indexOf(c.type as (typeof CONCERN_ORDER)[number]);
}

function shortType(t: string): string {
  return t.startsWith(CONDITION_PREFIX) ? t.slice(CONDITION_PREFIX.length) : t;
}

/**
 * The summary repeats only the first sentence of each concern's message: the full text, with the
 * fix, is on the concern's own condition right below it in `kubectl describe`.
 */
export function firstSentence(message: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(message);
  return (m?.[1] ?? message).trim();
}

function line(c: ConditionResult): string {
  return `${shortType(c.type)} ${c.reason}: ${firstSentence(c.message)}`;
}

export function summarize(conditions: readonly ConditionResult[]): ConditionResult {
  const type = ConditionType.SubnetReady;
  const ordered = CONCERN_ORDER.map((t) => conditions.find((c) => c.type === t)).filter(
    (c): c is ConditionResult => c !== undefined,
  );
  const blocking = ordered.filter(isBlocking);
  const unknown = ordered.filter((c) => c.status === "Unknown" && !isAdvisory(c));
  const advisory = [
    ...ordered.filter((c) => c.status === "False" && isAdvisory(c)),
    ...ordered.filter((c) => c.status === "Unknown" && isAdvisory(c)),
    ...ordered.filter((c) => c.status === "True" && isAdvisory(c)),
  ];
  const rest = (first: ConditionResult[], ...more: ConditionResult[][]): string =>
    [...first, ...more.flat()].map(line).join(" | ");
  const [firstBlocking] = blocking;
  if (firstBlocking !== undefined) {
    return { type, status: "False", reason: firstBlocking.reason, message: rest(blocking, unknown, advisory) };
  }
  const [firstUnknown] = unknown;
  if (firstUnknown !== undefined) {
    return { type, status: "Unknown", reason: firstUnknown.reason, message: rest(unknown, advisory) };
  }
  // the summary's reason names the advisory that most threatens new nodes; the message lists all
  const ranked = [...advisory].sort((a, b) => advisoryRank(a) - advisoryRank(b));
  const [firstAdvisory] = ranked;
  if (firstAdvisory !== undefined) {
    return { type, status: "True", reason: firstAdvisory.reason, message: `Usable, with warnings: ${rest(ranked)}` };
  }
  const access = ordered.find((c) => c.type === ConditionType.SubnetAccess);
  const accessNote = access?.reason === "AccessNotChecked" ? " Karpenter's access to it is not checked." : "";
  return {
    type,
    status: "True",
    reason: SummaryReason.SubnetReady,
    message: `No problems found: the subnet exists, has room and fits the cluster's network plan.${accessNote}`,
  };
}
