/**
 * A keyed work queue in the manner of client-go's rate-limited workqueue, driving its own workers.
 *
 * - A key is pending at most once: adding a key that is already waiting is a no-op.
 * - A key is processed by at most one worker: adding it while it is processing marks it dirty, and it
 *   is queued again when the handler finishes (so no change is lost and no key runs twice at once).
 * - `addAfter` keeps one timer per key (the earliest wins); `addRateLimited` grows a per-key
 *   exponential delay that `forget` resets.
 * - Handler outcome: a throw re-queues the key with backoff; a normal return forgets the key's
 *   backoff unless the handler itself called `addRateLimited` for it (a soft failure it reported),
 *   and `{ requeueAfterMs }` schedules the next visit.
 *
 * p-queue is no substitute: it has no keys, no dirty set and no per-key backoff.
 */
import { backoffDelay, systemClock, type Clock, type TimerHandle } from "./clock.js";

export interface HandlerResult {
  /** visit the key again after this long (a healthy periodic re-check) */
  requeueAfterMs?: number;
}

export type WorkHandler = (key: string, signal: AbortSignal) => Promise<void | HandlerResult>;

export interface WorkQueueOptions {
  handler: WorkHandler;
  /** concurrent handler invocations (default 2) */
  workers?: number;
  /** per-key backoff for addRateLimited and failed handlers (default 200 ms → 5 min, ±10 %) */
  backoff?: { baseMs?: number; maxMs?: number; jitter?: number };
  clock?: Clock;
  random?: () => number;
  /** told about handler failures (the key is already re-queued with backoff) */
  onError?: (key: string, err: unknown) => void;
}

export interface ShutdownResult {
  /** every in-flight handler finished within the drain deadline */
  drained: boolean;
  /** handlers whose signal was aborted at the deadline */
  aborted: number;
}

export class WorkQueue {
  private readonly handler: WorkHandler;
  private readonly workers: number;
  private readonly backoff: { baseMs: number; maxMs: number; jitter: number };
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onError: ((key: string, err: unknown) => void) | undefined;

  /** keys ready to hand to a worker, FIFO */
  private readonly ready: string[] = [];
  /** keys waiting to be processed (in `ready`, or dirty while processing) */
  private readonly waiting = new Set<string>();
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly delayed = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly failures = new Map<string, number>();
  /** keys whose handler called addRateLimited while running: don't forget their backoff */
  private readonly softFailed = new Set<string>();
  private idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.handler = opts.handler;
    this.workers = Math.max(1, opts.workers ?? 2);
    this.backoff = {
      baseMs: opts.backoff?.baseMs ?? 200,
      maxMs: opts.backoff?.maxMs ?? 5 * 60_000,
      jitter: opts.backoff?.jitter ?? 0.1,
    };
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.onError = opts.onError;
  }

  /** Keys waiting to be processed (not counting delayed ones). */
  get size(): number {
    return this.waiting.size;
  }

  /** Handlers running now. */
  get processing(): number {
    return this.inFlight.size;
  }

  /** Keys with a pending delayed add. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Consecutive failures recorded for `key` (what the next backoff is computed from). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  add(key: string): void {
    if (this.shuttingDown || this.waiting.has(key)) return;
    this.waiting.add(key);
    // a processing key stays only in `waiting` (dirty); finish() puts it back in `ready`
    if (!this.inFlight.has(key)) this.ready.push(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Re-queue after this key's next backoff step; returns the delay chosen. */
  addRateLimited(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    if (this.inFlight.has(key)) this.softFailed.add(key);
    const delay = backoffDelay(attempt, this.backoff, this.random);
    this.addAfter(key, delay);
    return delay;
  }

  /** Reset the key's backoff (it succeeded). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Resolves when nothing is ready and nothing is processing (delayed keys may remain). */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stop accepting keys, drop waiting and delayed ones, give in-flight handlers `drainMs` to finish,
   * then abort the rest through their signal and wait for them to return.
   */
  async shutdown(opts: { drainMs?: number } = {}): Promise<ShutdownResult> {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    this.ready.length = 0;
    // dirty marks of in-flight keys must not restart them after shutdown
    this.waiting.clear();
    const running = [...this.inFlight.values()];
    if (running.length === 0) {
      this.notifyIdle();
      return { drained: true, aborted: 0 };
    }
    const allDone = Promise.all(running.map((r) => r.done)).then(() => true);
    let timer: TimerHandle | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), Math.max(0, opts.drainMs ?? 10_000));
    });
    const drained = await Promise.race([allDone, deadline]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (drained) return { drained: true, aborted: 0 };
    const stragglers = [...this.inFlight.values()];
    for (const r of stragglers) r.controller.abort(new Error("work queue shutting down: drain deadline passed"));
    await Promise.all(stragglers.map((r) => r.done));
    return { drained: false, aborted: stragglers.length };
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.inFlight.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    while (!this.shuttingDown && this.inFlight.size < this.workers && this.ready.length > 0) {
      const key = this.ready.shift();
      if (key === undefined) break;
      this.waiting.delete(key);
      this.start(key);
    }
  }

  private start(key: string): void {
    const controller = new AbortController();
    const entry = { controller, done: Promise.resolve() };
    this.inFlight.set(key, entry);
    entry.done = this.run(key, controller.signal).finally(() => this.finish(key));
  }

  private async run(key: string, signal: AbortSignal): Promise<void> {
    let result: void | HandlerResult;
    try {
      // a synchronous throw in the handler is a failure like a rejection
      result = await Promise.resolve().then(() => this.handler(key, signal));
    } catch (err) {
      // the handler may already have asked for a backoff retry: don't count the failure twice
      const reported = this.softFailed.delete(key);
      if (this.shuttingDown) return;
      if (!reported) this.addRateLimited(key);
      this.softFailed.delete(key);
      this.onError?.(key, err);
      return;
    }
    if (this.softFailed.has(key)) this.softFailed.delete(key);
    else this.forget(key);
    if (result && typeof result.requeueAfterMs === "number" && !this.shuttingDown)
      this.addAfter(key, result.requeueAfterMs);
  }

  private finish(key: string): void {
    this.inFlight.delete(key);
    if (!this.shuttingDown && this.waiting.has(key)) this.ready.push(key);
    this.pump();
    this.notifyIdle();
  }
}
