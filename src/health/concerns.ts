/**
 * The concerns behind SubnetReady, in the order that decides which reason the summary shows, each with
 * the severity table it owns. A new concern adds its condition type to src/domain.ts, its evaluator
 * and table next to it, and one line here.
 */
import { ConditionType, type OurConditionType } from "../domain.js";
import { ACCESS_SEVERITY } from "./access/condition.js";
import { CAPACITY_SEVERITY } from "./capacity.js";
import { CONNECTIVITY_SEVERITY } from "./connectivity/reasons.js";
import { DRIFT_SEVERITY } from "./drift.js";
import { EXISTENCE_SEVERITY } from "./existence.js";
import { NETWORK_PLAN_SEVERITY } from "./network-plan.js";
import { severitySpec, type ReasonSeverity, type SeverityTable } from "./severity.js";
import type { ConditionLike } from "./conditions.js";

export interface Concern {
  type: OurConditionType;
  severity: SeverityTable<string>;
}

export const CONCERNS = [
  { type: ConditionType.SubnetFound, severity: EXISTENCE_SEVERITY },
  { type: ConditionType.SubnetAccess, severity: ACCESS_SEVERITY },
  { type: ConditionType.SubnetCapacity, severity: CAPACITY_SEVERITY },
  { type: ConditionType.NetworkPlan, severity: NETWORK_PLAN_SEVERITY },
  { type: ConditionType.SubnetConnectivity, severity: CONNECTIVITY_SEVERITY },
  { type: ConditionType.SubnetStable, severity: DRIFT_SEVERITY },
] as const satisfies readonly Concern[];

export type ConcernType = (typeof CONCERNS)[number]["type"];

/** Fixed order of concerns: it decides which reason the summary shows. */
export const CONCERN_ORDER: readonly ConcernType[] = CONCERNS.map((c) => c.type);

/**
 * The severity the condition's concern gave its reason. A reason no concern knows (someone else's
 * edit read back from the object) is taken at its word's worst: False or Unknown block, True advises.
 */
export function severityOf(c: Pick<ConditionLike, "type" | "status" | "reason">): ReasonSeverity {
  const concern: Concern | undefined = CONCERNS.find((k) => k.type === c.type);
  const entry =
    concern !== undefined && Object.hasOwn(concern.severity, c.reason) ? concern.severity[c.reason] : undefined;
  if (entry !== undefined) return severitySpec(entry);
  return { severity: c.status === "True" ? "advisory" : "blocking" };
}
