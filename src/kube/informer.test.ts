import type { KubernetesListObject, V1Node } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NODECLASS_LABEL } from "../domain.js";
import { ResilientInformer, type WatchLike } from "./informer.js";
import { NodeAddressWatch } from "./node-addresses.js";

interface Obj {
  metadata: { name: string; resourceVersion: string };
  spec?: { v: number };
}

/** A scripted API server: tests push watch events and end or fail watches. */
class FakeServer implements WatchLike {
  objects = new Map<string, Obj>();
  rv = 10;
  lists = 0;
  watches: Array<{
    query: Record<string, unknown>;
    cb: (phase: string, obj: unknown) => void;
    done: (err: unknown) => void;
    controller: AbortController;
  }> = [];
  listFailures: unknown[] = [];
  watchFailures: unknown[] = [];

  list(): Promise<KubernetesListObject<Obj>> {
    this.lists++;
    const f = this.listFailures.shift();
    // failures are shaped like client-node's errors (plain objects with statusCode), rejected as they are
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (f) return Promise.reject(f);
    return Promise.resolve({
      metadata: { resourceVersion: String(this.rv) },
      items: [...this.objects.values()].map((o) => structuredClone(o)),
    });
  }
  watch(
    _path: string,
    query: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    const f = this.watchFailures.shift();
    if (f) {
      done(f);
      return Promise.resolve(controller);
    }
    this.watches.push({ query, cb, done, controller });
    return Promise.resolve(controller);
  }
  get live(): (typeof this.watches)[number] | undefined {
    return this.watches.filter((w) => !w.controller.signal.aborted).at(-1);
  }
  /** change state; tell the live watch unless `silently` (a stalled watch) */
  put(name: string, v: number, silently = false): void {
    const existed = this.objects.has(name);
    const o = { metadata: { name, resourceVersion: String(++this.rv) }, spec: { v } };
    this.objects.set(name, o);
    if (!silently) this.live?.cb(existed ? "MODIFIED" : "ADDED", structuredClone(o));
  }
  del(name: string, silently = false): void {
    const o = this.objects.get(name);
    this.objects.delete(name);
    this.rv++;
    if (o && !silently)
      this.live?.cb("DELETED", { ...o, metadata: { ...o.metadata, resourceVersion: String(this.rv) } });
  }
}

function recorder<T extends { metadata: { name: string } }>(
  inf: ResilientInformer<never, T> | ResilientInformer<Obj, T>,
): string[] {
  const seen: string[] = [];
  const i = inf as ResilientInformer<Obj, T>;
  i.on("add", (o) => seen.push(`add ${o.metadata.name}`));
  i.on("update", (o) => seen.push(`update ${o.metadata.name}`));
  i.on("delete", (o) => seen.push(`delete ${o.metadata.name}`));
  return seen;
}

