import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArmLimiter, TokenBucket } from "./arm-limiter.js";
import { ArmThrottledError, ArmTimeoutError } from "./errors.js";

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Resolves-or-not probe for a promise without awaiting it. */
function track<T>(p: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown } {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      error = e;
    },
  );
  return { settled: () => settled, value: () => value, error: () => error };
}

describe("TokenBucket", () => {
  it("never holds more than its capacity, however long it idles", () => {
    let t = 0;
    const b = new TokenBucket(5, 25, () => t);
    for (let i = 0; i < 5; i++) expect(b.tryTake()).toBe(0);
    expect(b.tryTake()).toBeGreaterThan(0);
    t += 3_600_000;
    expect(b.available()).toBe(5);
    for (let i = 0; i < 5; i++) expect(b.tryTake()).toBe(0);
    expect(b.tryTake()).toBeGreaterThan(0);
  });

  it("refills at its rate and says how long to wait", () => {
    let t = 0;
    const b = new TokenBucket(2, 1, () => t);
    b.tryTake();
    b.tryTake();
    expect(b.tryTake()).toBe(1000);
    t += 400;
    expect(b.tryTake()).toBe(600);
    t += 600;
    expect(b.tryTake()).toBe(0);
  });

  it("rejects nonsense settings", () => {
    expect(() => new TokenBucket(0, 1, () => 0)).toThrow(/capacity/);
    expect(() => new TokenBucket(1, 0, () => 0)).toThrow(/refill/);
  });
});

describe("ArmLimiter.acquire", () => {
  it("lets a burst of `capacity` requests through, then paces at the refill rate", async () => {
    const limiter = new ArmLimiter({ capacity: 3, refillPerSecond: 2 });
    const done = Array.from({ length: 5 }, () => track(limiter.acquire()));
    await vi.advanceTimersByTimeAsync(0);
    expect(done.map((d) => d.settled())).toEqual([true, true, true, false, false]);
    expect(limiter.queueDepth).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(done.filter((d) => d.settled())).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(500);
    expect(done.filter((d) => d.settled())).toHaveLength(5);
    expect(limiter.queueDepth).toBe(0);
  });

  it("pauses everyone for Retry-After after a 429, then resumes", async () => {
    const limiter = new ArmLimiter({ capacity: 100, refillPerSecond: 25 });
    limiter.noteThrottled(5_000);
    expect(limiter.throttledUntil).toBe(Date.now() + 5_000);
    const a = track(limiter.acquire());
    const b = track(limiter.acquire());
    await vi.advanceTimersByTimeAsync(4_999);
    expect(a.settled() || b.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.settled() && b.settled()).toBe(true);
    expect(limiter.throttledUntil).toBeUndefined();
    expect(limiter.throttleEvents).toBe(1);
  });

  it("a later, shorter Retry-After does not shorten the pause; a 429 without one pauses by default", async () => {
    const limiter = new ArmLimiter({ defaultThrottleMs: 2_000 });
    limiter.noteThrottled(10_000);
    limiter.noteThrottled(1_000);
    expect(limiter.throttledUntil).toBe(Date.now() + 10_000);
    const other = new ArmLimiter({ defaultThrottleMs: 2_000 });
    other.noteThrottled(undefined);
    expect(other.throttledUntil).toBe(Date.now() + 2_000);
  });

  it("stops waiting when the request is aborted", async () => {
    const limiter = new ArmLimiter();
    limiter.noteThrottled(60_000);
    const ac = new AbortController();
    const p = track(limiter.acquire(ac.signal));
    ac.abort(new Error("caller gave up"));
    await vi.advanceTimersByTimeAsync(0);
    expect(p.settled()).toBe(true);
    expect(String(p.error())).toContain("caller gave up");
    expect(limiter.queueDepth).toBe(0);
  });
});

describe("ArmLimiter.schedule", () => {
  it("never runs more than `concurrency` calls at once", async () => {
    const limiter = new ArmLimiter({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const calls = Array.from({ length: 10 }, () =>
      track(
        limiter.schedule("VirtualNetworks_Get", async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise<void>((r) => release.push(r));
          running -= 1;
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(running).toBe(3);
    expect(limiter.inFlight).toBe(3);
    expect(limiter.queueDepth).toBe(7);
    while (calls.some((c) => !c.settled())) {
      release.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(peak).toBe(3);
    expect(calls.every((c) => c.error() === undefined)).toBe(true);
  });

  it("aborts the call's signal and rejects with a timeout at the deadline", async () => {
    const limiter = new ArmLimiter({ timeoutMs: 1_000 });
    let seen: AbortSignal | undefined;
    const p = track(
      limiter.schedule("Subnets_Get", (signal) => {
        seen = signal;
        return new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
        );
      }),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(p.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.error()).toBeInstanceOf(ArmTimeoutError);
    expect(seen?.aborted).toBe(true);
  });

  it("fails fast as throttled when the pause outlasts the call's deadline", async () => {
    const limiter = new ArmLimiter({ timeoutMs: 1_000 });
    limiter.noteThrottled(30_000);
    const fn = vi.fn(async () => "never");
    await expect(limiter.schedule("Subnets_Get", fn)).rejects.toBeInstanceOf(ArmThrottledError);
    expect(fn).not.toHaveBeenCalled();
  });

  it("a call that waited for a short pause runs once it is over", async () => {
    const limiter = new ArmLimiter({ timeoutMs: 10_000 });
    limiter.noteThrottled(2_000);
    const p = track(
      limiter.schedule("Subnets_Get", async (signal) => {
        await limiter.acquire(signal);
        return "ok";
      }),
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(p.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.value()).toBe("ok");
  });
});
