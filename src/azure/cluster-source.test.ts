import type { ManagedCluster } from "@azure/arm-containerservice";
import { describe, expect, it } from "vitest";
import {
  ClusterSource,
  clusterNetworkFromManagedCluster,
  defaultSubnetFromCluster,
  networkFromFlags,
  parseClusterResourceId,
  principalFromCluster,
  type ClusterRef,
} from "./cluster-source.js";
import { azureError, networkError } from "./testing.js";

const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
const ID = `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/prod`;
const SUBNET = (n: string) =>
  `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v1/subnets/${n}`;

describe("parseClusterResourceId", () => {
  it("accepts the managed-cluster ID, keywords in any case", () => {
    const r = parseClusterResourceId(
      ID.replace("resourceGroups", "resourcegroups").replace("managedClusters", "MANAGEDCLUSTERS"),
    );
    expect(r).toEqual({
      ok: true,
      ref: { subscriptionId: SUB, resourceGroup: "aks-rg", name: "prod", id: ID, canonical: ID.toLowerCase() },
    });
  });

  it.each([
    ["", "empty"],
    [`${ID}/`, "not end with '/'"],
    [`${ID}/agentPools/x`, "segments"],
    [ID.replace(SUB, "not-a-guid"), "not a GUID"],
    [ID.replace("Microsoft.ContainerService", "Microsoft.Network"), "Microsoft.ContainerService"],
    [ID.replace("/prod", "/-bad"), "cluster name"],
    [ID.replace("aks-rg", "rg."), "resource group"],
    [` ${ID}`, "whitespace"],
    [ID.replace("prod", "pr%6Fd"), "'%'"],
    [ID.slice(1), "must start"],
  ])("refuses %j (%s)", (raw, why) => {
    const r = parseClusterResourceId(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(why);
  });
});

const MC: ManagedCluster = {
  location: "eastus",
  networkProfile: {
    networkPlugin: "azure",
    networkPluginMode: "overlay",
    podCidr: "10.244.0.0/16",
    podCidrs: ["10.244.0.0/16", "fd10::/48"],
    serviceCidr: "10.0.0.0/16",
    dnsServiceIP: "10.0.0.10",
    loadBalancerSku: "standard",
  },
  agentPoolProfiles: [
    {
      name: "user",
      mode: "User",
      maxPods: 250,
      vnetSubnetID: SUBNET("user"),
      podSubnetID: SUBNET("pods"),
      podIPAllocationMode: "StaticBlock",
    },
    { name: "sys", mode: "System", maxPods: 30, vnetSubnetID: SUBNET("sys") },
  ],
  identity: {
    type: "SystemAssigned",
    principalId: "aaaaaaaa-0000-4000-8000-000000000001",
  },
  identityProfile: { kubeletidentity: { objectId: "bbbbbbbb-0000-4000-8000-000000000002" } },
};

describe("ManagedCluster → ClusterNetwork", () => {
  it("maps the network profile and the pools; plural CIDR fields win", () => {
    expect(clusterNetworkFromManagedCluster(MC)).toEqual({
      source: "managed-cluster",
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: undefined,
      networkDataplane: undefined,
      podCidrs: ["10.244.0.0/16", "fd10::/48"],
      serviceCidrs: ["10.0.0.0/16"],
      dnsServiceIP: "10.0.0.10",
      loadBalancerSku: "standard",
      defaultMaxPods: 250,
      agentPools: [
        {
          name: "user",
          maxPods: 250,
          vnetSubnetID: SUBNET("user"),
          podSubnetID: SUBNET("pods"),
          podIPAllocationMode: "StaticBlock",
        },
        { name: "sys", maxPods: 30, vnetSubnetID: SUBNET("sys") },
      ],
    });
  });

  it("a cluster with no profile gives empty lists, not undefined", () => {
    const n = clusterNetworkFromManagedCluster({ location: "x" });
    expect(n.podCidrs).toEqual([]);
    expect(n.serviceCidrs).toEqual([]);
    expect(n.defaultMaxPods).toBeUndefined();
  });

  it("the default subnet is the system pool's", () => {
    expect(defaultSubnetFromCluster(MC)).toBe(SUBNET("sys"));
    expect(
      defaultSubnetFromCluster({
        location: "x",
        agentPoolProfiles: [{ name: "u", mode: "User", vnetSubnetID: SUBNET("u") }],
      }),
    ).toBe(SUBNET("u"));
    expect(defaultSubnetFromCluster({ location: "x", agentPoolProfiles: [{ name: "u" }] })).toBeUndefined();
  });

  it("Karpenter's identity is the control-plane identity, never the kubelet identity", () => {
    expect(principalFromCluster(MC)).toMatchObject({
      principalId: "aaaaaaaa-0000-4000-8000-000000000001",
      source: "cluster-identity",
    });
    const ua = {
      ...MC,
      identity: {
        type: "UserAssigned",
        userAssignedIdentities: { "/x/id1": { principalId: "cccccccc-0000-4000-8000-000000000003" } },
      },
    } as ManagedCluster;
    expect(principalFromCluster(ua)).toMatchObject({
      principalId: "cccccccc-0000-4000-8000-000000000003",
      source: "cluster-user-assigned-identity",
    });
    const sp = { ...MC, identity: undefined, servicePrincipalProfile: { clientId: "app" } } as ManagedCluster;
    expect(principalFromCluster(sp)).toBeUndefined();
  });
});

describe("networkFromFlags", () => {
  it("builds a network from explicit settings; comma lists allowed", () => {
    expect(
      networkFromFlags({
        networkPlugin: "azure",
        podCidrs: "10.244.0.0/16, 10.245.0.0/16",
        serviceCidrs: ["10.0.0.0/16"],
        defaultMaxPods: 30,
      }),
    ).toMatchObject({
      source: "flags",
      networkPlugin: "azure",
      podCidrs: ["10.244.0.0/16", "10.245.0.0/16"],
      serviceCidrs: ["10.0.0.0/16"],
      defaultMaxPods: 30,
      agentPools: [],
    });
  });
  it("is undefined when nothing is set", () => {
    expect(networkFromFlags({})).toBeUndefined();
    expect(networkFromFlags({ podCidrs: "" })).toBeUndefined();
  });
});

describe("ClusterSource", () => {
  const parsed = parseClusterResourceId(ID);
  const ref = (parsed.ok ? parsed.ref : undefined) as ClusterRef;

  it("caches with a TTL, single-flight, and keeps the last network through failures", async () => {
    let t = 0;
    let calls = 0;
    let fail: unknown;
    const source = new ClusterSource({
      cluster: ref,
      ttlMs: 1_000,
      failureTtlMs: 100,
      now: () => t,
      reader: {
        getManagedCluster: async () => {
          calls += 1;
          if (fail) throw fail as Error;
          return MC;
        },
      },
    });
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    t += 999;
    await source.get();
    expect(calls).toBe(1);
    t += 1;
    fail = networkError("ECONNREFUSED");
    const obs = await source.get();
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "unreachable" }, since: 1_000 });
    expect(obs.kind === "unavailable" && obs.last?.networkPlugin).toBe("azure");
    expect(source.managedCluster).toBe(MC);
    t += 100;
    fail = azureError(
      404,
      "ResourceNotFound",
      "The Resource 'Microsoft.ContainerService/managedClusters/prod' was not found.",
    );
    const gone = await source.get();
    expect(gone).toMatchObject({ kind: "unavailable", failure: { statusCode: 404 } });
    expect(gone.kind === "unavailable" && gone.failure.message).toContain("ManagedClusters_Get");
  });
});