describe("ResilientInformer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(
    server: FakeServer,
    extra: Partial<ConstructorParameters<typeof ResilientInformer<Obj, Obj>>[0]> = {},
  ): ResilientInformer<Obj, Obj> {
    return new ResilientInformer<Obj, Obj>({
      name: "test",
      path: "/apis/x/v1/things",
      watch: server,
      list: () => server.list(),
      random: () => 0.5,
      ...extra,
    });
  }

  it("syncs after the first list, then delivers add/update/delete and asks for bookmarks", async () => {
    const server = new FakeServer();
    server.put("a", 1);
    const inf = make(server);
    const seen = recorder(inf);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(["a"]);
    expect(server.live?.query).toMatchObject({ allowWatchBookmarks: true, resourceVersion: "11" });
    server.put("b", 1);
    server.put("a", 2);
    server.del("b");
    expect(seen).toEqual(["add a", "add b", "update a", "delete b"]);
    expect(inf.get("a")?.spec?.v).toBe(2);
    await inf.stop();
  });

  it("caches listed and watched objects without managedFields, keeping everything else", async () => {
    const server = new FakeServer();
    const managed = { managedFields: [{ manager: "kubectl", operation: "Update", fieldsV1: { "f:spec": {} } }] };
    server.objects.set("a", { metadata: { name: "a", resourceVersion: "5", ...managed }, spec: { v: 1 } });
    const inf = make(server);
    inf.start();
    await inf.waitForSync();
    expect(inf.get("a")).toEqual({ metadata: { name: "a", resourceVersion: "5" }, spec: { v: 1 } });
    server.live?.cb("MODIFIED", { metadata: { name: "a", resourceVersion: "12", ...managed }, spec: { v: 2 } });
    expect(inf.get("a")).toEqual({ metadata: { name: "a", resourceVersion: "12" }, spec: { v: 2 } });
    await inf.stop();
  });

  it("restarts after a non-410 watch error with backoff, resuming from the last resourceVersion", async () => {
    const server = new FakeServer();
    server.put("a", 1);
    const errors: unknown[] = [];
    const inf = make(server, { backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0 } });
    inf.on("error", (e) => errors.push(e));
    inf.start();
    await inf.waitForSync();
    server.put("a", 2);
    const watchesBefore = server.watches.length;
    server.live?.done(Object.assign(new Error("Internal Server Error"), { statusCode: 500 }));
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.watches.length).toBe(watchesBefore);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.watches.length).toBe(watchesBefore + 1);
    expect(server.lists).toBe(1);
    expect(server.live?.query.resourceVersion).toBe("12");
    server.put("c", 1);
    expect(inf.get("c")).toBeDefined();
    expect(inf.stats()).toMatchObject({ restarts: 1, consecutiveFailures: 0 });
    await inf.stop();
  });

  it("backs off exponentially across repeated failures and honours 429 Retry-After", async () => {
    const server = new FakeServer();
    server.listFailures = [
      Object.assign(new Error("boom"), { code: 500 }),
      Object.assign(new Error("boom"), { code: 500 }),
      Object.assign(new Error("Too Many Requests"), { code: 429, headers: { "retry-after": "30" } }),
    ];
    const inf = make(server, { backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0 } });
    const t0 = Date.now();
    const listTimes: number[] = [];
    const realList = server.list.bind(server);
    server.list = () => (listTimes.push(Date.now() - t0), realList());
    inf.start();
    await vi.advanceTimersByTimeAsync(40_000);
    expect(listTimes).toEqual([0, 1_000, 3_000, 33_000]);
    expect(inf.hasSynced()).toBe(true);
    await inf.stop();
  });

  it("relists when the watch has been silent longer than the watchdog allows, surfacing missed changes", async () => {
    const server = new FakeServer();
    server.put("a", 1);
    server.put("b", 1);
    const inf = make(server, { watchdogMs: 60_000 });
    const seen = recorder(inf);
    inf.start();
    await inf.waitForSync();
    seen.length = 0;
    // the watch stalls: changes happen but are never delivered
    server.del("a", true);
    server.put("b", 2, true);
    server.put("c", 1, true);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(seen.sort()).toEqual(["add c", "delete a", "update b"]);
    expect(server.lists).toBe(2);
    // the new watch is live
    server.put("d", 1);
    expect(inf.get("d")).toBeDefined();
    await inf.stop();
  });

  it("does not relist a watch that keeps receiving events or bookmarks", async () => {
    const server = new FakeServer();
    const inf = make(server, { watchdogMs: 60_000 });
    inf.start();
    await inf.waitForSync();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(30_000);
      server.live?.cb("BOOKMARK", { kind: "Thing", metadata: { resourceVersion: String(++server.rv) } });
    }
    expect(server.lists).toBe(1);
    await inf.stop();
  });

  it("ignores errors after stop and never restarts", async () => {
    const server = new FakeServer();
    const errors: unknown[] = [];
    const inf = make(server);
    inf.on("error", (e) => errors.push(e));
    inf.start();
    await inf.waitForSync();
    const w = server.live;
    await inf.stop();
    w?.done(Object.assign(new Error("aborted"), { name: "AbortError" }));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(errors).toEqual([]);
    expect(server.watches).toHaveLength(1);
    expect(server.lists).toBe(1);
  });

  it("rejects waitForSync when stopped before the first list", async () => {
    const server = new FakeServer();
    server.listFailures = [Object.assign(new Error("boom"), { code: 500 })];
    const inf = make(server);
    inf.start();
    const sync = inf.waitForSync();
    await vi.advanceTimersByTimeAsync(10);
    await inf.stop();
    await expect(sync).rejects.toThrow(/stopped before it synced/);
  });
});

describe("NodeAddressWatch", () => {
  function node(name: string, nodeclass: string | undefined, ips: string[], rv: number): V1Node {
    return {
      metadata: {
        name,
        resourceVersion: String(rv),
        labels: nodeclass ? { [NODECLASS_LABEL]: nodeclass, "kubernetes.io/os": "linux" } : {},
      },
      status: {
        addresses: [...ips.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: name }],
        capacity: { cpu: "4" },
      },
    };
  }

  it("indexes InternalIPs by nodeclass label and reports only real changes", async () => {
    let cb: ((phase: string, obj: unknown) => void) | undefined;
    let selector: unknown;
    const watch: WatchLike = {
      watch: (_p, q, c) => {
        cb = c;
        selector = q.labelSelector;
        return Promise.resolve(new AbortController());
      },
    };
    const listed: string[] = [];
    const w = new NodeAddressWatch({
      kubeConfig: undefined as never,
      watch,
      listPage: (p) => {
        listed.push(p.labelSelector ?? "");
        return Promise.resolve({ items: [node("n1", "default", ["10.0.0.4"], 1)], metadata: { resourceVersion: "5" } });
      },
    });
    const changed: string[] = [];
    w.on("changed", (nc) => changed.push(nc));
    w.start();
    await w.waitForSync();
    expect(listed).toEqual([NODECLASS_LABEL]);
    expect(selector).toBe(NODECLASS_LABEL);
    expect(w.addressesFor("default")).toEqual([{ name: "n1", internalIPs: ["10.0.0.4"] }]);
    cb?.("ADDED", node("n2", "gpu", ["10.1.0.4", "fd00::4"], 6));
    cb?.("MODIFIED", node("n1", "default", ["10.0.0.4"], 7)); // heartbeat: no address change
    cb?.("MODIFIED", node("n2", "gpu", ["10.1.0.5"], 8));
    cb?.("MODIFIED", node("n1", "spot", ["10.0.0.4"], 9)); // relabelled
    cb?.("DELETED", node("n2", "gpu", ["10.1.0.5"], 10));
    expect(changed).toEqual(["default", "gpu", "gpu", "default", "spot", "gpu"]);
    expect(w.all()).toEqual(new Map([["spot", [{ name: "n1", internalIPs: ["10.0.0.4"] }]]]));
    await w.stop();
  });
});
