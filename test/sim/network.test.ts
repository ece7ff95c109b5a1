/** Network RP and AKS reads through the real SDK clients, including Azure's error shapes. */
import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  EXAMPLE_AKS_VNET_ID,
  EXAMPLE_CLUSTER_ID,
  EXAMPLE_RESTRICTED_SUBSCRIPTION_ID,
  EXAMPLE_SUBNET_IDS,
  EXAMPLE_SUBSCRIPTION_ID,
  KARPENTER_PRINCIPAL_ID,
  OPERATOR_PRINCIPAL_ID,
} from "../../src/sim/example-ids.js";
import {
  SimTokenCredential,
  startSimulator,
  staticTokenCredential,
  type RunningSimulator,
} from "../../src/sim/index.js";
import { collect, containerServiceClient, networkClient, rejection } from "./helpers.js";

const EXAMPLE_TOPOLOGY = new URL("../../examples/topology.yaml", import.meta.url).pathname;
const operator = new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID });
const nobody = new SimTokenCredential({
  oid: "99999999-9999-9999-9999-999999999999",
  appid: "99999999-aaaa-4aaa-8aaa-999999999999",
});

let sim: RunningSimulator;
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
  await sim.admin.setReadBucket({ capacity: 250, refillPerSecond: 25 });
});

function armError(err: unknown): RestError {
  expect(isRestError(err)).toBe(true);
  return err as RestError;
}

describe("Subnets_Get", () => {
  it("returns prefixes and properties, flattened by the SDK", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const s = await net.subnets.get("rg-network", "vnet-aks", "aks-default");
    expect(s.id).toBe(EXAMPLE_SUBNET_IDS.healthy);
    expect(s.addressPrefix).toBe("10.224.0.0/16");
    expect(s.provisioningState).toBe("Succeeded");
    expect(s.networkSecurityGroup?.id).toMatch(/networkSecurityGroups\/nsg-aks$/);
    expect(s.routeTable?.id).toMatch(/routeTables\/rt-aks$/);
    expect(s.ipConfigurations).toHaveLength(40);
  });

  it("returns multiple prefixes (IPv4 + IPv6) and delegations", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const dual = await net.subnets.get("rg-network", "vnet-aks", "dual-stack");
    expect(dual.addressPrefix).toBeUndefined();
    expect(dual.addressPrefixes).toEqual(["10.226.2.0/24", "fd00:10:224:1::/64"]);
    const delegated = await net.subnets.get("rg-network", "vnet-workloads", "delegated");
    expect(delegated.delegations?.map((d) => d.serviceName)).toEqual(["Microsoft.ContainerInstance/containerGroups"]);
  });

  it("matches names case-insensitively", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID.toUpperCase());
    const s = await net.subnets.get("RG-NETWORK", "VNET-AKS", "AKS-DEFAULT");
    expect(s.name).toBe("aks-default");
  });

  it("raises Azure's 404 codes for each missing level", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const subnet = armError(await rejection(net.subnets.get("rg-network", "vnet-aks", "does-not-exist")));
    expect([subnet.statusCode, subnet.code]).toEqual([404, "NotFound"]);
    expect(subnet.message).toBe(`Resource ${EXAMPLE_SUBNET_IDS["missing-subnet"]} not found.`);

    const vnet = armError(await rejection(net.subnets.get("rg-network", "vnet-gone", "nodes")));
    expect([vnet.statusCode, vnet.code]).toEqual([404, "ResourceNotFound"]);
    expect(vnet.message).toContain(
      "The Resource 'Microsoft.Network/virtualNetworks/vnet-gone' under resource group 'rg-network' was not found.",
    );
    expect(vnet.response?.headers.get("x-ms-failure-cause")).toBe("gateway");

    const rg = armError(await rejection(net.subnets.get("rg-gone", "vnet-aks", "nodes")));
    expect([rg.statusCode, rg.code, rg.message]).toEqual([
      404,
      "ResourceGroupNotFound",
      "Resource group 'rg-gone' could not be found.",
    ]);

    const other = networkClient(sim, operator, "00000000-0000-0000-0000-00000000dead");
    const sub = armError(await rejection(other.subnets.get("rg-network", "vnet-aks", "aks-default")));
    expect([sub.statusCode, sub.code]).toEqual([404, "SubscriptionNotFound"]);
  });

  it("answers 403 AuthorizationFailed before looking the resource up", async () => {
    const restricted = networkClient(sim, operator, EXAMPLE_RESTRICTED_SUBSCRIPTION_ID);
    const existing = armError(await rejection(restricted.subnets.get("rg-restricted", "vnet-restricted", "nodes")));
    const missing = armError(
      await rejection(restricted.subnets.get("rg-restricted", "vnet-restricted", "no-such-subnet")),
    );
    const missingRg = armError(await rejection(restricted.subnets.get("no-such-rg", "vnet-restricted", "nodes")));
    for (const e of [existing, missing, missingRg]) {
      expect([e.statusCode, e.code]).toEqual([403, "AuthorizationFailed"]);
      expect(e.response?.headers.get("x-ms-failure-cause")).toBe("gateway");
    }
    expect(existing.message).toBe(
      `The client '${OPERATOR_PRINCIPAL_ID.replace(/^22222222-2222-2222-2222/, "22222222-aaaa-4aaa-8aaa")}' with object id '${OPERATOR_PRINCIPAL_ID}' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/read' over scope '${EXAMPLE_SUBNET_IDS.unreadable}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    const stranger = armError(
      await rejection(
        networkClient(sim, nobody, EXAMPLE_SUBSCRIPTION_ID).subnets.get("rg-network", "vnet-aks", "aks-default"),
      ),
    );
    expect(stranger.message).toContain(
      "The client '99999999-aaaa-4aaa-8aaa-999999999999' with object id '99999999-9999-9999-9999-999999999999'",
    );
  });

  it("rejects a missing or garbled token with 401 InvalidAuthenticationToken and WWW-Authenticate", async () => {
    const net = networkClient(sim, staticTokenCredential("not-a-jwt"), EXAMPLE_SUBSCRIPTION_ID);
    const e = armError(await rejection(net.subnets.get("rg-network", "vnet-aks", "aks-default")));
    expect([e.statusCode, e.code]).toEqual([401, "InvalidAuthenticationToken"]);
    expect(e.response?.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri=/);
  });

  it("sends x-ms-request-id and the remaining-reads header on every response", async () => {
    const res = await fetchRaw(`${EXAMPLE_SUBNET_IDS.healthy}?api-version=2099-01-01`);
    expect(res.status).toBe(200);
    expect(res.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(res.headers["x-ms-ratelimit-remaining-subscription-reads"])).toBe(249);
    const counters = await sim.admin.counters();
    expect(counters.apiVersions["Subnets_Get"]).toEqual({ "2099-01-01": 1 });
  });

  it("routes `//`-prefixed and percent-encoded paths and records the api-version", async () => {
    const path = `/${EXAMPLE_AKS_VNET_ID}/subnets/${encodeURIComponent("aks-default")}?api-version=2026-01-01`;
    const res = await fetchRaw(path.replace("/resourceGroups/", "//resourcegroups/"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      name: "aks-default",
      type: "Microsoft.Network/virtualNetworks/subnets",
    });
  });
});

