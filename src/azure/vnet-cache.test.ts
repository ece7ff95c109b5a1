import type { Subnet, VirtualNetwork, VirtualNetworkUsage } from "@azure/arm-network";
import { describe, expect, it } from "vitest";
import { parseSubnetId } from "../health/subnet-id.js";
import type { SubnetRef, VNetObservation } from "../health/types.js";
import type { NetworkReader } from "./network-reader.js";
import { azureError, networkError } from "./testing.js";
import { VNetCache, type CachedVNetSnapshot } from "./vnet-cache.js";

const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
const VNET_ID = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet`;

function ref(subnet: string): SubnetRef {
  const r = parseSubnetId(`${VNET_ID}/subnets/${subnet}`);
  if (!r.ok) throw new Error(r.error);
  return r.ref;
}

const subnet = (name: string, extra: Partial<Subnet> = {}): Subnet => ({
  id: `${VNET_ID}/subnets/${name}`,
  name,
  provisioningState: "Succeeded",
  ...extra,
});

const VNET: VirtualNetwork = {
  id: VNET_ID,
  name: "aks-vnet",
  addressSpace: { addressPrefixes: ["10.0.0.0/8"] },
  subnets: [
    subnet("nodes", {
      addressPrefix: "10.1.0.0/24",
      addressPrefixes: ["10.1.0.0/24", "fd00::/64"],
      ipConfigurations: [{ id: "nic1" }, { id: "nic2" }],
      networkSecurityGroup: { id: "/nsg" },
      routeTable: { id: "/rt" },
      natGateway: { id: "/nat" },
    }),
    subnet("GatewaySubnet", { addressPrefix: "10.2.0.0/27" }),
    subnet("delegated", {
      addressPrefix: "10.3.0.0/24",
      delegations: [{ name: "d", serviceName: "Microsoft.ContainerInstance/containerGroups" }],
    }),
  ],
};

const USAGES: VirtualNetworkUsage[] = [
  // upper-case ID: ARM IDs compare case-insensitively
  { id: `${VNET_ID}/subnets/NODES`.toUpperCase(), currentValue: 10, limit: 251 },
  { id: `${VNET_ID}/subnets/GatewaySubnet`, currentValue: -1, limit: -1 },
  { id: `${VNET_ID}/subnets/not-in-the-vnet`, currentValue: 1, limit: 3 },
];

class FakeReader implements NetworkReader {
  calls = { vnet: 0, usage: 0, subnet: [] as string[] };
  vnet: () => Promise<VirtualNetwork> = async () => VNET;
  usage: () => Promise<VirtualNetworkUsage[]> = async () => USAGES;
  subnet: (name: string) => Promise<Subnet> = async (name) => {
    const s = VNET.subnets?.find((x) => x.name?.toLowerCase() === name.toLowerCase());
    if (!s) throw azureError(404, "NotFound", `Resource ${VNET_ID}/subnets/${name} not found.`);
    return s;
  };
  getVirtualNetwork(): Promise<VirtualNetwork> {
    this.calls.vnet += 1;
    return this.vnet();
  }
  listUsage(): Promise<VirtualNetworkUsage[]> {
    this.calls.usage += 1;
    return this.usage();
  }
  getSubnet(_ref: unknown, name: string): Promise<Subnet> {
    this.calls.subnet.push(name);
    return this.subnet(name);
  }
}

function snapshotOf(obs: VNetObservation): CachedVNetSnapshot {
  if (obs.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(obs)}`);
  return obs.snapshot as CachedVNetSnapshot;
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("VNetCache snapshot", () => {
  it("turns one VirtualNetworks_Get + usages into per-subnet properties", async () => {
    const reader = new FakeReader();
    const c = clock();
    const cache = new VNetCache({ reader, now: c.now });
    const snap = snapshotOf(await cache.get(ref("nodes")));
    expect(snap.vnetCanonical).toBe(VNET_ID.toLowerCase());
    expect(snap.addressSpace).toEqual(["10.0.0.0/8"]);
    expect(snap.fetchedAt).toBe(c.now());
    expect(snap.source).toBe("virtual-network");
    expect([...snap.subnets.keys()].sort()).toEqual(["delegated", "gatewaysubnet", "nodes"]);
    expect(snap.subnets.get("nodes")).toEqual({
      id: `${VNET_ID}/subnets/nodes`,
      name: "nodes",
      addressPrefixes: ["10.1.0.0/24", "fd00::/64"],
      provisioningState: "Succeeded",
      delegations: [],
      networkSecurityGroupId: "/nsg",
      routeTableId: "/rt",
      natGatewayId: "/nat",
      ipConfigurationCount: 2,
      usage: { limit: 251, used: 10 },
    });
    // -1/-1 is kept as "not reported" (limit <= 0), never as full
    expect(snap.subnets.get("gatewaysubnet")?.usage).toEqual({ limit: -1, used: -1 });
    expect(snap.subnets.get("delegated")?.usage).toBeUndefined();
    expect(snap.subnets.get("delegated")?.delegations).toEqual(["Microsoft.ContainerInstance/containerGroups"]);
    expect(snap.usageFailure).toBeUndefined();
  });

  it("reports forbidden usages as usageFailure and keeps the subnets", async () => {
    const reader = new FakeReader();
    reader.usage = async () => {
      throw azureError(403, "AuthorizationFailed", "no usages/read");
    };
    const snap = snapshotOf(await new VNetCache({ reader }).get(ref("nodes")));
    expect(snap.usageFailure).toMatchObject({ kind: "forbidden" });
    expect(snap.subnets.get("nodes")?.usage).toBeUndefined();
    expect(snap.subnets.get("nodes")?.ipConfigurationCount).toBe(2);
  });

  it("falls back to Subnets_Get for the requested subnets when the VNet read is forbidden, and says so", async () => {
    const reader = new FakeReader();
    reader.vnet = async () => {
      throw azureError(403, "AuthorizationFailed", "no virtualNetworks/read");
    };
    const cache = new VNetCache({ reader });
    void cache.get(ref("other-missing"), { maxAgeMs: 0 }).catch(() => undefined);
    const snap = snapshotOf(await cache.get(ref("nodes"), { force: true }));
    expect(snap.source).toBe("subnets");
    expect(snap.note).toMatch(/forbidden/);
    expect(snap.addressSpace).toEqual([]);
    expect(snap.subnets.get("nodes")?.usage).toEqual({ limit: 251, used: 10 });
    // a subnet Azure says does not exist is absent (definite), never invented
    expect(snap.subnets.has("other-missing")).toBe(false);
    expect(new Set(reader.calls.subnet)).toEqual(new Set(["other-missing", "nodes"]));
  });

  it("reports forbidden when neither the VNet nor the subnet may be read (never 'missing')", async () => {
    const reader = new FakeReader();
    reader.vnet = async () => {
      throw azureError(403, "AuthorizationFailed", "no");
    };
    reader.subnet = async () => {
      throw azureError(403, "AuthorizationFailed", "no");
    };
    const obs = await new VNetCache({ reader }).get(ref("nodes"));
    expect(obs.kind).toBe("forbidden");
  });

  it.each([
    [
      "resource-group-not-found",
      azureError(404, "ResourceGroupNotFound", "Resource group 'net-rg' could not be found."),
    ],
    [
      "vnet-not-found",
      azureError(404, "ResourceNotFound", "The Resource 'Microsoft.Network/virtualNetworks/aks-vnet' was not found."),
    ],
    ["subscription-not-found", azureError(404, "SubscriptionNotFound", "gone")],
  ] as const)("maps Azure's 404 to %s", async (kind, err) => {
    const reader = new FakeReader();
    reader.vnet = async () => {
      throw err;
    };
    const obs = await new VNetCache({ reader }).get(ref("nodes"));
    expect(obs.kind).toBe(kind);
    expect(reader.calls.usage).toBe(0);
  });
});

