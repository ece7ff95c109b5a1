/**
 * The reconcile shell with fakes below its seams: an informer whose watch events the test delivers,
 * an API server's /status endpoint that checks resourceVersions and counts requests, and Azure
 * sources that record which keys they keep.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CONDITION_PREFIX } from "../domain.js";
import { T0, network, okVnet, ref, subnetId, subnetProps, THRESHOLDS } from "../health/test-fixtures.js";
import type { AccessReadsObservation } from "../health/access/observe.js";
import type { SubnetRef, VNetObservation } from "../health/types.js";
import { createLogger } from "../log.js";
import { OperatorMetrics } from "../metrics/metrics.js";
import type { StatusApi } from "../kube/status-writer.js";
import {
  SubnetHealthController,
  type ControllerDeps,
  type ControllerOptions,
  type NodeClassResource,
} from "./controller.js";

type Listener = (o: NodeClassResource) => void;

/** The informer's cache: the test decides when a watch event arrives. */
class FakeInformer {
  readonly objects = new Map<string, NodeClassResource>();
  private readonly listeners: Record<string, Listener[]> = { add: [], update: [], delete: [] };
  on(event: string, fn: Listener): void {
    (this.listeners[event] ??= []).push(fn);
  }
  get(name: string): NodeClassResource | undefined {
    return this.objects.get(name);
  }
  list(): NodeClassResource[] {
    return [...this.objects.values()];
  }
  deliver(event: "add" | "update" | "delete", o: NodeClassResource): void {
    if (event === "delete") this.objects.delete(o.metadata?.name ?? "");
    else this.objects.set(o.metadata?.name ?? "", structuredClone(o));
    for (const fn of this.listeners[event] ?? []) fn(o);
  }
}

/** An API server's aksnodeclasses/status: resourceVersion checks, request counts. */
class FakeApiServer implements StatusApi {
  readonly objects = new Map<string, NodeClassResource>();
  gets = 0;
  patches = 0;
  private rv = 100;
  create(name: string, spec: Record<string, unknown>): NodeClassResource {
    const o: NodeClassResource = {
      apiVersion: "karpenter.azure.com/v1beta1",
      kind: "AKSNodeClass",
      metadata: { name, uid: `uid-${name}`, generation: 1, resourceVersion: String(++this.rv) },
      spec,
      status: { conditions: [] },
    };
    this.objects.set(name, o);
    return structuredClone(o);
  }
  /** someone else (Karpenter) writes the object */
  touch(name: string, change: (o: NodeClassResource) => void): NodeClassResource {
    const o = this.mustGet(name);
    change(o);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    return structuredClone(o);
  }
  current(name: string): NodeClassResource {
    return structuredClone(this.mustGet(name));
  }
  async getClusterCustomObject(p: { name: string }): Promise<unknown> {
    this.gets++;
    await Promise.resolve();
    return this.current(p.name);
  }
  async patchClusterCustomObjectStatus(p: { name: string; body: unknown }): Promise<unknown> {
    this.patches++;
    await Promise.resolve();
    const o = this.mustGet(p.name);
    const body = p.body as { metadata: { resourceVersion: string }; status: Record<string, unknown> };
    if (body.metadata.resourceVersion !== o.metadata?.resourceVersion)
      throw Object.assign(new Error("conflict"), { code: 409 });
    o.status = { ...o.status, ...structuredClone(body.status) };
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    return this.current(p.name);
  }
  private mustGet(name: string): NodeClassResource {
    const o = this.objects.get(name);
    if (!o) throw Object.assign(new Error("not found"), { code: 404 });
    return o;
  }
}

/** An Azure source that answers from a table and remembers which keys it keeps. */
class FakeVNets {
  retained = new Set<string>();
  get(r: SubnetRef): Promise<VNetObservation> {
    this.retained.add(r.vnetCanonical);
    return Promise.resolve(okVnet([subnetProps(r.subnet, { id: r.id })], { fetchedAt: T0 }));
  }
  retain(vnets: Iterable<string>): void {
    const keep = new Set(vnets);
    for (const v of this.retained) if (!keep.has(v)) this.retained.delete(v);
  }
}
class FakeAccess {
  retained = new Set<string>();
  get(r: SubnetRef): Promise<AccessReadsObservation> {
    this.retained.add(r.canonical);
    return Promise.resolve({ kind: "disabled" });
  }
  retain(subnets: Iterable<string>): void {
    const keep = new Set(subnets);
    for (const s of this.retained) if (!keep.has(s)) this.retained.delete(s);
  }
}