describe("VirtualNetworks", () => {
  it("Get embeds the subnets in properties.subnets, like Azure", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const v = await net.virtualNetworks.get("rg-network", "vnet-aks");
    expect(v.addressSpace?.addressPrefixes).toContain("10.224.0.0/12");
    expect(v.subnets?.map((s) => s.name)).toContain("aks-default");
    expect(v.subnets?.find((s) => s.name === "nearly-full")?.addressPrefix).toBe("10.226.0.0/24");
  });

  it("ListUsage pages with nextLink and reports limit = usable IPs, -1/-1 when not reported", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const usages = await collect(net.virtualNetworks.listUsage("rg-network", "vnet-aks"));
    const byName = new Map(usages.map((u) => [u.id?.split("/").pop(), u]));
    expect(usages).toHaveLength(13);
    expect(byName.get("aks-default")).toMatchObject({
      currentValue: 40,
      limit: 65531,
      unit: "Count",
      name: { value: "SubnetSpace", localizedValue: "Subnet size and usage" },
    });
    expect(byName.get("nearly-full")).toMatchObject({ currentValue: 230, limit: 251 });
    expect(byName.get("full")).toMatchObject({ currentValue: 251, limit: 251 });
    expect(byName.get("dual-stack")).toMatchObject({ currentValue: 10, limit: 251 }); // IPv6 ignored
    expect(byName.get("usage-not-reported")).toMatchObject({ currentValue: -1, limit: -1 });
    expect(byName.get("aks-default")?.id).toBe(EXAMPLE_SUBNET_IDS.healthy);
    const counters = await sim.admin.counters();
    expect(counters.byOperation["VirtualNetworks_ListUsage"]).toBe(7); // 13 items, 2 per page
  });

  it("sums the IPv4 prefixes of a multi-prefix subnet", async () => {
    await sim.admin.setSubnetPrefixes(EXAMPLE_SUBNET_IDS["nearly-full"], [
      "10.226.0.0/24",
      "10.227.0.0/29",
      "fd00:10:224:2::/64",
    ]);
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const usages = await collect(net.virtualNetworks.listUsage("rg-network", "vnet-aks"));
    expect(usages.find((u) => u.id?.endsWith("/nearly-full"))?.limit).toBe(251 + 3);
  });
});

