/**
 * The resilient informer against the real API server: add/update/delete of AKSNodeClasses, recovery
 * after its watch breaks with a server error (and the reconnect itself failing), and the node
 * address watch keeping per-nodeclass InternalIPs from real Node objects.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Node,
} from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { AKSNODECLASS, NODECLASS_LABEL } from "../../src/domain.js";
import { ResilientInformer, type WatchLike } from "../../src/kube/informer.js";
import { NodeAddressWatch } from "../../src/kube/node-addresses.js";
import { adminKubeConfig, eventually, uniqueName } from "../support/kube.js";

interface NodeClass extends KubernetesObject {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** The real Watch, plus a way to break the live watch and to make the next connects fail. */
class FaultyWatch implements WatchLike {
  private readonly real: Watch;
  private live: { done: (err: unknown) => void; controller: AbortController } | undefined;
  failNextConnects = 0;
  connects = 0;
  constructor(real: Watch) {
    this.real = real;
  }
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.connects++;
    if (this.failNextConnects > 0) {
      this.failNextConnects--;
      done(Object.assign(new Error("Service Unavailable"), { statusCode: 503 }));
      return new AbortController();
    }
    const controller = await this.real.watch(path, query, cb, done);
    this.live = { done, controller };
    return controller;
  }
  /** what a dropped connection with an HTTP 500 looks like to ListWatch */
  breakLive(): void {
    const l = this.live;
    this.live = undefined;
    l?.controller.abort();
    l?.done(Object.assign(new Error("Internal Server Error"), { statusCode: 500 }));
  }
}

test("sees add/update/delete and keeps watching after its watch breaks and reconnects fail", async () => {
  const kc = adminKubeConfig();
  const api = kc.makeApiClient(CustomObjectsApi);
  const run = uniqueName("inf");
  const selector = `test-run=${run}`;
  const coords = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  const faulty = new FaultyWatch(new Watch(kc));
  const errors: unknown[] = [];
  const inf = new ResilientInformer<NodeClass>({
    name: "aksnodeclasses",
    path: `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
    watch: faulty,
    labelSelector: selector,
    list: async (labelSelector) =>
      (await api.listClusterCustomObject({ ...coords, labelSelector })) as KubernetesListObject<NodeClass>,
    backoff: { baseMs: 200, maxMs: 1_000 },
  });
  const seen: string[] = [];
  inf.on("add", (o) => seen.push(`add ${o.metadata.name}`));
  inf.on("update", (o) => seen.push(`update ${o.metadata.name}`));
  inf.on("delete", (o) => seen.push(`delete ${o.metadata.name}`));
  inf.on("error", (e) => errors.push(e));
  const create = (name: string) =>
    api.createClusterCustomObject({
      ...coords,
      body: {
        apiVersion: `${coords.group}/${coords.version}`,
        kind: AKSNODECLASS.kind,
        metadata: { name, labels: { "test-run": run } },
        spec: {},
      },
    });
  const a = `${run}-a`;
  const b = `${run}-b`;
  await create(a);
  inf.start();
  await inf.waitForSync();
  expect(inf.list().map((o) => o.metadata.name)).toEqual([a]);
  await create(b);
  await eventually(() => (inf.get(b) ? true : undefined), { what: "add b" });
  await api.patchClusterCustomObject(
    { ...coords, name: a, body: { metadata: { annotations: { touched: "1" } } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  await eventually(() => (seen.includes(`update ${a}`) ? true : undefined), { what: "update a" });

  // the watch dies with a 500 and the next two reconnects are refused
  faulty.failNextConnects = 2;
  faulty.breakLive();
  await api.deleteClusterCustomObject({ ...coords, name: b });
  await eventually(() => (seen.includes(`delete ${b}`) ? true : undefined), {
    what: "delete b after recovery",
    timeoutMs: 20_000,
  });
  expect(errors.length).toBeGreaterThanOrEqual(3);
  expect(inf.stats().restarts).toBeGreaterThanOrEqual(3);
  const c = `${run}-c`;
  await create(c);
  await eventually(() => (inf.get(c) ? true : undefined), { what: "add c on the recovered watch" });
  expect(seen.filter((s) => s === `add ${a}`)).toHaveLength(1);
  expect(
    inf
      .list()
      .map((o) => o.metadata.name)
      .sort(),
  ).toEqual([a, c]);

  await inf.stop();
  const connects = faulty.connects;
  // an independent watch proves the deletes were delivered to watchers before we look for late events
  const witnessed = new Set<string>();
  const witness = await new Watch(adminKubeConfig()).watch(
    `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
    {},
    (phase: string, obj: KubernetesObject) => {
      if (phase === "DELETED" && obj.metadata?.name) witnessed.add(obj.metadata.name);
    },
    () => undefined,
  );
  try {
    await api.deleteClusterCustomObject({ ...coords, name: a });
    await api.deleteClusterCustomObject({ ...coords, name: c });
    await eventually(() => (witnessed.has(a) && witnessed.has(c) ? true : undefined), {
      what: "deletes seen by another watcher",
    });
  } finally {
    witness.abort();
  }
  // stopped: nothing reconnected and the stopped informer heard none of it
  expect(faulty.connects).toBe(connects);
  expect(seen).not.toContain(`delete ${a}`);
  expect(seen).not.toContain(`delete ${c}`);
});

test("node address watch tracks InternalIPs per nodeclass from labelled nodes only", async () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const nodeclass = uniqueName("nc");
  const n1 = uniqueName("node");
  const n2 = uniqueName("node");
  const unlabelled = uniqueName("node");
  const nodeBody = (name: string, labels: Record<string, string>, ip: string): V1Node => ({
    metadata: { name, labels },
    status: {
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: name },
      ],
    },
  });
  const w = new NodeAddressWatch({ kubeConfig: kc });
  const changed: string[] = [];
  w.on("changed", (nc) => changed.push(nc));
  w.start();
  await w.waitForSync();
  await core.createNode({ body: nodeBody(n1, { [NODECLASS_LABEL]: nodeclass }, "10.9.0.4") });
  await core.createNode({ body: nodeBody(n2, { [NODECLASS_LABEL]: nodeclass }, "10.9.0.5") });
  await core.createNode({ body: nodeBody(unlabelled, {}, "10.9.0.6") });
  await eventually(() => (w.addressesFor(nodeclass).length === 2 ? true : undefined), { what: "two nodes indexed" });
  expect(w.addressesFor(nodeclass)).toEqual(
    [
      { name: n1, internalIPs: ["10.9.0.4"] },
      { name: n2, internalIPs: ["10.9.0.5"] },
    ].sort((x, y) => x.name.localeCompare(y.name)),
  );
  await core.patchNodeStatus(
    { name: n1, body: { status: { addresses: [{ type: "InternalIP", address: "10.9.0.40" }] } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  await eventually(() => (w.addressesFor(nodeclass).some((a) => a.internalIPs[0] === "10.9.0.40") ? true : undefined), {
    what: "address change",
  });
  await core.deleteNode({ name: n2 });
  await eventually(() => (w.addressesFor(nodeclass).length === 1 ? true : undefined), { what: "node removal" });
  // the API server is shared with other test files that label nodes for their own nodeclasses:
  // only ours is asserted on (add n1, add n2, n1's address, n2 removed)
  expect(changed.filter((c) => c === nodeclass).length).toBeGreaterThanOrEqual(4);
  expect(changed).not.toContain("");
  expect([...w.all().values()].flat().some((a) => a.name === unlabelled)).toBe(false);
  await w.stop();
  await core.deleteNode({ name: n1 });
  await core.deleteNode({ name: unlabelled });
});
