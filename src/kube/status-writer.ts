/**
 * Writes our conditions (and status.subnetHealth) onto an AKSNodeClass that Karpenter owns: the one
 * status path of the operator.
 *
 * Karpenter's status.conditions is an atomic list with no list-type, so the only safe protocol for a
 * second writer is: merge our domain-prefixed types into the full list as last read, leaving every
 * foreign entry exactly as read → JSON merge patch on /status carrying that copy's
 * metadata.resourceVersion (the server turns a race into 409) → on 409 GET, merge again and retry.
 * The copy first merged against is the informer's (as Karpenter's own status controller does), so a
 * write costs one PATCH and nothing at all when nothing of ours changed; only a caller without a copy
 * pays a GET first. Server-side apply would conflict with Karpenter's manager or, forced, replace its
 * conditions. And we write only on a real change: every patch wakes Karpenter's controllers: each is
 * a watch event for them.
 */
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { AKSNODECLASS, CONDITION_PREFIX } from "../domain.js";
import { isOurType, rfc3339 } from "../health/conditions.js";
import type { ConditionResult, StoredCondition } from "../health/types.js";
import { sleep, systemClock, type Clock } from "./clock.js";
import { describeError, statusCodeOf } from "./errors.js";
import { noopLogger, type KubeLogger } from "./log.js";

/** The two CustomObjectsApi calls the writer makes (a fake implements just these). */
export interface StatusApi {
  getClusterCustomObject(param: { group: string; version: string; plural: string; name: string }): Promise<unknown>;
  patchClusterCustomObjectStatus(
    param: { group: string; version: string; plural: string; name: string; body: unknown },
    options?: ReturnType<typeof setHeaderOptions>,
  ): Promise<unknown>;
}

export interface DesiredStatus {
  conditions: ConditionResult[];
  /** written to status.subnetHealth; undefined leaves the field alone */
  subnetHealth?: unknown;
  observedGeneration: number;
}

export interface WriteResult {
  written: boolean;
  /** the object no longer exists */
  gone?: boolean;
  /** PATCH rounds used (1 unless conflicts) */
  attempts: number;
  /** 409s met */
  conflicts: number;
  /** API requests made: GETs (only after a 409, or without a cached copy) and PATCHes */
  requests: { get: number; patch: number };
  /** resourceVersion after our write (or as read when nothing was written) */
  resourceVersion?: string;
  /** the object as the server returned it after our PATCH */
  stored?: unknown;
}

/** For one object: what we sent as status.subnetHealth and what the server kept of it. */
export interface LossyWrite {
  sent: string;
  stored: string;
}

/** Where the per-object part of the memory lives (the controller keeps it in its nodeclass record). */
export interface LossyWriteStore {
  get(name: string): LossyWrite | undefined;
  set(name: string, value: LossyWrite): unknown;
  delete(name: string): unknown;
}

/**
 * Per-process memory of what the installed CRD does with status.subnetHealth. The upstream CRD has
 * no such field and prunes it; an older copy of ours may prune newer sub-fields. Without this memory
 * each reconcile would see "desired ≠ stored" and patch again forever.
 */
export class SubnetHealthMemory {
  /** the server dropped the whole field: stop sending it */
  droppedEntirely = false;

  constructor(private readonly lossy: LossyWriteStore = new Map<string, LossyWrite>()) {}

  /** Remember that for `name`, sending `sent` left `stored` on the server. */
  recordWrite(name: string, sent: unknown, stored: unknown): { droppedNow: boolean } {
    if (stored === undefined && sent !== undefined) {
      const droppedNow = !this.droppedEntirely;
      this.droppedEntirely = true;
      this.lossy.delete(name);
      return { droppedNow };
    }
    if (canonicalJson(sent) !== canonicalJson(stored))
      this.lossy.set(name, { sent: canonicalJson(sent), stored: canonicalJson(stored) });
    else this.lossy.delete(name);
    return { droppedNow: false };
  }

  /** Does the server already hold what `desired` turns into after pruning? */
  equivalent(name: string, desired: unknown, stored: unknown): boolean {
    if (canonicalJson(desired) === canonicalJson(stored)) return true;
    const l = this.lossy.get(name);
    return l !== undefined && l.sent === canonicalJson(desired) && l.stored === canonicalJson(stored);
  }

