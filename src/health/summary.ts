/**
 * SubnetReady: one answer from the concern conditions, ranked only by the severity each concern gave
 * its reason (severity.ts, concerns.ts); no reason strings are listed here.
 *
 * - False when a concern is False with a `blocking` reason; reason = the first in CONCERN_ORDER.
 * - Unknown when nothing blocks but a concern is Unknown with a `blocking` reason (cannot tell).
 * - True with an advisory reason when something is `advisory` or `informational`; the most urgent
 *   (the concern's urgency, then False before True before Unknown, then CONCERN_ORDER) names it.
 * - True SubnetReady otherwise.
 * Messages list every problem in a fixed order so the same inputs always give the same text.
 */
import { ConditionType } from "../domain.js";
import { shortType } from "./conditions.js";
import { CONCERN_ORDER, severityOf } from "./concerns.js";
import type { ConditionResult } from "./types.js";

export { CONCERN_ORDER } from "./concerns.js";
export const SummaryReason = { SubnetReady: "SubnetReady" } as const;

const STATUS_RANK = { False: 0, True: 10, Unknown: 20 } as const;

/** Lower is more urgent: the concern's urgency first, then False before True before Unknown, then concern order. */
function advisoryRank(c: ConditionResult): number {
  const { urgency } = severityOf(c);
  if (urgency !== undefined) return urgency;
  return 1000 + STATUS_RANK[c.status] + CONCERN_ORDER.indexOf(c.type as (typeof CONCERN_ORDER)[number]);
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
  const severity = (c: ConditionResult): string => severityOf(c).severity;
  const blocking = ordered.filter((c) => c.status === "False" && severity(c) === "blocking");
  const unknown = ordered.filter((c) => c.status === "Unknown" && severity(c) === "blocking");
  // advisories and informational notes; a True "blocking" reason (someone else's edit) counts as advisory
  const notes = ordered.filter((c) => severity(c) !== "ok" && !blocking.includes(c) && !unknown.includes(c));
  const advisory = [
    ...notes.filter((c) => c.status === "False"),
    ...notes.filter((c) => c.status === "Unknown"),
    ...notes.filter((c) => c.status === "True"),
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
