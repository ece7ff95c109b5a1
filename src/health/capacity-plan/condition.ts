/**
 * The capacity plan's verdict on the SubnetCapacity condition: capacity now and capacity at NodePool
 * limits are one concern (will this subnet hold the nodes?), so the plan adds to that condition
 * rather than to a condition of its own.
 *
 * - Capacity sufficient now, short at limits → True CapacityShortAtLimits, plan message first.
 * - Capacity sufficient now, a NodePool that cannot be planned → True NodePoolUnbounded.
 * - Capacity sufficient now and the plan fits → CapacitySufficient, the plan's sentence appended.
 * - Capacity low, critical or full now → that reason stays (it is the more urgent); the plan is appended.
 * - Unknown capacity, or nothing to plan → unchanged.
 * Both new reasons are advisories: a plan never blocks on its own.
 */
import { CapacityReason } from "../capacity.js";
import type { ConditionResult } from "../types.js";
import { planMessage, type SubnetPlan } from "./subnet-plan.js";

export function withCapacityPlan(condition: ConditionResult, plan: SubnetPlan | undefined): ConditionResult {
  if (plan === undefined || condition.status === "Unknown") return condition;
  const text = planMessage(plan);
  if (text === undefined) return condition;
  if (condition.reason !== CapacityReason.CapacitySufficient) {
    return { ...condition, message: `${condition.message} ${text}` };
  }
  switch (plan.verdict) {
    case "short":
      return { ...condition, reason: CapacityReason.CapacityShortAtLimits, message: `${text} ${condition.message}` };
    case "unbounded":
      return { ...condition, reason: CapacityReason.NodePoolUnbounded, message: `${text} ${condition.message}` };
    default:
      return { ...condition, message: `${condition.message} ${text}` };
  }
}
