/**
 * One limiter in front of every ARM read the operator makes.
 *
 * Two levels, because ARM counts HTTP requests while we reason about calls:
 *  - `schedule()` wraps a logical call (a GET, or a listing with all its pages): a concurrency cap
 *    (p-queue) and a deadline carried by an AbortSignal the SDK call must receive.
 *  - `acquire()` is called by a pipeline policy before each HTTP attempt (pages and SDK retries included):
 *    it waits out a global throttle pause and takes a token from a bucket shaped like ARM's own
 *    (250 tokens, 25/s: ARM's documented request limits), so we stay under the subscription read budget.
 *
 * A 429 anywhere pauses the whole limiter until its Retry-After has passed (`noteThrottled`): hammering
 * ARM during a throttle only lengthens it. A call whose deadline falls inside the pause fails at once as
 * throttled instead of waiting to time out, so callers keep their last good data and say why.
 *
 * The bucket is written here because p-queue's `intervalCap` is a window counter (N starts per
 * interval), not a bucket that allows a burst of 250 and then refills at 25/s as ARM's does.
 */
import PQueue from "p-queue";
import { ArmThrottledError, ArmTimeoutError } from "./errors.js";

export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Uses the globals at call time, so vitest fake timers apply. */
export const systemClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface ArmLimiterOptions {
  /** bucket size (burst); default 250 */
  capacity?: number;
  /** tokens per second; default 25 */
  refillPerSecond?: number;
  /** concurrent logical calls; default 8 */
  concurrency?: number;
  /** per-call deadline in ms (queue wait included); default 60 000 */
  timeoutMs?: number;
  /** pause when a 429 carries no Retry-After; default 10 000 ms */
  defaultThrottleMs?: number;
  /** upper bound on one pause, against absurd Retry-After values; default 300 000 ms */
  maxThrottleMs?: number;
  clock?: LimiterClock;
  /** told of every logical call that failed, with the error it rejects with (for logs) */
  onCallFailed?: (operation: string, err: unknown, target: string | undefined) => void;
}

export interface ScheduleOptions {
  timeoutMs?: number;
  /** caller's own cancellation */
  signal?: AbortSignal;
  /** what the call is about (an ARM ID), for the failure log */
  target?: string;
}

/** A token bucket with lazy refill from an injected clock. */
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly now: () => number,
  ) {
    if (!(capacity >= 1)) throw new Error(`token bucket capacity must be >= 1, got ${capacity}`);
    if (!(refillPerSecond > 0)) throw new Error(`token bucket refill must be > 0 per second, got ${refillPerSecond}`);
    this.level = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.level = Math.min(this.capacity, this.level + (elapsed * this.refillPerSecond) / 1000);
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.level;
  }

  /** Takes a token and returns 0, or returns the ms until one will be available (taking nothing). */
  tryTake(): number {
    this.refill();
    if (this.level >= 1) {
      this.level -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.level) * 1000) / this.refillPerSecond));
  }
}

/** What both DOM AbortSignal and the SDK's AbortSignalLike provide. */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Rejects with the signal's own reason, as AbortSignal.throwIfAborted does (any value is allowed there). */
function abortReason(signal: SignalLike): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new DOMException("The operation was aborted.", "AbortError"), { cause: reason });
}

export class ArmLimiter {
  readonly bucket: TokenBucket;
  private readonly queue: PQueue;
  private readonly clock: LimiterClock;
  private readonly timeoutMs: number;
  private readonly defaultThrottleMs: number;
  private readonly maxThrottleMs: number;
  private pausedUntil = 0;
  private tokenWaiters = 0;
  private throttleCount = 0;
  private readonly onCallFailed: ArmLimiterOptions["onCallFailed"];

