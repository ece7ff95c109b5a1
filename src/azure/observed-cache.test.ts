import { describe, expect, it } from "vitest";
import { ObservedCache, type Fetched } from "./observed-cache.js";

type Obs =
  { kind: "ok"; value: number; at: number } | { kind: "gone" } | { kind: "unavailable"; since: number; last?: number };

function setup(definiteForgetsLastGood = true) {
  let now = 1_000;
  const cache = new ObservedCache<number, "gone", Obs>({
    ttlMs: 100,
    failureTtlMs: 30,
    definiteForgetsLastGood,
    clock: { now: () => now },
    shape: {
      ok: (value, at) => ({ kind: "ok", value, at }),
      definite: () => ({ kind: "gone" }),
      unavailable: (_f, since, last) => ({ kind: "unavailable", since, ...(last !== undefined ? { last } : {}) }),
    },
  });
  let calls = 0;
  const answers: Array<Fetched<number, "gone">> = [];
  const fetch = (): Promise<Fetched<number, "gone">> => {
    calls++;
    return Promise.resolve(answers.shift() ?? { kind: "ok", value: calls });
  };
  return {
    cache,
    fetch,
    answers,
    calls: () => calls,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

const throttled = (retryAfterSeconds?: number): Fetched<number, "gone"> => ({
  kind: "failure",
  failure: { kind: "throttled", message: "429", ...(retryAfterSeconds ? { retryAfterSeconds } : {}) },
});

describe("ObservedCache", () => {
  it("serves an answer for its TTL, or less when the caller wants fresher data", async () => {
    const t = setup();
    expect(await t.cache.get("k", t.fetch)).toMatchObject({ kind: "ok", value: 1 });
    t.tick(50);
    expect(await t.cache.get("k", t.fetch)).toMatchObject({ value: 1 });
    expect(await t.cache.get("k", t.fetch, { maxAgeMs: 10 })).toMatchObject({ value: 2 });
    t.tick(100);
    expect(await t.cache.get("k", t.fetch)).toMatchObject({ value: 3 });
  });

  it("shares one fetch between concurrent askers, who get the same object", async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.cache.get("k", t.fetch), t.cache.get("k", t.fetch)]);
    expect(a).toBe(b);
    expect(t.calls()).toBe(1);
  });

  it("keeps the last good value through failures, and waits out Retry-After whatever freshness is asked", async () => {
    const t = setup();
    await t.cache.get("k", t.fetch);
    t.answers.push(throttled(2), throttled());
    expect(await t.cache.get("k", t.fetch, { force: true })).toEqual({ kind: "unavailable", since: 1_000, last: 1 });
    t.tick(1_000);
    expect(await t.cache.get("k", t.fetch, { maxAgeMs: 1 })).toEqual({ kind: "unavailable", since: 1_000, last: 1 });
    expect(t.calls()).toBe(2);
    t.tick(1_000);
    // the outage goes on: it began with the first failure
    expect(await t.cache.get("k", t.fetch)).toEqual({ kind: "unavailable", since: 1_000, last: 1 });
    t.tick(30);
    expect(await t.cache.get("k", t.fetch)).toMatchObject({ kind: "ok", value: 4 });
  });

  it("a definite answer forgets the last good value when the source says so", async () => {
    for (const forgets of [true, false]) {
      const t = setup(forgets);
      await t.cache.get("k", t.fetch);
      t.answers.push({ kind: "definite", answer: "gone" }, throttled());
      expect(await t.cache.get("k", t.fetch, { force: true })).toEqual({ kind: "gone" });
      const after = await t.cache.get("k", t.fetch, { force: true });
      expect(after).toEqual(
        forgets ? { kind: "unavailable", since: 1_000 } : { kind: "unavailable", since: 1_000, last: 1 },
      );
    }
  });

  it("retain drops keys and invalidate makes the next get fetch", async () => {
    const t = setup();
    await t.cache.get("a", t.fetch);
    await t.cache.get("b", t.fetch);
    expect(t.cache.retain((k) => k === "a")).toEqual(["b"]);
    expect(t.cache.keys()).toEqual(["a"]);
    t.cache.invalidate("a");
    expect(await t.cache.get("a", t.fetch)).toMatchObject({ value: 3 });
  });
});
