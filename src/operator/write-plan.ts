/**
 * What to write after an evaluation, and when to look again. Pure; the status writer then merges the
 * plan against the cached object and sends nothing when nothing of ours changed.
 *
 * Numbers in status.subnetHealth feed the printer columns only (metrics carry the live values): a
 * write that would change nothing but numbers waits for the minimum interval, so busy subnets do not
 * turn into a stream of patches (each of which makes Karpenter reconcile the nodeclass).
 */
import { conditionsEqual, ourConditions } from "../health/conditions.js";
import type {
  AccessObservation,
  EvaluationResult,
  PreviousState,
  SubnetHealthStatus,
  VNetObservation,
} from "../health/types.js";
import type { DesiredStatus } from "../kube/status-writer.js";

/** Fields of status.subnetHealth that move with every Azure read: never worth a write on their own. */
export const NUMBER_FIELDS = ["freeIPs", "totalIPs", "usedIPs", "nodeHeadroom"] as const;

export interface WritePlanInput {
  result: EvaluationResult;
  /** what the object (or, with a pruning CRD, this process) holds now */
  previous: PreviousState;
  generation: number;
  /** when numbers were last written, if ever */
  numbersWrittenAt: number | undefined;
  now: number;
  numbersMinIntervalMs: number;
  resyncPeriodMs: number;
  vnet: VNetObservation | undefined;
  access: AccessObservation;
}

export interface WritePlan {
  desired: DesiredStatus & { subnetHealth: SubnetHealthStatus };
  /** the desired numbers differ from the stored ones: a write of them sets numbersWrittenAt */
  numbersChanged: boolean;
  /** look again sooner than the next resync: held-back numbers, or Azure that could not answer */
  lookAgainAfterMs?: number;
}

export function planWrite(p: WritePlanInput): WritePlan {
  const stored = p.previous.subnetHealth;
  const next = p.result.subnetHealth;
  const waits: number[] = [];
  let subnetHealth = next;
  if (stored && onlyNumbersDiffer(p.previous, p.result)) {
    const last = p.numbersWrittenAt ?? 0;
    const numbersChanged = !sameNumbers(next, stored);
    const due = p.now - last >= p.numbersMinIntervalMs;
    if (!(numbersChanged && due)) {
      // keep what is stored, dataTime included, so nothing is written for moving fields
      if (numbersChanged) waits.push(last + p.numbersMinIntervalMs - p.now);
      subnetHealth = keepStoredNumbers(next, stored);
    }
  }
  const retry = retryHint(p.vnet, p.access, p.resyncPeriodMs);
  if (retry !== undefined) waits.push(retry);
  return {
    desired: { conditions: p.result.conditions, subnetHealth, observedGeneration: p.generation },
    numbersChanged: !sameNumbers(subnetHealth, stored),
    ...(waits.length > 0 ? { lookAgainAfterMs: Math.min(...waits) } : {}),
  };
}

/** Our conditions and every non-moving field of subnetHealth are as stored. */
function onlyNumbersDiffer(previous: PreviousState, result: EvaluationResult): boolean {
  const stored = ourConditions(previous.conditions);
  const conditionsSame =
    stored.length === result.conditions.length &&
    result.conditions.every((c) => stored.some((s) => conditionsEqual(s, c)));
  return conditionsSame && sameJson(withoutMoving(result.subnetHealth), withoutMoving(previous.subnetHealth));
}

/** `next` with the stored numbers and dataTime, so nothing is written for them. */
function keepStoredNumbers(next: SubnetHealthStatus, stored: SubnetHealthStatus): SubnetHealthStatus {
  const kept: SubnetHealthStatus = { ...next };
  for (const f of NUMBER_FIELDS) {
    if (stored[f] === undefined) delete kept[f];
    else kept[f] = stored[f];
  }
  if (stored.dataTime === undefined) delete kept.dataTime;
  else kept.dataTime = stored.dataTime;
  return kept;
}

function withoutMoving(sh: SubnetHealthStatus | undefined): Record<string, unknown> {
  if (!sh) return {};
  const { freeIPs: _f, totalIPs: _t, usedIPs: _u, nodeHeadroom: _h, dataTime: _d, ...rest } = sh;
  return rest;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, Object.keys(a ?? {}).sort()) === JSON.stringify(b, Object.keys(b ?? {}).sort());
}

function sameNumbers(a: SubnetHealthStatus | undefined, b: SubnetHealthStatus | undefined): boolean {
  return NUMBER_FIELDS.every((f) => a?.[f] === b?.[f]);
}

/** Retry sooner than the resync when Azure could not answer: after Retry-After, else in 15 s. */
export function retryHint(
  vnet: VNetObservation | undefined,
  access: AccessObservation,
  resyncPeriodMs: number,
): number | undefined {
  const failures = [
    vnet?.kind === "unavailable" ? vnet.failure : undefined,
    access.kind === "unavailable" ? access.failure : undefined,
  ].filter((f) => f !== undefined);
  if (failures.length === 0) return undefined;
  const retryAfterMs = Math.max(0, ...failures.map((f) => (f.retryAfterSeconds ?? 0) * 1000));
  const wait = Math.max(retryAfterMs, Math.min(15_000, resyncPeriodMs));
  return wait < resyncPeriodMs ? wait : undefined;
}