  forget(name: string): void {
    this.lossy.delete(name);
  }
}

const defaultMemory = new SubnetHealthMemory();

export interface WriteOptions {
  /** condition-type prefix we own (default from src/domain.ts) */
  prefix?: string;
  clock?: Clock;
  random?: () => number;
  /** GET/PATCH rounds before giving up on conflicts (default 5) */
  maxAttempts?: number;
  memory?: SubnetHealthMemory;
  log?: KubeLogger;
}

export interface MergeResult {
  conditions: unknown[];
  /** something of ours differs from what is stored */
  changed: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isOurs(entry: unknown, prefix: string): entry is Record<string, unknown> {
  return isRecord(entry) && typeof entry.type === "string" && isOurType(entry.type, prefix);
}

/**
 * The pure merge: returns the full list to write. Foreign entries (and anything unparseable) are the
 * very objects read, in place; ours are rebuilt from `desired`, keeping lastTransitionTime unless
 * the status flipped; stale types of ours are removed; new ones are appended.
 */
export function mergeConditions(
  existing: readonly unknown[],
  desired: readonly ConditionResult[],
  observedGeneration: number,
  now: string,
  prefix: string = CONDITION_PREFIX,
): MergeResult {
  const want = new Map<string, ConditionResult>();
  for (const d of desired) {
    if (!isOurType(d.type, prefix))
      throw new Error(`condition type ${d.type} lacks our prefix ${prefix}: refusing to write a foreign type`);
    want.set(d.type, d);
  }
  const written = new Set<string>();
  const out: unknown[] = [];
  let changed = false;
  const build = (d: ConditionResult, old: Record<string, unknown> | undefined): StoredCondition => {
    const keepTime =
      old !== undefined &&
      old.status === d.status &&
      typeof old.lastTransitionTime === "string" &&
      old.lastTransitionTime !== "";
    return {
      type: d.type,
      status: d.status,
      reason: d.reason,
      message: d.message,
      lastTransitionTime: keepTime ? (old.lastTransitionTime as string) : now,
      observedGeneration,
    };
  };
  for (const entry of existing) {
    if (!isOurs(entry, prefix)) {
      out.push(entry);
      continue;
    }
    const type = entry.type as string;
    const d = want.get(type);
    if (d === undefined || written.has(type)) {
      changed = true; // stale type of ours, or a duplicate entry
      continue;
    }
    const next = build(d, entry);
    if (
      entry.status !== next.status ||
      entry.reason !== next.reason ||
      entry.message !== next.message ||
      entry.lastTransitionTime !== next.lastTransitionTime ||
      entry.observedGeneration !== next.observedGeneration
    ) {
      changed = true;
    }
    out.push(next);
    written.add(type);
  }
  for (const d of want.values()) {
    if (written.has(d.type)) continue;
    out.push(build(d, undefined));
    changed = true;
  }
  return { conditions: out, changed };
}

/** JSON with sorted keys: equality of parsed JSON regardless of key order. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return "undefined";
  return JSON.stringify(v, (_k, val: unknown) => {
    if (isRecord(val)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(val).sort()) sorted[key] = val[key];
      return sorted;
    }
    return val;
  });
}

/** The part of an object the writer merges against. */
export interface ReadObject {
  resourceVersion: string;
  conditions: unknown[];
  subnetHealth: unknown;
}

function readObject(obj: unknown, name: string): ReadObject {
  const metadata = isRecord(obj) ? obj.metadata : undefined;
  const rv = isRecord(metadata) ? metadata.resourceVersion : undefined;
  if (typeof rv !== "string" || rv === "")
    throw new Error(`status write for aksnodeclass ${name}: GET returned no metadata.resourceVersion`);
  const status = isRecord(obj) && isRecord(obj.status) ? obj.status : {};
  return {
    resourceVersion: rv,
    conditions: Array.isArray(status.conditions) ? status.conditions : [],
    subnetHealth: status.subnetHealth,
  };
}

const mergePatchOptions = (): ReturnType<typeof setHeaderOptions> =>
  setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface WriteTarget {
  /**
   * The copy to merge against first, e.g. the informer's. Without one (or without a resourceVersion in
   * it) the writer GETs the object first.
   */
  current?: unknown;
}

/**
 * Merge our conditions into the given copy (or a fresh GET), PATCH /status with its resourceVersion
 * only when something of ours changed. A 409 means the copy was behind: GET, merge again, retry.
 * A missing object is `{ gone: true }`; other errors throw with the nodeclass and operation.
 */
export async function writeConditions(
  api: StatusApi,
  name: string,
  desired: DesiredStatus,
  opts: WriteOptions & WriteTarget = {},
): Promise<WriteResult> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const memory = opts.memory ?? defaultMemory;
  const log = opts.log ?? noopLogger;
  const coords = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural, name };
  const requests = { get: 0, patch: 0 };
  let conflicts = 0;
  let current = cachedCopy(opts.current, name);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (current === undefined) {
      try {
        requests.get++;
        current = readObject(await api.getClusterCustomObject(coords), name);
      } catch (err) {
        if (statusCodeOf(err) === 404) {
          memory.forget(name);
          return { written: false, gone: true, attempts: attempt, conflicts, requests };
        }
        throw new Error(`status write for aksnodeclass ${name}: GET failed: ${describeError(err)}`, { cause: err });
      }
    }
    const merged = mergeConditions(
      current.conditions,
      desired.conditions,
      desired.observedGeneration,
      rfc3339(clock.now()),
      opts.prefix,
    );
    const sendHealth = desired.subnetHealth !== undefined && !memory.droppedEntirely;
    const healthChanged = sendHealth && !memory.equivalent(name, desired.subnetHealth, current.subnetHealth);
    if (!merged.changed && !healthChanged) {
      return { written: false, attempts: attempt, conflicts, requests, resourceVersion: current.resourceVersion };
    }
    const status: Record<string, unknown> = { conditions: merged.conditions };
    if (sendHealth) status.subnetHealth = desired.subnetHealth;
    const body = { metadata: { resourceVersion: current.resourceVersion }, status };
    let response: unknown;
    try {
      requests.patch++;
      response = await api.patchClusterCustomObjectStatus({ ...coords, body }, mergePatchOptions());
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 404) {
        memory.forget(name);
        return { written: false, gone: true, attempts: attempt, conflicts, requests };
      }
      if (code === 409) {
        conflicts++;
        current = undefined;
        log.debug({ nodeclass: name, operation: "status-patch", attempt }, "resourceVersion conflict; re-reading");
        // the first conflict is a copy behind the server: read at once; more mean a busy second writer
        if (attempt > 1 && attempt < maxAttempts)
          await sleep(clock, Math.round(50 * 2 ** (attempt - 2) * (0.5 + random())));
        continue;
      }
      throw new Error(`status write for aksnodeclass ${name}: PATCH /status failed: ${describeError(err)}`, {
        cause: err,
      });
    }
    let resourceVersion: string | undefined;
    if (isRecord(response)) {
      const stored = readObject(response, name);
      resourceVersion = stored.resourceVersion;
      if (sendHealth && memory.recordWrite(name, desired.subnetHealth, stored.subnetHealth).droppedNow) {
        log.warn(
          { nodeclass: name, operation: "status-patch" },
          "the installed AKSNodeClass CRD prunes status.subnetHealth (AKS-owned under NAP): no longer writing it; free IPs and headroom show in kubectl get nodeclasshealth",
        );
      }
    }
    return {
      written: true,
      attempts: attempt,
      conflicts,
      requests,
      ...(resourceVersion !== undefined ? { resourceVersion, stored: response } : {}),
    };
  }
  throw new Error(
    `status write for aksnodeclass ${name}: gave up after ${maxAttempts} attempts, ${conflicts} resourceVersion conflicts`,
  );
}

/** The caller's copy, when it is one the server can check (it carries a resourceVersion). */
function cachedCopy(obj: unknown, name: string): ReadObject | undefined {
  if (obj === undefined) return undefined;
  const metadata = isRecord(obj) ? obj.metadata : undefined;
  const rv = isRecord(metadata) ? metadata.resourceVersion : undefined;
  return typeof rv === "string" && rv !== "" ? readObject(obj, name) : undefined;
}
