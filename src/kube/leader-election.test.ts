import type { V1Lease } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaderElector, type LeaseApi } from "./leader-election.js";

/** An in-memory Lease store with resourceVersion checks, shared by the electors of a test. */
class FakeLeases implements LeaseApi {
  lease: V1Lease | undefined;
  rv = 0;
  down = false;
  writes: Array<{ holder: string | undefined; at: number }> = [];
  private check(): void {
    if (this.down) throw Object.assign(new Error("connection refused"), { code: 503 });
  }
  private snapshot(): V1Lease {
    return JSON.parse(JSON.stringify(this.lease)) as V1Lease;
  }
  async readNamespacedLease(): Promise<V1Lease> {
    this.check();
    if (!this.lease) throw Object.assign(new Error("not found"), { code: 404 });
    return this.snapshot();
  }
  async createNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    this.check();
    if (this.lease) throw Object.assign(new Error("exists"), { code: 409 });
    return this.store(p.body);
  }
  async replaceNamespacedLease(p: { body: V1Lease }): Promise<V1Lease> {
    this.check();
    if (p.body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion)
      throw Object.assign(new Error("conflict"), { code: 409 });
    return this.store(p.body);
  }
  private store(body: V1Lease): V1Lease {
    this.rv++;
    this.lease = JSON.parse(
      JSON.stringify({ ...body, metadata: { ...body.metadata, resourceVersion: String(this.rv) } }),
    ) as V1Lease;
    this.writes.push({ holder: this.lease.spec?.holderIdentity, at: Date.now() });
    return this.snapshot();
  }
}

interface Tracked {
  elector: LeaderElector;
  started: number;
  stopped: number;
  signal: AbortSignal | undefined;
}

function candidate(api: LeaseApi, identity: string, random = 0.5): Tracked {
  const t: Tracked = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0, signal: undefined };
  t.elector = new LeaderElector({
    api,
    namespace: "kube-system",
    name: "aks-subnet-health",
    identity,
    random: () => random,
    onStartedLeading: (signal) => {
      t.started++;
      t.signal = signal;
    },
    onStoppedLeading: () => {
      t.stopped++;
    },
  });
  return t;
}

describe("LeaderElector", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets exactly one of two candidates lead, and keeps it leading while it renews", async () => {
    const api = new FakeLeases();
    const a = candidate(api, "pod-a", 0);
    const b = candidate(api, "pod-b", 0.9);
    a.elector.start();
    b.elector.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect([a.elector.isLeader(), b.elector.isLeader()]).toEqual([true, false]);
    expect(a.started).toBe(1);
    expect(b.started).toBe(0);
    expect(api.lease?.spec?.holderIdentity).toBe("pod-a");
    expect(b.elector.leader).toBe("pod-a");
    await a.elector.stop();
    await b.elector.stop();
  });

  it("hands over at the standby's next retry after the leader stops and releases", async () => {
    const api = new FakeLeases();
    const a = candidate(api, "pod-a", 0);
    const b = candidate(api, "pod-b", 0.9);
    a.elector.start();
    await vi.advanceTimersByTimeAsync(100);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(10_000);
    const stoppedAt = Date.now();
    await a.elector.stop();
    expect(a.stopped).toBe(1);
    expect(a.signal?.aborted).toBe(true);
    expect(api.lease?.spec?.holderIdentity).toBe("");
    await vi.advanceTimersByTimeAsync(3_000);
    expect(b.elector.isLeader()).toBe(true);
    const takeover = api.writes.find((w) => w.holder === "pod-b");
    expect(takeover && takeover.at - stoppedAt).toBeLessThanOrEqual(2_400);
    await b.elector.stop();
  });

  it("takes over a crashed leader's lease only after the lease duration", async () => {
    const api = new FakeLeases();
    const a = candidate(api, "pod-a", 0);
    a.elector.start();
    await vi.advanceTimersByTimeAsync(100);
    // simulate a crash: the loop just stops renewing; nobody releases
    const crashedAt = Date.now();
    (a.elector as unknown as { loopStop: AbortController }).loopStop.abort();
    const b = candidate(api, "pod-b", 0);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.elector.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(15_000);
    await b.elector.stop();
  });

  it("stops leading when renewals fail past the renew deadline, before a standby may acquire", async () => {
    const api = new FakeLeases();
    const a = candidate(api, "pod-a", 0);
    a.elector.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(a.elector.isLeader()).toBe(true);
    const lastRenew = api.writes.at(-1)?.at ?? 0;
    // the leader alone loses the API server (its writes fail); a standby keeps watching the lease
    const realReplace = api.replaceNamespacedLease.bind(api);
    api.replaceNamespacedLease = async (p) => {
      if (p.body.spec?.holderIdentity === "pod-a") throw Object.assign(new Error("timeout"), { code: 504 });
      return realReplace(p);
    };
    const b = candidate(api, "pod-b", 0);
    b.elector.start();
    let lostAt: number | undefined;
    let bLeadsAt: number | undefined;
    for (let t = 0; t < 30_000; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      if (lostAt === undefined && !a.elector.isLeader()) lostAt = Date.now();
      if (bLeadsAt === undefined && b.elector.isLeader()) bLeadsAt = Date.now();
    }
    expect(a.signal?.aborted).toBe(true);
    expect(lostAt).toBeDefined();
    expect(bLeadsAt).toBeDefined();
    expect((lostAt ?? 0) - lastRenew).toBeLessThanOrEqual(10_000);
    expect(bLeadsAt ?? 0).toBeGreaterThan(lostAt ?? 0);
    expect((bLeadsAt ?? 0) - lastRenew).toBeGreaterThanOrEqual(15_000);
    api.replaceNamespacedLease = realReplace;
    await a.elector.stop();
    await b.elector.stop();
  });

  it("steps down at once when another holder shows up in the lease", async () => {
    const api = new FakeLeases();
    const a = candidate(api, "pod-a", 0);
    a.elector.start();
    await vi.advanceTimersByTimeAsync(100);
    // an operator edited the lease by hand
    const lease = await api.readNamespacedLease();
    await api.replaceNamespacedLease({ body: { ...lease, spec: { ...lease.spec, holderIdentity: "pod-z" } } });
    await vi.advanceTimersByTimeAsync(2_100);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.stopped).toBe(1);
    await a.elector.stop();
    expect(api.lease?.spec?.holderIdentity).toBe("pod-z");
  });

  it("rejects timings where a standby could acquire before the leader notices", () => {
    const api = new FakeLeases();
    expect(
      () =>
        new LeaderElector({
          api,
          namespace: "ns",
          name: "l",
          identity: "i",
          leaseDurationSeconds: 10,
          renewDeadlineSeconds: 10,
          onStartedLeading: () => undefined,
          onStoppedLeading: () => undefined,
        }),
    ).toThrow(/leaseDuration > renewDeadline/);
  });
});