/** One reconcile at a time, no resync during a test. */
const CONFIG: ControllerOptions = {
  settings: () => ({ defaultSubnetID: undefined, allowedSubscriptions: undefined, thresholds: THRESHOLDS }),
  resyncPeriodMs: 3_600_000,
  vnetMaxAgeMs: 60_000,
  statusNumbersMinIntervalMs: 60_000,
  concurrency: 1,
};

function setup() {
  const informer = new FakeInformer();
  const server = new FakeApiServer();
  const vnets = new FakeVNets();
  const access = new FakeAccess();
  const metrics = new OperatorMetrics({ version: "test", defaultMetrics: false, now: () => T0 });
  let now = T0;
  const deps: ControllerDeps = {
    nodeClasses: informer,
    nodes: undefined,
    vnets,
    access,
    network: { get: () => Promise.resolve({ kind: "ok", network: network(), fetchedAt: T0 }) },
    statusApi: server,
    events: undefined,
    metrics,
    log: createLogger("silent"),
    clock: { now: () => now },
  };
  const controller = new SubnetHealthController(CONFIG, deps);
  controllers.push(controller);
  // active, but with an empty cache: the test runs reconciles itself
  controller.activate();
  /** a nodeclass exists and the informer has seen it (without queueing a visit) */
  const create = (name: string, subnet = "nodes"): void => {
    informer.objects.set(name, server.create(name, { vnetSubnetID: subnetId(subnet) }));
  };
  const tick = (ms: number): void => {
    now += ms;
  };
  return { informer, server, vnets, access, metrics, controller, create, tick };
}

const controllers: SubnetHealthController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) {
    c.deactivate();
    await c.shutdown(0);
  }
});

const ours = (o: NodeClassResource): Array<{ type: string; status: string }> =>
  ((o.status?.conditions as Array<{ type: string; status: string }> | undefined) ?? []).filter((c) =>
    c.type.startsWith(CONDITION_PREFIX),
  );

