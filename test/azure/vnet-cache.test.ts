/**
 * The VNet cache with the real SDK clients against the in-process ARM simulator: what a nodeclass's
 * subnet looks like after one refresh, how many ARM calls that costs, and what happens when ARM
 * throttles, resets connections or says "not found".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArmLimiter } from "../../src/azure/arm-limiter.js";
import { createAzureClients, type AzureClients } from "../../src/azure/clients.js";
import { armNetworkReader } from "../../src/azure/network-reader.js";
import type { ArmOperation } from "../../src/azure/operations.js";
import { VNetCache, type CachedVNetSnapshot } from "../../src/azure/vnet-cache.js";
import type { VNetObservation } from "../../src/health/types.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import {
  DELEGATED,
  GATEWAY,
  NOBODY,
  NODES,
  OPERATOR,
  RG,
  SUB,
  SUBNET_ONLY_READER,
  VNET,
  VNET_B,
  subnet,
  topology,
} from "./fixtures.js";

let sim: RunningSimulator;
const seen: Array<{ operation: ArmOperation; outcome: string }> = [];

function setup(
  oid: string,
  opts: { ttlMs?: number; failureTtlMs?: number } = {},
): { clients: AzureClients; limiter: ArmLimiter; cache: VNetCache } {
  const limiter = new ArmLimiter({ concurrency: 4, timeoutMs: 10_000 });
  const clients = createAzureClients({
    credential: new SimTokenCredential({ oid }),
    endpoint: sim.url,
    ca: sim.caPem,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    limiter,
    onRequest: (operation, outcome) => seen.push({ operation, outcome }),
  });
  const cache = new VNetCache({
    reader: armNetworkReader(clients, limiter),
    ttlMs: opts.ttlMs ?? 60_000,
    failureTtlMs: opts.failureTtlMs ?? 0,
  });
  return { clients, limiter, cache };
}

function ok(obs: VNetObservation): CachedVNetSnapshot {
  if (obs.kind !== "ok") throw new Error(`expected an ok observation, got ${JSON.stringify(obs)}`);
  return obs.snapshot as CachedVNetSnapshot;
}

async function count(operation: string): Promise<number> {
  return (await sim.admin.counters()).byOperation[operation] ?? 0;
}

beforeAll(async () => {
  sim = await startSimulator({ topology: topology(), pageSize: 2 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  await sim.admin.clearFaults();
  await sim.admin.replaceTopology(topology());
  await sim.admin.resetCounters();
  seen.length = 0;
});

describe("VNet snapshot from the simulator", () => {
  it("reads every subnet of the VNet with its usage, across usage pages, in one refresh", async () => {
    const { cache } = setup(OPERATOR);
    const snap = ok(await cache.get(subnet(NODES)));
    expect(snap.source).toBe("virtual-network");
    expect(snap.vnetCanonical).toBe(VNET.toLowerCase());
    expect(snap.addressSpace).toEqual(["10.0.0.0/8"]);
    expect([...snap.subnets.keys()].sort()).toEqual(["aci", "gatewaysubnet", "nodes"]);

    const nodes = snap.subnets.get("nodes");
    expect(nodes).toMatchObject({
      name: "nodes",
      addressPrefixes: ["10.1.0.0/24"],
      provisioningState: "Succeeded",
      networkSecurityGroupId: `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg`,
      ipConfigurationCount: 10,
      usage: { limit: 251, used: 10 }, // /24 minus Azure's 5 reserved
    });
    expect(nodes?.id.toLowerCase()).toBe(NODES.toLowerCase());
    expect(snap.subnets.get("gatewaysubnet")?.usage?.limit).toBeLessThanOrEqual(0); // not reported, never "full"
    expect(snap.subnets.get("aci")).toMatchObject({
      addressPrefixes: ["10.3.0.0/28"],
      delegations: ["Microsoft.ContainerInstance/containerGroups"],
      usage: { limit: 11, used: 3 },
    });
    expect(snap.usageFailure).toBeUndefined();

    // 3 usage items at 2 per page: 1 VNet GET + 2 usage pages, nothing else
    expect(await count("VirtualNetworks_Get")).toBe(1);
    expect(await count("VirtualNetworks_ListUsage")).toBe(2);
    expect(await count("Subnets_Get")).toBe(0);
    expect(seen.map((s) => `${s.operation} ${s.outcome}`)).toEqual([
      "VirtualNetworks_Get 200",
      "VirtualNetworks_ListUsage 200",
      "VirtualNetworks_ListUsage 200",
    ]);
  });

  it("10 concurrent gets for subnets of one VNet cost one VirtualNetworks_Get", async () => {
    const { cache } = setup(OPERATOR);
    // different subnets, and one spelled in another case: all the same VNet
    const refs = [NODES, GATEWAY, DELEGATED, `${VNET.replace("aks-vnet", "AKS-VNET")}/subnets/NODES`].map(subnet);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => cache.get(refs[i % refs.length]!)));
    expect(results.every((r) => r.kind === "ok")).toBe(true);
    expect(new Set(results.map((r) => ok(r))).size).toBe(1);
    expect(await count("VirtualNetworks_Get")).toBe(1);
    expect(await count("VirtualNetworks_ListUsage")).toBe(2);
    // a second VNet is its own fetch
    await cache.get(subnet(`${VNET_B}/subnets/nodes`));
    expect(await count("VirtualNetworks_Get")).toBe(2);
  });

  it("a subnet missing from an existing VNet is absent from the snapshot (definite)", async () => {
    const { cache } = setup(OPERATOR);
    await sim.admin.deleteSubnet(DELEGATED);
    const snap = ok(await cache.get(subnet(DELEGATED)));
    expect(snap.subnets.has("aci")).toBe(false);
    expect(snap.subnets.has("nodes")).toBe(true);
  });

  it("a missing VNet, resource group or subscription each give their definite kind", async () => {
    const { cache } = setup(OPERATOR);
    const vnet = await cache.get(subnet(`${RG}/providers/Microsoft.Network/virtualNetworks/gone/subnets/nodes`));
    expect(vnet.kind).toBe("vnet-not-found");
    const rg = await cache.get(
      subnet(
        `/subscriptions/${SUB}/resourceGroups/no-such-rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1`,
      ),
    );
    expect(rg.kind).toBe("resource-group-not-found");
    expect(rg.kind === "resource-group-not-found" && rg.message).toMatch(/VirtualNetworks_Get .*no-such-rg/);
    const sub = await cache.get(
      subnet(
        "/subscriptions/99999999-0000-4000-8000-000000000000/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1",
      ),
    );
    expect(sub.kind).toBe("subscription-not-found");
  });

  it("an identity without read access gets 'forbidden', never 'not found'", async () => {
    const { cache } = setup(NOBODY);
    const obs = await cache.get(subnet(NODES));
    expect(obs.kind).toBe("forbidden");
    expect(obs.kind === "forbidden" && obs.message).toContain("AuthorizationFailed");
  });

  it("falls back to Subnets_Get when only the subnet may be read, and marks usages forbidden", async () => {
    const { cache } = setup(SUBNET_ONLY_READER);
    const snap = ok(await cache.get(subnet(NODES)));
    expect(snap.source).toBe("subnets");
    expect(snap.note).toMatch(/forbidden/);
    expect([...snap.subnets.keys()]).toEqual(["nodes"]);
    expect(snap.subnets.get("nodes")).toMatchObject({
      addressPrefixes: ["10.1.0.0/24"],
      ipConfigurationCount: 10,
      usage: undefined,
    });
    expect(snap.usageFailure).toMatchObject({ kind: "forbidden" });
    expect(await count("Subnets_Get")).toBe(1);
  });
});

describe("VNet cache when ARM misbehaves", () => {
  it("a 429 burst gives unavailable(throttled) with the last good snapshot, and the limiter pauses for Retry-After", async () => {
    const { cache, limiter } = setup(OPERATOR);
    const good = ok(await cache.get(subnet(NODES)));
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "throttle", retryAfterSeconds: 2, count: 2 }]);
    const before = Date.now();
    const obs = await cache.forceRefresh(subnet(NODES));
    expect(obs).toMatchObject({
      kind: "unavailable",
      failure: { kind: "throttled", statusCode: 429, retryAfterSeconds: 2 },
    });
    expect(obs.kind === "unavailable" && obs.lastGood).toBe(good);
    expect(obs.kind === "unavailable" && obs.lastGood?.fetchedAt).toBe(good.fetchedAt);
    // the first 429 was waited out once (a short Retry-After); the second one fails the read
    expect((await sim.admin.counters()).byOperationStatus["VirtualNetworks_Get"]?.["429"]).toBe(2);
    const until = limiter.throttledUntil;
    expect(until).toBeGreaterThanOrEqual(before + 1_900);

    // every other read now waits for the pause, then goes through
    const other = cache.get(subnet(`${VNET_B}/subnets/nodes`));
    await expect.poll(() => limiter.queueDepth, { timeout: 1_000 }).toBeGreaterThan(0);
    expect(await count("VirtualNetworks_Get")).toBe(3);
    expect((await other).kind).toBe("ok");
    expect(Date.now()).toBeGreaterThanOrEqual(until! - 5);
    expect(limiter.throttledUntil).toBeUndefined();
    expect(seen.filter((s) => s.outcome === "429").map((s) => s.operation)).toEqual([
      "VirtualNetworks_Get",
      "VirtualNetworks_Get",
    ]);
  });

  it("one 429 with a short Retry-After costs time, not the answer", async () => {
    const { cache, limiter } = setup(OPERATOR);
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "throttle", retryAfterSeconds: 1, count: 1 }]);
    const obs = await cache.forceRefresh(subnet(NODES));
    expect(obs.kind).toBe("ok");
    expect((await sim.admin.counters()).byOperationStatus["VirtualNetworks_Get"]).toMatchObject({ "429": 1, "200": 1 });
    expect(limiter.throttleEvents).toBeGreaterThanOrEqual(1);
  });

  it("a long Retry-After fails the read at once instead of holding it", async () => {
    const { cache } = setup(OPERATOR);
    await sim.admin.setFaults([
      { operation: "VirtualNetworks_Get", kind: "throttle", retryAfterSeconds: 60, count: 1 },
    ]);
    const obs = await cache.forceRefresh(subnet(NODES));
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "throttled", retryAfterSeconds: 60 } });
    expect((await sim.admin.counters()).byOperationStatus["VirtualNetworks_Get"]).toEqual({ "429": 1 });
  });

  it("connection resets give unavailable(unreachable) with the last good snapshot, never not-found", async () => {
    const { cache } = setup(OPERATOR);
    const good = ok(await cache.get(subnet(NODES)));
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "reset" }]);
    const obs = await cache.forceRefresh(subnet(NODES));
    expect(obs.kind).toBe("unavailable");
    if (obs.kind !== "unavailable") return;
    expect(obs.failure.kind).toBe("unreachable");
    expect(obs.failure.message).toContain("VirtualNetworks_Get");
    expect(obs.lastGood).toBe(good);
    // the SDK retried the reset once (maxRetries 1), and each attempt was reported
    expect(seen.filter((s) => s.operation === "VirtualNetworks_Get" && s.outcome !== "200")).toHaveLength(2);

    await sim.admin.clearFaults();
    expect((await cache.forceRefresh(subnet(NODES))).kind).toBe("ok");
  });

  it("5xx from ARM is a server error, not an answer", async () => {
    const { cache } = setup(OPERATOR);
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "error", status: 500 }]);
    const obs = await cache.get(subnet(NODES));
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "server-error", statusCode: 500 } });
    expect(obs.kind === "unavailable" && obs.lastGood).toBeUndefined();
  });
});
