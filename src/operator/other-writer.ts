/**
 * Two writers of our conditions: a second aks-subnet-health (another release, another --leader-election-id)
 * evaluating differently would overwrite each of our writes and we each of its, hundreds of times a minute,
 * each write making Karpenter reconcile the nodeclass. Pure bookkeeping: before a write, the controller tells
 * whether the stored conditions are still what this process last wrote; someone else changing them
 * CONTEST_THRESHOLD times within CONTEST_WINDOW_MS marks the nodeclass contested. While contested, writes
 * are spaced (30 s doubling to 5 min) and the summary condition says why.
 */
import { ConditionType } from "../domain.js";
import type { EvaluationResult } from "../health/types.js";

export const CONTEST_WINDOW_MS = 60_000;
export const CONTEST_THRESHOLD = 3;
const FIRST_SPACING_MS = 30_000;
const MAX_SPACING_MS = 300_000;

export const OTHER_WRITER_NOTE =
  "Another writer keeps changing these conditions: check that only one aks-subnet-health runs for this cluster (another release or another --leader-election-id); this one now writes at most every 30 s to 5 min.";

export interface ContestState {
  /** when someone else's change of our conditions was seen (within the window) */
  foreignChanges: number[];
  /** the foreign conditions last counted, so one change seen on several visits counts once */
  lastForeignKey?: string;
  /** when this process last wrote while contested, and the spacing it keeps */
  lastContestedWriteAt?: number;
  spacingMs?: number;
}

export interface ContestVerdict {
  /** our conditions on the object are not what we last wrote */
  foreign: boolean;
  contested: boolean;
  /** contested and too soon since our last write: skip it, look again after this long */
  holdWriteMs?: number;
}

/** Looks at the stored conditions before a write. `writtenKey` undefined: nothing written yet. */
export function judgeWrite(
  state: ContestState,
  writtenKey: string | undefined,
  storedKey: string,
  now: number,
): ContestVerdict {
  const foreign = writtenKey !== undefined && writtenKey !== storedKey && storedKey !== state.lastForeignKey;
  if (foreign) {
    state.foreignChanges.push(now);
    state.lastForeignKey = storedKey;
  }
  state.foreignChanges = state.foreignChanges.filter((t) => now - t < CONTEST_WINDOW_MS);
  const contested = state.foreignChanges.length >= CONTEST_THRESHOLD;
  if (!contested) {
    delete state.lastContestedWriteAt;
    delete state.spacingMs;
    return { foreign, contested };
  }
  const spacing = state.spacingMs ?? FIRST_SPACING_MS;
  const since = state.lastContestedWriteAt === undefined ? Infinity : now - state.lastContestedWriteAt;
  if (since < spacing) return { foreign, contested, holdWriteMs: spacing - since };
  return { foreign, contested };
}

/** After each write: a foreign change seen again later is a new one; while contested, the next write waits longer. */
export function notedWrite(state: ContestState, contested: boolean, now: number): void {
  delete state.lastForeignKey;
  if (!contested) return;
  state.lastContestedWriteAt = now;
  state.spacingMs = Math.min(MAX_SPACING_MS, (state.spacingMs ?? FIRST_SPACING_MS / 2) * 2);
}

/** The evaluation with the note appended to the summary condition's message. */
export function withOtherWriterNote(result: EvaluationResult): EvaluationResult {
  return {
    ...result,
    conditions: result.conditions.map((c) =>
      c.type === ConditionType.SubnetReady && !c.message.includes(OTHER_WRITER_NOTE)
        ? { ...c, message: `${c.message} ${OTHER_WRITER_NOTE}` }
        : c,
    ),
  };
}
