/**
 * Issue 4: Azure cost follows VNets, not nodeclasses, and a quiet resync writes nothing.
 *
 * 200 nodeclasses over 10 subnets in 2 VNets, against the real API server and the ARM simulator.
 * Each measurement covers exactly one resync: we wait for a moment when the operator's work queue is
 * idle (resyncs are bursts that enqueue every nodeclass at once, seconds apart), reset the
 * simulator's counters, then wait until every nodeclass has been reconciled once more and the queue
 * is idle again. The counters then hold what one resync cost.
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AKSNODECLASS, CONDITION_PREFIX } from "../../src/domain.js";
import { GENERATED_CLUSTER_NETWORK_FLAGS, generatedTopology } from "../../src/sim/generated-topology.js";
import type { Counters } from "../../src/sim/index.js";
import { eventually, type AKSNodeClassObject } from "../support/kube.js";
import { OPERATOR_OID, startStack, type Stack } from "../support/stack.js";

const SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c4";
const RG = "rg-scale";
const KARPENTER_OID = "11111111-1111-1111-1111-111111111111";
const VNETS = ["vnet-a", "vnet-b"] as const;
const SUBNETS_PER_VNET = 5;
const PAGE_SIZE = 2;
const USAGE_PAGES_PER_VNET = Math.ceil(SUBNETS_PER_VNET / PAGE_SIZE);

const world = generatedTopology({
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RG,
  vnets: VNETS,
  subnetsPerVnet: SUBNETS_PER_VNET,
  pageSize: PAGE_SIZE,
  operatorPrincipalId: OPERATOR_OID,
  karpenterPrincipalId: KARPENTER_OID,
});
const { topology } = world;
/** every subnet ID, VNet by VNet */
const SUBNET_IDS = world.subnetIds;

const FLAGS = {
  ...GENERATED_CLUSTER_NETWORK_FLAGS,
  karpenterPrincipalId: KARPENTER_OID,
  // a resync every 5 s; VNet data older than 3 s is re-read, so every resync reads each VNet once,
  // provided a resync burst is shorter than 3 s (it takes a few hundred ms here)
  resyncPeriod: "5s",
  vnetCacheTtl: "3s",
  // between passes RBAC would be served for an hour; a resync pass still re-reads it once per subnet
  accessCacheTtl: "1h",
};

type PerOperation = Record<string, number>;

function perOperation(c: Counters): PerOperation {
  const out: PerOperation = {};
  for (const [op, n] of Object.entries(c.byOperation)) if (n > 0) out[op] = n;
  return out;
}

