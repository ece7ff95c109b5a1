/**
 * The vocabulary of our conditions on a shared object, in one place: which types are ours (the domain
 * prefix), their short names, when two are the same, a key for "did ours change", and timestamps.
 */
import { createHash } from "node:crypto";
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

/**
 * A key of our conditions, independent of list order: equal keys mean nothing of ours changed. A digest,
 * because every nodeclass's record keeps one (the conditions themselves are about 2 KB).
 */
export function conditionsKey(list: readonly ConditionLike[]): string {
  const canonical = JSON.stringify(
    ourConditions(list)
      .map((c) => JSON.stringify([c.type, c.status, c.reason, c.message]))
      .sort(),
  );
  return createHash("sha256").update(canonical).digest("base64url");
}

/**
 * Upper bounds on what we write, far below the API server's own (condition message 32 768 characters,
 * reason 1 024): whatever the input, a write is accepted. Messages lead with the fix; access advice with
 * its az commands is the longest we write (about 1 500 characters).
 */
export const MAX_MESSAGE_LENGTH = 4_000;
export const MAX_REASON_LENGTH = 128;

/** Cuts text to `max` characters, marking the cut with "…". */
export function bounded(text: string, max: number = MAX_MESSAGE_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A condition or Event with its message and reason bounded. */
export function boundedOutput<T extends { reason: string; message: string }>(c: T): T {
  if (c.message.length <= MAX_MESSAGE_LENGTH && c.reason.length <= MAX_REASON_LENGTH) return c;
  // a reason is a fixed identifier from our code: cutting keeps it matching the CRD's reason pattern
  return {
    ...c,
    reason: c.reason.slice(0, MAX_REASON_LENGTH).replace(/[^A-Za-z0-9_]+$/, ""),
    message: bounded(c.message),
  };
}

/** RFC3339 in UTC, whole seconds (what metav1.Time serialises). */
export function rfc3339(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
