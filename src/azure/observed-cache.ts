/**
 * The one cache behind every Azure source (VNets, access, the managed cluster): per key,
 *
 * - a TTL for answers, shortened by a caller who wants fresher data (`maxAgeMs`);
 * - a failure window (the failure TTL or Retry-After, whichever is longer) that no caller shortens:
 *   asking again sooner only meets the same throttle or outage;
 * - single flight: concurrent askers share one fetch;
 * - the last good value, carried through failures with the time they began (Unknown is not False);
 * - `invalidate`: the next get fetches, and a fetch already running is not cached as fresh.
 *
 * The cache stores the source's own observation objects, built by its `shape`, so every caller of
 * one fetch gets the very same object. Sources keep only what is theirs (which subnets a VNet read
 * must cover, the RBAC reads and their order).
 */
import type { AzureFailure } from "../health/types.js";
import { systemClock, type Clock } from "../clock.js";

/** What one fetch found. `definite` is Azure's own final answer that is not a value (not found, forbidden). */
export type Fetched<V, D> =
  { kind: "ok"; value: V } | { kind: "definite"; answer: D } | { kind: "failure"; failure: AzureFailure };

/** How a source turns fetch outcomes into its observations. */
export interface ObservationShape<V, D, O> {
  ok(value: V, at: number): O;
  definite(answer: D, at: number): O;
  unavailable(failure: AzureFailure, since: number, lastGood: V | undefined): O;
}

export interface ObservedCacheOptions<V, D, O> {
  shape: ObservationShape<V, D, O>;
  ttlMs: number;
  failureTtlMs: number;
  /** a definite answer (the resource is gone) forgets the last good value; otherwise it is kept */
  definiteForgetsLastGood: boolean;
  clock?: Pick<Clock, "now">;
}

export interface ObservedGetOptions<O> {
  /** serve a cached answer only if younger than this (default: the TTL) */
  maxAgeMs?: number;
  /** ignore any cached answer (joins a fetch already running) */
  force?: boolean;
  /** refuse a fresh cached answer anyway (`seq`: when its fetch started, see `nextSeq`) */
  reject?: (observation: O, seq: number) => boolean;
  /** a running fetch that started at `seq` cannot answer this caller: wait for it, then decide again */
  outdates?: (seq: number) => boolean;
}

interface Slot<V, O> {
  observation?: O;
  failed: boolean;
  observedAt: number;
  servedForMs: number;
  /** sequence number at the start of the fetch that produced `observation` */
  observedSeq: number;
  lastGood?: V;
  unavailableSince?: number;
  inflight?: Promise<O>;
  inflightSeq: number;
  /** bumped by invalidate(): a fetch started before must not be cached as fresh */
  generation: number;
}

export class ObservedCache<V, D, O> {
  private readonly slots = new Map<string, Slot<V, O>>();
  private readonly clock: Pick<Clock, "now">;
  /** orders events (a request, a fetch start) without relying on the clock */
  private seq = 0;

  constructor(private readonly opts: ObservedCacheOptions<V, D, O>) {
    this.clock = opts.clock ?? systemClock;
  }

  /** A new sequence number: later than every fetch started so far. */
  nextSeq(): number {
    return ++this.seq;
  }

  get(key: string, fetch: () => Promise<Fetched<V, D>>, opts: ObservedGetOptions<O> = {}): Promise<O> {
    const slot = this.slotFor(key);
    if (!opts.force && slot.observation !== undefined) {
      const age = this.clock.now() - slot.observedAt;
      const window = slot.failed ? slot.servedForMs : Math.min(opts.maxAgeMs ?? this.opts.ttlMs, slot.servedForMs);
      if (age < window && !opts.reject?.(slot.observation, slot.observedSeq)) return Promise.resolve(slot.observation);
    }
    if (slot.inflight) {
      if (opts.outdates?.(slot.inflightSeq)) return slot.inflight.then(() => this.get(key, fetch, opts));
      return slot.inflight;
    }
    const run = this.refresh(key, slot, fetch).finally(() => {
      if (slot.inflight === run) delete slot.inflight;
    });
    slot.inflight = run;
    return run;
  }

  /** The cached observation without fetching. */
  peek(key: string): O | undefined {
    return this.slots.get(key)?.observation;
  }

  /** The last good value (kept through failures). */
  lastGood(key: string): V | undefined {
    return this.slots.get(key)?.lastGood;
  }

  /** Forgets the cached answer (the last good value stays): the next get fetches. */
  invalidate(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    delete slot.observation;
    slot.observedAt = 0;
    slot.generation += 1;
  }

  /** Drops every key `keep` refuses. Returns the dropped keys. */
  retain(keep: (key: string) => boolean): string[] {
    const dropped: string[] = [];
    for (const key of this.slots.keys()) {
      if (keep(key)) continue;
      this.slots.delete(key);
      dropped.push(key);
    }
    return dropped;
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  get size(): number {
    return this.slots.size;
  }

  private slotFor(key: string): Slot<V, O> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { failed: false, observedAt: 0, servedForMs: 0, observedSeq: 0, inflightSeq: 0, generation: 0 };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private async refresh(key: string, slot: Slot<V, O>, fetch: () => Promise<Fetched<V, D>>): Promise<O> {
    const startedSeq = this.nextSeq();
    const generation = slot.generation;
    slot.inflightSeq = startedSeq;
    const result = await fetch();
    const now = this.clock.now();
    const { shape } = this.opts;
    let observation: O;
    let servedForMs = this.opts.ttlMs;
    let failed = false;
    switch (result.kind) {
      case "ok":
        observation = shape.ok(result.value, now);
        slot.lastGood = result.value;
        delete slot.unavailableSince;
        break;
      case "definite":
        observation = shape.definite(result.answer, now);
        if (this.opts.definiteForgetsLastGood) delete slot.lastGood;
        delete slot.unavailableSince;
        break;
      case "failure":
        slot.unavailableSince ??= now;
        observation = shape.unavailable(result.failure, slot.unavailableSince, slot.lastGood);
        servedForMs = Math.max(this.opts.failureTtlMs, (result.failure.retryAfterSeconds ?? 0) * 1000);
        failed = true;
        break;
    }
    // an invalidate() or a retain() during the fetch: hand the result to the callers that waited, but
    // do not cache it as fresh
    if (slot.generation === generation && this.slots.get(key) === slot) {
      slot.observation = observation;
      slot.failed = failed;
      slot.observedAt = now;
      slot.servedForMs = servedForMs;
      slot.observedSeq = startedSeq;
    }
    return observation;
  }
}
