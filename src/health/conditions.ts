/**
 * The vocabulary of our conditions on a shared object, in one place: which types are ours (the domain
 * prefix), their short names, when two are the same, a key for "did ours change", and timestamps.
 */
import { CONDITION_PREFIX } from "../domain.js";
import type { StoredCondition } from "./types.js";

export type ConditionLike = Pick<StoredCondition, "type" | "status" | "reason" | "message">;

export function isOurType(type: string, prefix: string = CONDITION_PREFIX): boolean {
  return type.startsWith(prefix);
}

/** "aks-subnet-health.io/SubnetReady" → "SubnetReady"; foreign types are returned unchanged. */
export function shortType(type: string): string {
  return isOurType(type) ? type.slice(CONDITION_PREFIX.length) : type;
}

export function ourConditions<T extends { type: string }>(list: readonly T[]): T[] {
  return list.filter((c) => isOurType(c.type));
}

/** Same type, status, reason and message: nothing a user would see differs (timestamps aside). */
export function conditionsEqual(a: ConditionLike, b: ConditionLike): boolean {
  return a.type === b.type && a.status === b.status && a.reason === b.reason && a.message === b.message;
}

/** A key of our conditions, independent of list order: equal keys mean nothing of ours changed. */
export function conditionsKey(list: readonly ConditionLike[]): string {
  return JSON.stringify(
    ourConditions(list)
      .map((c) => JSON.stringify([c.type, c.status, c.reason, c.message]))
      .sort(),
  );
}

/** RFC3339 in UTC, whole seconds (what metav1.Time serialises). */
export function rfc3339(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
