import type { CoreV1Event } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventRecorder, type EventsApi, type InvolvedObject } from "./events.js";

class FakeEvents implements EventsApi {
  readonly events = new Map<string, CoreV1Event>();
  creates = 0;
  patches = 0;
  failNext: { code: number } | undefined;
  async createNamespacedEvent(p: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event> {
    this.creates++;
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail) throw Object.assign(new Error("boom"), fail);
    const name = p.body.metadata.name ?? "";
    if (this.events.has(name)) throw Object.assign(new Error("exists"), { code: 409 });
    this.events.set(name, structuredClone(p.body));
    return p.body;
  }
  async patchNamespacedEvent(p: { name: string; body: unknown }): Promise<CoreV1Event> {
    this.patches++;
    const ev = this.events.get(p.name);
    if (!ev) throw Object.assign(new Error("not found"), { code: 404 });
    Object.assign(ev, p.body);
    return ev;
  }
  list(): CoreV1Event[] {
    return [...this.events.values()];
  }
}

const nc: InvolvedObject = {
  apiVersion: "karpenter.azure.com/v1beta1",
  kind: "AKSNodeClass",
  name: "default",
  uid: "u-1",
  resourceVersion: "42",
};

describe("EventRecorder", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-03-01T00:00:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("creates a describe-compatible core/v1 Event in namespace default", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "aks-subnet-health-abc" });
    await expect(rec.record(nc, "Warning", "SubnetNotFound", "subnet x does not exist")).resolves.toBe("created");
    const [ev] = api.list();
    expect(ev).toMatchObject({
      metadata: { namespace: "default" },
      involvedObject: {
        apiVersion: "karpenter.azure.com/v1beta1",
        kind: "AKSNodeClass",
        name: "default",
        uid: "u-1",
        resourceVersion: "42",
      },
      type: "Warning",
      reason: "SubnetNotFound",
      message: "subnet x does not exist",
      count: 1,
      source: { component: "aks-subnet-health" },
      reportingComponent: "aks-subnet-health",
      reportingInstance: "aks-subnet-health-abc",
    });
    expect(ev?.firstTimestamp?.toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });

  it("counts repeats within the window on the same Event and starts a new one after it", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "p", windowMs: 60_000 });
    await rec.record(nc, "Warning", "SubnetFull", "no free IPs");
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(rec.record(nc, "Warning", "SubnetFull", "no free IPs")).resolves.toBe("counted");
    await vi.advanceTimersByTimeAsync(30_000);
    await rec.record(nc, "Warning", "SubnetFull", "no free IPs");
    expect(api.list()).toHaveLength(1);
    expect(api.list()[0]).toMatchObject({ count: 3, lastTimestamp: "2026-03-01T00:01:00.000Z" });
    await vi.advanceTimersByTimeAsync(60_001);
    await expect(rec.record(nc, "Warning", "SubnetFull", "no free IPs")).resolves.toBe("created");
    expect(api.list()).toHaveLength(2);
  });

  it("keeps different messages, reasons, types and objects apart", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "p" });
    await rec.record(nc, "Warning", "SubnetFull", "a");
    await rec.record(nc, "Warning", "SubnetFull", "b");
    await rec.record(nc, "Warning", "Other", "a");
    await rec.record(nc, "Normal", "SubnetFull", "a");
    await rec.record({ ...nc, name: "other" }, "Warning", "SubnetFull", "a");
    expect(api.list()).toHaveLength(5);
  });

  it("does not create twice when the same event is recorded concurrently", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "p" });
    const outcomes = await Promise.all([
      rec.record(nc, "Normal", "R", "m"),
      rec.record(nc, "Normal", "R", "m"),
      rec.record(nc, "Normal", "R", "m"),
    ]);
    expect(outcomes).toEqual(["created", "counted", "counted"]);
    expect(api.list()).toHaveLength(1);
    expect(api.list()[0]?.count).toBe(3);
  });

  it("creates a fresh Event when the old one expired on the server", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "p" });
    await rec.record(nc, "Normal", "R", "m");
    api.events.clear();
    await expect(rec.record(nc, "Normal", "R", "m")).resolves.toBe("created");
    expect(api.list()).toHaveLength(1);
  });

  it("bounds memory by dropping the least recently used series", async () => {
    const api = new FakeEvents();
    const rec = new EventRecorder(api, { instance: "p", maxEntries: 2 });
    await rec.record(nc, "Normal", "A", "m");
    await rec.record(nc, "Normal", "B", "m");
    await rec.record(nc, "Normal", "A", "m"); // A is now most recent
    await rec.record(nc, "Normal", "C", "m"); // evicts B
    expect(rec.remembered).toBe(2);
    await rec.record(nc, "Normal", "A", "m");
    expect(api.list().filter((e) => e.reason === "A")).toHaveLength(1);
    await rec.record(nc, "Normal", "B", "m");
    expect(api.list().filter((e) => e.reason === "B")).toHaveLength(2);
  });

  it("reports failures without throwing", async () => {
    const api = new FakeEvents();
    const warnings: unknown[] = [];
    const rec = new EventRecorder(api, {
      instance: "p",
      log: {
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        warn: (o) => void warnings.push(o),
      },
    });
    api.failNext = { code: 403 };
    await expect(rec.record(nc, "Normal", "R", "m")).resolves.toBe("failed");
    expect(warnings).toEqual([
      expect.objectContaining({
        nodeclass: "default",
        operation: "event-create",
        err: expect.stringContaining("403") as unknown,
      }),
    ]);
    await expect(rec.record(nc, "Normal", "R", "m")).resolves.toBe("created");
  });
});