  constructor(opts: ArmLimiterOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.bucket = new TokenBucket(opts.capacity ?? 250, opts.refillPerSecond ?? 25, () => this.clock.now());
    this.queue = new PQueue({ concurrency: opts.concurrency ?? 8 });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.defaultThrottleMs = opts.defaultThrottleMs ?? 10_000;
    this.maxThrottleMs = opts.maxThrottleMs ?? 300_000;
    this.onCallFailed = opts.onCallFailed;
  }

  /** Epoch ms until which ARM asked us to pause, or undefined when not paused. */
  get throttledUntil(): number | undefined {
    return this.pausedUntil > this.clock.now() ? this.pausedUntil : undefined;
  }

  /** Calls waiting for a concurrency slot plus HTTP attempts waiting for a token or the pause to end. */
  get queueDepth(): number {
    return this.queue.size + this.tokenWaiters;
  }

  /** Logical calls holding a concurrency slot. */
  get inFlight(): number {
    return this.queue.pending;
  }

  /** Number of 429s seen since start. */
  get throttleEvents(): number {
    return this.throttleCount;
  }

  /** Records a 429: pauses every caller until `retryAfterMs` from now (or the default) has passed. */
  noteThrottled(retryAfterMs: number | undefined): void {
    this.throttleCount += 1;
    const ms = Math.min(this.maxThrottleMs, Math.max(0, retryAfterMs ?? this.defaultThrottleMs));
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  private sleep(ms: number, signal: SignalLike | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        this.clock.clearTimeout(handle);
        reject(signal ? abortReason(signal) : new Error("aborted"));
      };
      const handle = this.clock.setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Waits for the throttle pause to end and takes one token. Call once per HTTP attempt. */
  async acquire(signal?: SignalLike): Promise<void> {
    this.tokenWaiters += 1;
    try {
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        const now = this.clock.now();
        if (this.pausedUntil > now) {
          await this.sleep(this.pausedUntil - now, signal);
          continue;
        }
        const wait = this.bucket.tryTake();
        if (wait === 0) return;
        await this.sleep(wait, signal);
      }
    } finally {
      this.tokenWaiters -= 1;
    }
  }

  /**
   * Runs one logical ARM call under the concurrency cap and a deadline. `fn` must pass the signal to the SDK
   * (`abortSignal`). Rejects with ArmTimeoutError when the deadline passes, ArmThrottledError when a throttle
   * pause outlasts the deadline, or whatever `fn` threw.
   */
  async schedule<T>(
    operation: string,
    fn: (signal: AbortSignal) => Promise<T>,
    opts: ScheduleOptions = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const deadline = this.clock.now() + timeoutMs;
    const controller = new AbortController();
    const timeoutError = new ArmTimeoutError(operation, timeoutMs);
    const timer = this.clock.setTimeout(() => controller.abort(timeoutError), timeoutMs);
    const onCallerAbort = (): void => controller.abort(opts.signal ? abortReason(opts.signal) : undefined);
    if (opts.signal?.aborted) onCallerAbort();
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      this.failFastIfThrottled(operation, deadline);
      return await this.queue.add(
        async () => {
          this.failFastIfThrottled(operation, deadline);
          return fn(controller.signal);
        },
        { signal: controller.signal },
      );
    } catch (err) {
      let final = err;
      if (controller.signal.aborted && controller.signal.reason === timeoutError) {
        // A pause that began while we waited turns our timeout into what it really was.
        const until = this.throttledUntil;
        final =
          until !== undefined ? new ArmThrottledError(operation, (until - this.clock.now()) / 1000) : timeoutError;
      }
      if (!opts.signal?.aborted) {
        try {
          this.onCallFailed?.(operation, final, opts.target);
        } catch {
          // logging must not change the call's outcome
        }
      }
      throw final;
    } finally {
      this.clock.clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  private failFastIfThrottled(operation: string, deadline: number): void {
    if (this.pausedUntil > deadline) {
      throw new ArmThrottledError(operation, (this.pausedUntil - this.clock.now()) / 1000);
    }
  }

  /** Resolves when no call is queued or running. */
  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }
}
