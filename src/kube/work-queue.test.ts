import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue, type WorkHandler } from "./work-queue.js";

/** A handler whose invocations the test completes by hand. */
function controllableHandler(): {
  handler: WorkHandler;
  calls: string[];
  running: Map<string, { resolve: () => void; reject: (e: Error) => void; signal: AbortSignal }>;
} {
  const calls: string[] = [];
  const running = new Map<string, { resolve: () => void; reject: (e: Error) => void; signal: AbortSignal }>();
  const handler: WorkHandler = (key, signal) =>
    new Promise<void>((resolve, reject) => {
      calls.push(key);
      running.set(key, {
        resolve: () => {
          running.delete(key);
          resolve();
        },
        reject: (e: Error) => {
          running.delete(key);
          reject(e);
        },
        signal,
      });
    });
  return { handler, calls, running };
}

async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps at most one pending item per key", async () => {
    const h = controllableHandler();
    const q = new WorkQueue({ workers: 1, handler: h.handler });
    q.add("busy");
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.size).toBe(2);
    await flush();
    h.running.get("busy")?.resolve();
    await flush();
    h.running.get("a")?.resolve();
    await flush();
    h.running.get("b")?.resolve();
    await q.onIdle();
    expect(h.calls).toEqual(["busy", "a", "b"]);
  });

  it("re-queues a key added while it is processing, only after the handler returns", async () => {
    const h = controllableHandler();
    const q = new WorkQueue({ workers: 4, handler: h.handler });
    q.add("a");
    await flush();
    expect(h.calls).toEqual(["a"]);
    q.add("a");
    q.add("a");
    await flush();
    // never two handlers for the same key at once, even with free workers
    expect(h.calls).toEqual(["a"]);
    expect(q.processing).toBe(1);
    expect(q.size).toBe(1);
    h.running.get("a")?.resolve();
    await flush();
    expect(h.calls).toEqual(["a", "a"]);
    h.running.get("a")?.resolve();
    await q.onIdle();
    expect(h.calls).toEqual(["a", "a"]);
  });

  it("never runs more handlers than workers", async () => {
    const h = controllableHandler();
    const q = new WorkQueue({ workers: 2, handler: h.handler });
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    await flush();
    expect(q.processing).toBe(2);
    expect(h.calls).toEqual(["a", "b"]);
    h.running.get("a")?.resolve();
    await flush();
    expect(q.processing).toBe(2);
    expect(h.calls).toEqual(["a", "b", "c"]);
    h.running.get("b")?.resolve();
    h.running.get("c")?.resolve();
    await flush();
    h.running.get("d")?.resolve();
    await q.onIdle();
    expect(h.calls).toEqual(["a", "b", "c", "d"]);
  });

  it("grows the per-key backoff exponentially up to the cap and resets it on forget", () => {
    const q = new WorkQueue({
      handler: async () => undefined,
      random: () => 0.5,
      backoff: { baseMs: 200, maxMs: 5_000 },
    });
    const delays = Array.from({ length: 7 }, () => q.addRateLimited("a"));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(q.addRateLimited("b")).toBe(200);
    q.forget("a");
    expect(q.addRateLimited("a")).toBe(200);
  });

  it("keeps jittered delays within ±jitter and under the cap", () => {
    const low = new WorkQueue({
      handler: async () => undefined,
      random: () => 0,
      backoff: { baseMs: 1000, maxMs: 4000, jitter: 0.1 },
    });
    const high = new WorkQueue({
      handler: async () => undefined,
      random: () => 0.999,
      backoff: { baseMs: 1000, maxMs: 4000, jitter: 0.1 },
    });
    expect(low.addRateLimited("k")).toBe(900);
    expect(high.addRateLimited("k")).toBe(1100);
    for (let i = 0; i < 5; i++) high.addRateLimited("k");
    expect(high.addRateLimited("k")).toBe(4000);
  });

  it("runs a delayed key only when its time comes, and the earliest delay wins", async () => {
    const seen: Array<[string, number]> = [];
    const q = new WorkQueue({ handler: async (k) => void seen.push([k, Date.now()]) });
    const t0 = Date.now();
    q.addAfter("a", 5_000);
    q.addAfter("a", 1_000);
    q.addAfter("a", 3_000);
    expect(q.delayedCount).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([["a", t0 + 1_000]]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(1);
  });

  it("retries a failing key with growing delays and forgets the backoff after a success", async () => {
    const times: number[] = [];
    let failuresLeft = 3;
    const errors: string[] = [];
    const q = new WorkQueue({
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 10_000 },
      onError: (k, e) => errors.push(`${k}: ${e instanceof Error ? e.message : String(e)}`),
      handler: async () => {
        times.push(Date.now());
        if (failuresLeft-- > 0) throw new Error("Azure throttled");
      },
    });
    const t0 = Date.now();
    q.add("nc");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
    expect(errors).toEqual(["nc: Azure throttled", "nc: Azure throttled", "nc: Azure throttled"]);
    expect(q.failuresOf("nc")).toBe(0);
  });

  it("does not forget the backoff when the handler reported a soft failure itself", async () => {
    const q: WorkQueue = new WorkQueue({
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 10_000 },
      handler: async (k) => {
        q.addRateLimited(k);
      },
    });
    q.add("nc");
    await flush();
    expect(q.failuresOf("nc")).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(q.failuresOf("nc")).toBe(2);
    await q.shutdown();
  });

  it("schedules the requeue the handler asks for", async () => {
    const times: number[] = [];
    const q = new WorkQueue({ handler: async () => (times.push(Date.now()), { requeueAfterMs: 180_000 }) });
    const t0 = Date.now();
    q.add("nc");
    await vi.advanceTimersByTimeAsync(400_000);
    expect(times.map((t) => t - t0)).toEqual([0, 180_000, 360_000]);
    await q.shutdown();
  });

  it("on shutdown lets in-flight work finish within the drain deadline and drops the rest", async () => {
    const h = controllableHandler();
    const q = new WorkQueue({ workers: 1, handler: h.handler });
    q.add("a");
    q.add("b");
    q.addAfter("c", 100);
    await flush();
    const result = q.shutdown({ drainMs: 5_000 });
    q.add("d");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.running.get("a")?.signal.aborted).toBe(false);
    h.running.get("a")?.resolve();
    await expect(result).resolves.toEqual({ drained: true, aborted: 0 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.calls).toEqual(["a"]);
    expect(q.size).toBe(0);
  });

  it("aborts handlers still running at the drain deadline", async () => {
    const q = new WorkQueue({
      workers: 2,
      handler: (_k, signal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve())),
    });
    q.add("a");
    q.add("b");
    await flush();
    expect(q.processing).toBe(2);
    const result = q.shutdown({ drainMs: 2_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toEqual({ drained: false, aborted: 2 });
    expect(q.processing).toBe(0);
  });

  it("does not restart a dirty key after shutdown", async () => {
    const h = controllableHandler();
    const q = new WorkQueue({ handler: h.handler });
    q.add("a");
    await flush();
    q.add("a");
    const result = q.shutdown({ drainMs: 1_000 });
    h.running.get("a")?.resolve();
    await result;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.calls).toEqual(["a"]);
  });
});
