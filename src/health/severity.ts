/**
 * What a reason means for new nodes, declared by the concern that chooses the reason.
 *
 * - `ok`: nothing to see.
 * - `advisory`: nodes still launch, but someone should act (capacity low, a broad grant, a migration).
 * - `blocking`: nodes cannot launch (status False) or the operator cannot tell whether they can
 *   (status Unknown); SubnetReady turns False / Unknown.
 * - `informational`: not enough information to check something that does not decide readiness
 *   (the cluster's network unknown); listed as a warning, never turns SubnetReady Unknown.
 *
 * Each concern keeps a {@link SeverityTable} over its own reason union and builds its conditions with
 * {@link conditionBuilder}: a reason added to the union without a severity does not compile, and the
 * summary (summary.ts) ranks only by what the tables say.
 */
import type { OurConditionType } from "../domain.js";
import type { ConditionResult, ConditionStatus } from "./types.js";

export type Severity = "ok" | "advisory" | "blocking" | "informational";

export interface ReasonSeverity {
  severity: Severity;
  /**
   * Advisories only: lower is more urgent when SubnetReady picks the one reason to show (0 = about to
   * stop new nodes). Advisories without one rank after all that have one: False, then True, then
   * Unknown, in concern order.
   */
  urgency?: number;
  /**
   * Advisories only: left alone, this will stop new nodes (IPs running out), so its Event is a Warning.
   * Other advisories' Events are Normal: a Warning is for what blocks or will block.
   */
  warns?: boolean;
}

/** Every reason of a concern with its severity: `Record` makes the table exhaustive over the union. */
export type SeverityTable<R extends string> = Readonly<Record<R, Severity | ReasonSeverity>>;

export function severitySpec(entry: Severity | ReasonSeverity): ReasonSeverity {
  return typeof entry === "string" ? { severity: entry } : entry;
}

/** A condition whose reason is one of its concern's (and so has a severity). */
export type ConcernCondition<R extends string> = ConditionResult & { reason: R };

/** The condition constructor of one concern: only reasons of its table are accepted. */
export function conditionBuilder<R extends string>(
  type: OurConditionType,
  _table: SeverityTable<R>,
): (status: ConditionStatus, reason: R, message: string) => ConcernCondition<R> {
  return (status, reason, message) => ({ type, status, reason, message });
}

/** Type guard: is `reason` one of the table's reasons? (for reasons read back from stored status) */
export function isReasonOf<R extends string>(table: SeverityTable<R>, reason: string): reason is R {
  return Object.prototype.hasOwnProperty.call(table, reason);
}