describe("admin changes are visible to the SDK", () => {
  it("usage, deletion and recreation of a subnet", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const id = EXAMPLE_SUBNET_IDS["nearly-full"].toUpperCase(); // admin IDs are case-insensitive
    expect(await sim.admin.consumeIPs(id, 5)).toMatchObject({ used: 235, limit: 251 });
    expect(await sim.admin.freeIPs(id, 10)).toMatchObject({ used: 225 });
    expect(await sim.admin.consumeIPs(id, 10_000)).toMatchObject({ used: 251 });
    await sim.admin.setUsedIPs(id, 100);
    const usage = async () =>
      (await collect(net.virtualNetworks.listUsage("rg-network", "vnet-aks"))).find((u) =>
        u.id?.endsWith("/nearly-full"),
      );
    expect((await usage())?.currentValue).toBe(100);

    await sim.admin.deleteSubnet(id);
    expect(armError(await rejection(net.subnets.get("rg-network", "vnet-aks", "nearly-full"))).code).toBe("NotFound");
    await sim.admin.putSubnet(EXAMPLE_SUBNET_IDS["nearly-full"], {
      addressPrefixes: ["10.226.0.0/23"],
      usedIPs: 7,
      provisioningState: "Updating",
    });
    const recreated = await net.subnets.get("rg-network", "vnet-aks", "nearly-full");
    expect([recreated.addressPrefixes, recreated.provisioningState]).toEqual([["10.226.0.0/23"], "Updating"]);
    expect((await usage())?.limit).toBe(507);
  });

  it("VNet and resource group deletion", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.deleteVNet(EXAMPLE_AKS_VNET_ID);
    expect(armError(await rejection(net.subnets.get("rg-network", "vnet-aks", "aks-default"))).code).toBe(
      "ResourceNotFound",
    );
    await sim.admin.deleteResourceGroup(`/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/rg-network`);
    expect(armError(await rejection(net.virtualNetworks.get("rg-network", "vnet-workloads"))).code).toBe(
      "ResourceGroupNotFound",
    );
  });

  it("admin errors name the problem", async () => {
    await expect(sim.admin.setUsedIPs(EXAMPLE_SUBNET_IDS["missing-subnet"], 1)).rejects.toThrow(
      /404.*subnet 'does-not-exist' not found/,
    );
    await expect(sim.admin.putSubnet(EXAMPLE_SUBNET_IDS.healthy, { addressPrefix: "10.0.0.0/33" })).rejects.toThrow(
      /addressPrefix: must be a CIDR/,
    );
  });
});

describe("ManagedClusters_Get", () => {
  it("returns the network profile, pools, NAP profile and identity", async () => {
    const aks = containerServiceClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const mc = await aks.managedClusters.get("rg-aks", "aks-demo");
    expect(mc.id).toBe(EXAMPLE_CLUSTER_ID);
    expect(mc.networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
      networkDataplane: "cilium",
      podCidrs: ["10.244.0.0/16"],
      serviceCidrs: ["10.0.0.0/16"],
      dnsServiceIP: "10.0.0.10",
      loadBalancerSku: "standard",
    });
    expect(mc.agentPoolProfiles?.[0]).toMatchObject({
      name: "system",
      maxPods: 250,
      vnetSubnetID: EXAMPLE_SUBNET_IDS.healthy,
    });
    expect(mc.nodeProvisioningProfile?.mode).toBe("Auto");
    expect(mc.identity?.principalId).toBe(KARPENTER_PRINCIPAL_ID);
  });

  it("patchManagedCluster changes what the SDK reads; a missing cluster is ResourceNotFound", async () => {
    await sim.admin.patchManagedCluster(EXAMPLE_CLUSTER_ID, {
      networkProfile: { podCidr: "10.248.0.0/16", podCidrs: ["10.248.0.0/16"], networkPolicy: null },
    });
    const aks = containerServiceClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const mc = await aks.managedClusters.get("rg-aks", "aks-demo");
    expect(mc.networkProfile?.podCidrs).toEqual(["10.248.0.0/16"]);
    expect(mc.networkProfile?.networkPolicy).toBeUndefined();
    expect(mc.networkProfile?.serviceCidrs).toEqual(["10.0.0.0/16"]);
    const e = armError(await rejection(aks.managedClusters.get("rg-aks", "nope")));
    expect([e.statusCode, e.code]).toEqual([404, "ResourceNotFound"]);
  });
});

async function fetchRaw(
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { request } = await import("node:https");
  const token = (await operator.getToken("https://management.azure.com/.default")).token;
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}${path}`,
      { ca: sim.caPem, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