describe("SubnetHealthController", () => {
  it("writes with one PATCH and no GET when the informer's copy is current", async () => {
    const t = setup();
    t.create("nc1");
    await t.controller.reconcile("nc1");
    expect({ gets: t.server.gets, patches: t.server.patches }).toEqual({ gets: 0, patches: 1 });
    expect(ours(t.server.current("nc1")).map((c) => c.type)).toContain(`${CONDITION_PREFIX}SubnetReady`);
  });

  it("sends nothing when nothing of ours changed, before or after the watch brings our write back", async () => {
    const t = setup();
    t.create("nc1");
    await t.controller.reconcile("nc1");
    // the informer has not seen our write yet: the object our PATCH returned stands in for it
    await t.controller.reconcile("nc1");
    expect({ gets: t.server.gets, patches: t.server.patches }).toEqual({ gets: 0, patches: 1 });
    t.informer.deliver("update", t.server.current("nc1"));
    await t.controller.reconcile("nc1");
    expect({ gets: t.server.gets, patches: t.server.patches }).toEqual({ gets: 0, patches: 1 });
    expect(t.controller.stats.conflicts).toBe(0);
  });

  it("a copy behind the server costs one 409, one GET and one retry, and keeps the other writer's change", async () => {
    const t = setup();
    t.create("nc1");
    // Karpenter writes its own condition; our informer has not seen it yet
    t.server.touch("nc1", (o) => {
      o.status = { conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }] };
    });
    await t.controller.reconcile("nc1");
    expect({ gets: t.server.gets, patches: t.server.patches, conflicts: t.controller.stats.conflicts }).toEqual({
      gets: 1,
      patches: 2,
      conflicts: 1,
    });
    const conditions = t.server.current("nc1").status?.conditions as Array<{ type: string }>;
    expect(conditions[0]?.type).toBe("Ready");
    expect(ours(t.server.current("nc1")).length).toBe(7);
  });

  it("visits on a spec change or someone editing our conditions, not on the echo of its own write", async () => {
    const t = setup();
    t.create("nc1");
    await t.controller.reconcile("nc1");
    const reconciles = async (): Promise<number> => {
      await t.controller.queue.onIdle();
      return t.controller.stats.reconciles;
    };
    t.informer.deliver("update", t.server.current("nc1"));
    expect(await reconciles()).toBe(1);
    // someone flips one of our conditions
    const edited = t.server.touch("nc1", (o) => {
      const list = o.status?.conditions as Array<{ type: string; status: string }>;
      const found = list.find((c) => c.type === `${CONDITION_PREFIX}SubnetFound`);
      if (found) found.status = "False";
    });
    t.informer.deliver("update", edited);
    expect(await reconciles()).toBe(2);
    // a spec change (new generation)
    const changed = t.server.touch("nc1", (o) => {
      o.metadata = { ...o.metadata, generation: 2 };
    });
    t.informer.deliver("update", changed);
    expect(await reconciles()).toBe(3);
  });

  it("forgetting a deleted nodeclass leaves no record, no retained Azure key and no metric series", async () => {
    const t = setup();
    t.create("keep", "nodes");
    t.create("gone", "other");
    await t.controller.reconcile("keep");
    await t.controller.reconcile("gone");
    expect(t.controller.records.size).toBe(2);
    expect(await t.metrics.registry.metrics()).toContain('nodeclass="gone"');
    expect(t.access.retained).toContain(ref(subnetId("other")).canonical);

    t.informer.deliver("delete", t.server.current("gone"));

    expect([...t.controller.records.names()]).toEqual(["keep"]);
    expect([...t.access.retained]).toEqual([ref(subnetId("nodes")).canonical]);
    expect([...t.vnets.retained]).toEqual([ref(subnetId("nodes")).vnetCanonical]);
    const exposition = await t.metrics.registry.metrics();
    expect(exposition).not.toContain('nodeclass="gone"');
    expect(exposition).not.toContain("subnets/other");
    expect(exposition).toContain('nodeclass="keep"');
  });

  it("reads Azure while the nodes are still listed, but judges and writes only once every node is known", async () => {
    const t = setup();
    let synced = false;
    let listed!: () => void;
    const fullList = new Promise<void>((resolve) => (listed = resolve));
    // the node list's pages are in: one of nc1's nodes is outside its subnet (10.1.0.0/24)
    const nodes = [
      { name: "n-in", internalIPs: ["10.1.0.7"] },
      { name: "n-out", internalIPs: ["10.9.0.7"] },
    ];
    t.controller.deactivate();
    const controller = new SubnetHealthController(CONFIG, {
      nodeClasses: t.informer,
      nodes: {
        on: () => undefined,
        addressesFor: () => (synced ? nodes : nodes.slice(0, 1)),
        hasSynced: () => synced,
        waitForSync: () => fullList,
      },
      vnets: t.vnets,
      access: t.access,
      network: { get: () => Promise.resolve({ kind: "ok", network: network(), fetchedAt: T0 }) },
      statusApi: t.server,
      events: undefined,
      metrics: t.metrics,
      log: createLogger("silent"),
      clock: { now: () => T0 },
    });
    controllers.push(controller);
    controller.activate();
    t.create("nc1");
    const pending = controller.reconcile("nc1");
    await vi.waitFor(() => expect([t.vnets.retained.size, t.access.retained.size]).toEqual([1, 1]));
    // Azure was read; nothing was judged or written from the first page of nodes
    expect(t.server.patches).toBe(0);
    expect(ours(t.server.current("nc1"))).toEqual([]);
    synced = true;
    listed();
    await pending;
    expect({ gets: t.server.gets, patches: t.server.patches }).toEqual({ gets: 0, patches: 1 });
    const stable = ours(t.server.current("nc1")).find((c) => c.type === `${CONDITION_PREFIX}SubnetStable`) as
      { status: string; reason: string; message: string } | undefined;
    expect(stable?.message).toContain("n-out");
  });

  it("a nodeclass deleted while its reconcile waited on Azure is not remembered", async () => {
    const t = setup();
    t.create("nc1");
    const pending = t.controller.reconcile("nc1");
    t.informer.deliver("delete", t.server.current("nc1"));
    await expect(pending).resolves.toEqual({ result: "skipped" });
    expect(t.controller.records.size).toBe(0);
    expect(await t.metrics.registry.metrics()).not.toContain('nodeclass="nc1"');
  });
});