describe("VNetCache caching", () => {
  it("shares one fetch between concurrent callers of the same VNet (any subnet)", async () => {
    const reader = new FakeReader();
    let release: () => void = () => undefined;
    reader.vnet = () => new Promise((r) => (release = () => r(VNET)));
    const cache = new VNetCache({ reader });
    const all = Promise.all([
      ...Array.from({ length: 10 }, () => cache.get(ref("nodes"))),
      cache.get(ref("delegated")),
      cache.get(ref("NODES")),
    ]);
    release();
    const results = await all;
    expect(reader.calls.vnet).toBe(1);
    expect(reader.calls.usage).toBe(1);
    const first = snapshotOf(results[0]);
    expect(results.every((r) => snapshotOf(r) === first)).toBe(true);
  });

  it("serves the cached snapshot within the TTL and refetches after it", async () => {
    const reader = new FakeReader();
    const c = clock();
    const cache = new VNetCache({ reader, ttlMs: 60_000, now: c.now });
    await cache.get(ref("nodes"));
    c.advance(59_999);
    await cache.get(ref("nodes"));
    expect(reader.calls.vnet).toBe(1);
    c.advance(1);
    await cache.get(ref("nodes"));
    expect(reader.calls.vnet).toBe(2);
    // a caller may ask for fresher data than the TTL
    c.advance(10);
    await cache.get(ref("nodes"), { maxAgeMs: 5 });
    expect(reader.calls.vnet).toBe(3);
    await cache.forceRefresh(ref("nodes"));
    expect(reader.calls.vnet).toBe(4);
  });

  it("keeps the last good snapshot through a transient failure and reports since when", async () => {
    const reader = new FakeReader();
    const c = clock();
    const cache = new VNetCache({ reader, ttlMs: 1_000, failureTtlMs: 1_000, now: c.now });
    const good = snapshotOf(await cache.get(ref("nodes")));
    reader.vnet = async () => {
      throw networkError("ECONNRESET", "read ECONNRESET");
    };
    c.advance(1_000);
    const firstFailureAt = c.now();
    const obs1 = await cache.get(ref("nodes"));
    expect(obs1).toMatchObject({ kind: "unavailable", failure: { kind: "unreachable" }, since: firstFailureAt });
    expect(obs1.kind === "unavailable" && obs1.lastGood).toBe(good);
    expect(obs1.kind === "unavailable" && obs1.lastGood?.fetchedAt).toBe(good.fetchedAt);
    c.advance(1_000);
    reader.vnet = async () => {
      throw azureError(429, "SubscriptionRequestsThrottled", "slow down", { "retry-after": "20" });
    };
    const obs2 = await cache.get(ref("nodes"));
    expect(obs2).toMatchObject({
      kind: "unavailable",
      failure: { kind: "throttled", retryAfterSeconds: 20 },
      since: firstFailureAt,
    });
    expect(obs2.kind === "unavailable" && obs2.lastGood).toBe(good);
    // a throttled answer is served until Retry-After has passed, not re-asked every call
    c.advance(19_000);
    await cache.get(ref("nodes"));
    expect(reader.calls.vnet).toBe(3);
    c.advance(1_000);
    reader.vnet = async () => VNET;
    expect((await cache.get(ref("nodes"))).kind).toBe("ok");
  });

  it("replaces the entry on a definite answer (no stale lastGood after 'VNet deleted')", async () => {
    const reader = new FakeReader();
    const c = clock();
    const cache = new VNetCache({ reader, ttlMs: 1_000, now: c.now });
    await cache.get(ref("nodes"));
    reader.vnet = async () => {
      throw azureError(
        404,
        "ResourceNotFound",
        "The Resource 'Microsoft.Network/virtualNetworks/aks-vnet' was not found.",
      );
    };
    c.advance(1_000);
    expect((await cache.get(ref("nodes"))).kind).toBe("vnet-not-found");
    reader.vnet = async () => {
      throw networkError("ECONNREFUSED");
    };
    c.advance(1_000);
    const obs = await cache.get(ref("nodes"));
    expect(obs.kind).toBe("unavailable");
    expect(obs.kind === "unavailable" && obs.lastGood).toBeUndefined();
  });

  it("a subnet asked for after the snapshot and missing from it is fetched once more, not reported missing", async () => {
    const reader = new FakeReader();
    const c = clock();
    const cache = new VNetCache({ reader, ttlMs: 60_000, now: c.now });
    await cache.get(ref("nodes"));
    // created in Azure together with its nodeclass, after the VNet was cached
    const created = subnet("fresh", { addressPrefix: "10.4.0.0/24" });
    reader.vnet = async () => ({ ...VNET, subnets: [...(VNET.subnets ?? []), created] });
    expect(snapshotOf(await cache.get(ref("fresh"))).subnets.has("fresh")).toBe(true);
    expect(reader.calls.vnet).toBe(2);
    // a subnet that really is missing costs one refetch, then the answer is served from the cache
    expect(snapshotOf(await cache.get(ref("gone"))).subnets.has("gone")).toBe(false);
    expect(snapshotOf(await cache.get(ref("gone"))).subnets.has("gone")).toBe(false);
    expect(reader.calls.vnet).toBe(3);
    // known subnets keep being served from the cache
    await cache.get(ref("nodes"));
    expect(reader.calls.vnet).toBe(3);
  });

  it("a subnet asked for while a fetch runs waits for it and refetches only if that fetch missed it", async () => {
    const reader = new FakeReader();
    let release: () => void = () => undefined;
    const created = subnet("late", { addressPrefix: "10.5.0.0/24" });
    // the first read started before "late" existed; later reads see it
    reader.vnet = () =>
      reader.calls.vnet === 1
        ? new Promise((r) => (release = () => r(VNET)))
        : Promise.resolve({ ...VNET, subnets: [...(VNET.subnets ?? []), created] });
    const cache = new VNetCache({ reader });
    const first = cache.get(ref("nodes"));
    const late = cache.get(ref("late"));
    release();
    expect(snapshotOf(await first).subnets.has("late")).toBe(false);
    expect(snapshotOf(await late).subnets.has("late")).toBe(true);
    expect(reader.calls.vnet).toBe(2);
    // a caller of a subnet the running fetch already covers just shares it
    const again = cache.get(ref("nodes"), { force: true });
    await Promise.all([again, cache.get(ref("late"))]);
    expect(reader.calls.vnet).toBe(3);
  });

  it("in the Subnets_Get fallback a newly asked-for subnet is read, not reported missing", async () => {
    const reader = new FakeReader();
    reader.vnet = async () => {
      throw azureError(403, "AuthorizationFailed", "no virtualNetworks/read");
    };
    const cache = new VNetCache({ reader, ttlMs: 60_000 });
    expect(snapshotOf(await cache.get(ref("nodes"))).subnets.has("delegated")).toBe(false);
    const snap = snapshotOf(await cache.get(ref("delegated")));
    expect(snap.subnets.has("delegated")).toBe(true);
    expect(reader.calls.subnet.filter((n) => n === "delegated")).toHaveLength(1);
  });

  it("invalidate makes the next get fetch; retain evicts VNets nobody uses", async () => {
    const reader = new FakeReader();
    const cache = new VNetCache({ reader });
    await cache.get(ref("nodes"));
    expect(cache.peek(VNET_ID).kind).toBe("ok");
    cache.invalidate(VNET_ID.toUpperCase());
    expect(cache.peek(VNET_ID).kind).toBe("pending");
    await cache.get(ref("nodes"));
    expect(reader.calls.vnet).toBe(2);
    expect(cache.retain([VNET_ID])).toEqual([]);
    expect(cache.retain([])).toEqual([VNET_ID.toLowerCase()]);
    expect(cache.size).toBe(0);
    expect(cache.peek(VNET_ID).kind).toBe("pending");
  });
});