describe("scale: 200 nodeclasses over 10 subnets in 2 VNets", () => {
  let stack: Stack;
  let api: CustomObjectsApi;
  const names: string[] = [];
  /** every ARM request since the stack started, by operation (folded in before each counter reset) */
  const cumulative: PerOperation = {};
  const resetCounters = async (): Promise<void> => {
    for (const [op, n] of Object.entries(perOperation(await stack.sim.admin.counters())))
      cumulative[op] = (cumulative[op] ?? 0) + n;
    await stack.sim.admin.resetCounters();
  };

  beforeAll(async () => {
    stack = await startStack({ topology, flags: FLAGS });
    api = stack.kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const ctl = (): Stack["operator"]["controller"] => stack.operator.controller;
  const idle = (): boolean => ctl().queue.size === 0 && ctl().queue.processing === 0 && ctl().queue.delayedCount === 0;

  const listOurs = async (): Promise<AKSNodeClassObject[]> => {
    const list = (await api.listClusterCustomObject({
      group: AKSNODECLASS.group,
      version: AKSNODECLASS.version,
      plural: AKSNODECLASS.plural,
      labelSelector: `aks-subnet-health-test=${stack.runLabel}`,
    })) as { items: AKSNodeClassObject[] };
    return list.items;
  };

  /** Creates nodeclasses `from`..`to-1`, spread round-robin over `subnets`, 25 at a time. */
  const createNodeClasses = async (from: number, to: number, subnets: string[]): Promise<void> => {
    for (let start = from; start < to; start += 25) {
      const batch = Array.from({ length: Math.min(25, to - start) }, (_, k) => start + k);
      await Promise.all(
        batch.map(async (i) => {
          const name = `${stack.runLabel}-nc-${String(i).padStart(3, "0")}`;
          await stack.createNodeClass(name, { vnetSubnetID: subnets[i % subnets.length] });
          names.push(name);
        }),
      );
    }
  };

  const waitAllReady = async (count: number): Promise<void> => {
    await eventually(
      async () => {
        const items = await listOurs();
        const ready = items.filter((o) =>
          o.status?.conditions?.some((c) => c.type === `${CONDITION_PREFIX}SubnetReady` && c.status === "True"),
        );
        return items.length === count && ready.length === count ? true : undefined;
      },
      { what: `all ${count} nodeclasses SubnetReady=True`, timeoutMs: 45_000, intervalMs: 250 },
    );
  };

  /**
   * Waits for an idle moment between resyncs, runs `atStart` there (nothing may be reconciled
   * meanwhile, else it tries again at the next gap), then waits until one full resync has visited
   * every nodeclass and the queue is idle again.
   */
  const oneResync = async (
    count: number,
    atStart: () => Promise<void>,
  ): Promise<{ reconciles: number; burstMs: number }> => {
    const start = await eventually(
      async () => {
        if (!idle()) return undefined;
        const before = ctl().stats.reconciles;
        await atStart();
        return idle() && ctl().stats.reconciles === before ? before : undefined;
      },
      { what: "an idle gap between resyncs", timeoutMs: 20_000, intervalMs: 50 },
    );
    let burstStart: number | undefined;
    await eventually(
      () => {
        if (burstStart === undefined && ctl().stats.reconciles > start) burstStart = Date.now();
        return ctl().stats.reconciles >= start + count && idle() ? true : undefined;
      },
      { what: `one resync of ${count} nodeclasses`, timeoutMs: 20_000, intervalMs: 20 },
    );
    return { reconciles: ctl().stats.reconciles - start, burstMs: Date.now() - (burstStart ?? Date.now()) };
  };

  /** ARM requests of one resync, by operation. */
  const measureResync = async (count: number): Promise<{ ops: PerOperation; total: number; burstMs: number }> => {
    // the first resync after creating nodeclasses may find the VNet data their creation fetched still
    // fresh; one resync later every VNet read is at least a full resync period old
    await oneResync(count, async () => undefined);
    const { burstMs } = await oneResync(count, resetCounters);
    const c = await stack.sim.admin.counters();
    return { ops: perOperation(c), total: c.total, burstMs };
  };

  /**
   * What one resync must cost: per VNet one GET and its usage pages; per subnet in use one listing of
   * Karpenter's role assignments and one of deny assignments (role definitions stay cached).
   */
  const expectedPerResync = (vnets: number, subnets: number): PerOperation => ({
    VirtualNetworks_Get: vnets,
    VirtualNetworks_ListUsage: vnets * USAGE_PAGES_PER_VNET,
    RoleAssignments_ListForScope: subnets,
    DenyAssignments_ListForResource: subnets,
  });

  const perResync: Record<string, { ops: PerOperation; total: number; burstMs: number }> = {};

  test("10 nodeclasses in one VNet: one VNet's worth of requests per resync", async () => {
    await createNodeClasses(0, 10, SUBNET_IDS.slice(0, SUBNETS_PER_VNET));
    await waitAllReady(10);
    const r = await measureResync(10);
    perResync["10 in 1 VNet"] = r;
    expect(r.ops, `one resync (burst ${r.burstMs} ms)`).toEqual(expectedPerResync(1, SUBNETS_PER_VNET));
  });

  test("20 nodeclasses over both VNets: twice the requests (VNets doubled)", async () => {
    // 10 more, in the second VNet: now 20 nodeclasses, 2 on each of the 10 subnets
    await createNodeClasses(10, 20, SUBNET_IDS.slice(SUBNETS_PER_VNET));
    await waitAllReady(20);
    const r = await measureResync(20);
    perResync["20 in 2 VNets"] = r;
    expect(r.ops, `one resync (burst ${r.burstMs} ms)`).toEqual(expectedPerResync(2, SUBNET_IDS.length));
    expect(r.total).toBe(2 * (perResync["10 in 1 VNet"]?.total ?? Number.NaN));
  });

  test("200 nodeclasses over the same 10 subnets: the same requests per resync as 20", async () => {
    await createNodeClasses(20, 200, SUBNET_IDS);
    await waitAllReady(200);
    const r = await measureResync(200);
    perResync["200 in 2 VNets"] = r;
    const vnets = VNETS.length;
    expect(r.ops, `one resync (burst ${r.burstMs} ms)`).toEqual(expectedPerResync(vnets, SUBNET_IDS.length));
    expect(r.ops.Subnets_Get ?? 0).toBe(0);
    expect(r.ops.RoleDefinitions_GetById ?? 0).toBe(0);
    expect(r.total).toBe(vnets * (1 + USAGE_PAGES_PER_VNET) + 2 * SUBNET_IDS.length);
    // ten times the nodeclasses, not one request more
    expect(r.total).toBe(perResync["20 in 2 VNets"]?.total);
    console.info(
      `ARM requests per resync: ${Object.entries(perResync)
        .map(([k, v]) => `${k}: ${v.total} ${JSON.stringify(v.ops)} (burst ${v.burstMs} ms)`)
        .join("; ")}`,
    );
  });

  test("over the whole run, the role definition was read once and access never per nodeclass", async () => {
    await resetCounters();
    const ops = cumulative;
    // the role definition is cached across subnets and passes (24 h)
    expect(ops.RoleDefinitions_GetById, "role definition reads").toBe(1);
    // at most one listing per subnet per pass (plus the first look at each subnet), never per reconcile
    const { resyncs, reconciles } = stack.operator.controller.stats;
    expect(ops.RoleAssignments_ListForScope ?? 0).toBe(ops.DenyAssignments_ListForResource ?? 0);
    expect(ops.RoleAssignments_ListForScope ?? 0).toBeLessThanOrEqual(SUBNET_IDS.length * (resyncs + 1));
    expect((ops.RoleAssignments_ListForScope ?? 0) * 5).toBeLessThan(reconciles);
    expect(ops.Subnets_Get ?? 0).toBe(0);
  });

  test("a second resync with nothing changed writes nothing to the API server", async () => {
    const count = names.length;
    expect(count).toBe(200);
    let versions = new Map<string, string | undefined>();
    let writes = 0;
    let events = 0;
    let writtenMetric: number | undefined;
    const { reconciles } = await oneResync(count, async () => {
      versions = new Map((await listOurs()).map((o) => [o.metadata.name, o.metadata.resourceVersion]));
      writes = ctl().stats.writes;
      events = ctl().stats.events;
      writtenMetric = await stack.metric("aks_subnet_health_status_writes_total", { result: "written" });
    });
    expect(versions.size).toBe(count);
    expect(reconciles).toBeGreaterThanOrEqual(count);

    const after = await listOurs();
    const changed = after
      .filter((o) => versions.get(o.metadata.name) !== o.metadata.resourceVersion)
      .map((o) => o.metadata.name);
    expect(changed, "nodeclasses whose resourceVersion moved").toEqual([]);
    expect(ctl().stats.writes - writes, "status writes").toBe(0);
    expect(ctl().stats.events - events, "events recorded").toBe(0);
    expect(ctl().stats.conflicts).toBe(0);
    expect(await stack.metric("aks_subnet_health_status_writes_total", { result: "written" })).toBe(writtenMetric);
  });
});
