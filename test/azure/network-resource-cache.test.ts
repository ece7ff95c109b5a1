/**
 * NSGs, route tables and NAT gateways through the network-resource cache, with the real SDK clients
 * against the in-process ARM simulator: converted data, sharing, definite and failed answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArmLimiter } from "../../src/azure/arm-limiter.js";
import { createAzureClients } from "../../src/azure/clients.js";
import { NetworkResourceCache, armNetworkResourceReader } from "../../src/azure/network-resource-cache.js";
import { EXAMPLE_SUBSCRIPTION_ID, OPERATOR_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";

const EXAMPLE_TOPOLOGY = new URL("../../examples/topology.yaml", import.meta.url).pathname;
const RG = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/rg-network/providers/Microsoft.Network`;
const NSG = `${RG}/networkSecurityGroups/nsg-aks`;

let sim: RunningSimulator;
let clock = 1_000_000;

function cache(oid = OPERATOR_PRINCIPAL_ID): NetworkResourceCache {
  const limiter = new ArmLimiter({ timeoutMs: 10_000 });
  const clients = createAzureClients({
    credential: new SimTokenCredential({ oid }),
    endpoint: sim.url,
    ca: sim.caPem,
    retry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    limiter,
  });
  return new NetworkResourceCache({ reader: armNetworkResourceReader(clients, limiter), now: () => clock });
}

beforeAll(async () => {
  sim = await startSimulator({ topology: EXAMPLE_TOPOLOGY });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await sim.admin.replaceTopology(EXAMPLE_TOPOLOGY);
  await sim.admin.clearFaults();
  await sim.admin.resetCounters();
});

describe("network resource cache", () => {
  it("reads an NSG once for many concurrent callers, whatever the ID's letter case, and converts its rules", async () => {
    const c = cache();
    const results = await Promise.all([
      c.networkSecurityGroup(NSG),
      c.networkSecurityGroup(NSG.toLowerCase()),
      ...Array.from({ length: 10 }, () => c.networkSecurityGroup(NSG)),
    ]);
    expect((await sim.admin.counters()).byOperation["NetworkSecurityGroups_Get"]).toBe(1);
    const first = results[0];
    expect(first?.kind).toBe("ok");
    if (first?.kind !== "ok") return;
    expect(first.data.securityRules.find((r) => r.name === "deny-internet-https")).toEqual({
      name: "deny-internet-https",
      priority: 4000,
      direction: "Outbound",
      access: "Deny",
      protocol: "Tcp",
      sourceAddressPrefixes: ["*"],
      destinationAddressPrefixes: ["Internet"],
      sourcePortRanges: ["*"],
      destinationPortRanges: ["443"],
      sourceApplicationSecurityGroups: false,
      destinationApplicationSecurityGroups: false,
    });
    // a fresher answer is asked for: read again
    clock += 5_000;
    await c.networkSecurityGroup(NSG, { maxAgeMs: 1_000 });
    expect((await sim.admin.counters()).byOperation["NetworkSecurityGroups_Get"]).toBe(2);
  });

  it("route tables and NAT gateways", async () => {
    const c = cache();
    const rt = await c.routeTable(`${RG}/routeTables/rt-blackhole`);
    expect(rt).toMatchObject({
      kind: "ok",
      data: {
        name: "rt-blackhole",
        routes: [{ name: "drop-internet", addressPrefix: "0.0.0.0/0", nextHopType: "None" }],
      },
    });
    expect(await c.natGateway(`${RG}/natGateways/nat-aks`)).toMatchObject({
      kind: "ok",
      data: { name: "nat-aks", publicIpCount: 1, provisioningState: "Succeeded" },
    });
    expect(await c.natGateway(`${RG}/natGateways/nat-no-ip`)).toMatchObject({ data: { publicIpCount: 0 } });
  });

  it("404 is definite, 403 is forbidden, both without data", async () => {
    expect((await cache().routeTable(`${RG}/routeTables/gone`)).kind).toBe("not-found");
    expect((await cache("99999999-9999-9999-9999-999999999999").networkSecurityGroup(NSG)).kind).toBe("forbidden");
  });

  it("throttling keeps the last good data and is retried only after its window", async () => {
    const c = cache();
    await c.networkSecurityGroup(NSG);
    clock += 120_000;
    await sim.admin.setFaults([{ operation: "NetworkSecurityGroups_Get", kind: "throttle", retryAfterSeconds: 30 }]);
    const throttled = await c.networkSecurityGroup(NSG);
    expect(throttled.kind).toBe("unavailable");
    expect(throttled.kind === "unavailable" && throttled.last?.name).toBe("nsg-aks");
    const calls = (await sim.admin.counters()).byOperation["NetworkSecurityGroups_Get"];
    clock += 10_000;
    await c.networkSecurityGroup(NSG, { maxAgeMs: 1 });
    expect((await sim.admin.counters()).byOperation["NetworkSecurityGroups_Get"]).toBe(calls);
  });

  it("never sends a malformed ID or one in a subscription it may not read", async () => {
    const c = cache();
    expect((await c.networkSecurityGroup(`${RG}/networkSecurityGroups/../x`)).kind).toBe("invalid-id");
    expect((await c.networkSecurityGroup(`${RG}/routeTables/rt-aks`)).kind).toBe("invalid-id");
    expect(
      (await c.networkSecurityGroup(NSG, { allowedSubscriptions: ["00000000-0000-0000-0000-0000000000b2"] })).kind,
    ).toBe("not-allowed");
    expect((await sim.admin.counters()).total).toBe(0);
  });
});
