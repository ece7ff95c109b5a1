/**
 * From what Azure said to a verdict: the access source (src/azure/access-cache.ts) only shares the
 * reads (role assignments, definitions, deny assignments, or the operator's own permissions) per
 * (principal, subnet); judging them is here, in the pure core. A verdict is computed once per read
 * (memoized by the reads object), however many nodeclasses share the subnet.
 */
import type { AccessEvaluation, AccessObservation, AzureFailure } from "../types.js";
import {
  evaluateAccess,
  evaluateSelfAccess,
  type EvaluateAccessInput,
  type EvaluateSelfAccessInput,
} from "./evaluate-access.js";

/** The reads of one (principal, subnet): a configured principal's, or the operator's own (self-check). */
export type AccessReads = ({ mode: "principal" } & EvaluateAccessInput) | ({ mode: "self" } & EvaluateSelfAccessInput);

/** What the access source observed, before judgement. */
export type AccessReadsObservation =
  | { kind: "ok"; reads: AccessReads; fetchedAt: number }
  | { kind: "unavailable"; failure: AzureFailure; last?: AccessReads; since: number }
  | { kind: "forbidden"; message: string }
  | { kind: "disabled" }
  | { kind: "pending" };

const judged = new WeakMap<AccessReads, AccessEvaluation>();

export function judgeAccess(reads: AccessReads): AccessEvaluation {
  let e = judged.get(reads);
  if (e === undefined) {
    e = reads.mode === "principal" ? evaluateAccess(reads) : evaluateSelfAccess(reads);
    judged.set(reads, e);
  }
  return e;
}

export function accessObservation(o: AccessReadsObservation): AccessObservation {
  switch (o.kind) {
    case "ok":
      return { kind: "ok", evaluation: judgeAccess(o.reads), fetchedAt: o.fetchedAt };
    case "unavailable":
      return {
        kind: "unavailable",
        failure: o.failure,
        since: o.since,
        ...(o.last ? { last: judgeAccess(o.last) } : {}),
      };
    default:
      return o;
  }
}
