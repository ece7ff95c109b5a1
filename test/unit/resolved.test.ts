/**
 * What the operator logs at start as resolved, and from where: the managed cluster fills what was not
 * set; what was set (flag or environment) wins and says so. Network flags override the managed
 * cluster's profile field by field.
 */
import type { ManagedCluster } from "@azure/arm-containerservice";
import { describe, expect, test } from "vitest";
import { networkFromFlags, withFlagOverrides } from "../../src/azure/cluster-source.js";
import { resolveOptions } from "../../src/config/options.js";
import { resolvedSettings } from "../../src/config/resolved.js";
import type { ClusterNetwork } from "../../src/health/types.js";

const CLUSTER =
  "/subscriptions/5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c";
const SUBNET =
  "/subscriptions/5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/nodes";
const OTHER_SUBNET = SUBNET.replace("/nodes", "/other");
const mc: ManagedCluster = {
  location: "westeurope",
  identity: { type: "SystemAssigned", principalId: "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa" },
  agentPoolProfiles: [{ name: "system", mode: "System", vnetSubnetID: SUBNET }],
};
const clusterNetwork: ClusterNetwork = {
  source: "managed-cluster",
  networkPlugin: "azure",
  networkPluginMode: "overlay",
  networkPolicy: undefined,
  networkDataplane: "cilium",
  podCidrs: ["10.244.0.0/16"],
  serviceCidrs: ["10.0.0.0/16"],
  dnsServiceIP: "10.0.0.10",
  loadBalancerSku: "standard",
  defaultMaxPods: undefined,
  agentPools: [],
};

describe("resolved configuration", () => {
  test("only the cluster ID: subnet, identity and network come from the managed cluster", () => {
    const o = resolveOptions({}, { CLUSTER_RESOURCE_ID: CLUSTER });
    expect(resolvedSettings(o, mc, clusterNetwork)).toMatchObject({
      clusterResourceId: { value: CLUSTER, from: "environment" },
      defaultSubnet: { value: SUBNET, from: "managed cluster" },
      karpenterPrincipal: { value: "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa", from: "managed cluster" },
      network: { value: "azure/overlay/cilium", from: "managed cluster" },
    });
  });

  test("explicit settings win where set and say where they came from", () => {
    const o = resolveOptions(
      { vnetSubnetId: OTHER_SUBNET, clusterResourceId: CLUSTER },
      { KARPENTER_PRINCIPAL_ID: "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb", POD_CIDR: "10.250.0.0/16" },
    );
    const r = resolvedSettings(o, mc, clusterNetwork);
    expect(r.clusterResourceId.from).toBe("flag");
    expect(r.defaultSubnet).toMatchObject({ value: OTHER_SUBNET, from: "flag" });
    expect(r.karpenterPrincipal).toMatchObject({ value: "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb", from: "environment" });
    expect(r.network.overridden).toEqual(["podCidr"]);
  });

  test("nothing to resolve from: says so, with the fix", () => {
    const r = resolvedSettings(resolveOptions({}, {}), undefined, undefined);
    expect(r.defaultSubnet).toMatchObject({
      from: "not set",
      detail: expect.stringContaining("CLUSTER_RESOURCE_ID") as unknown,
    });
    expect(r.karpenterPrincipal.from).toBe("operator's own identity");
    expect(r.network.from).toBe("not set");
  });

  test("a managed cluster not readable yet: the read error is given, the identity says what happens next", () => {
    const o = resolveOptions({}, { CLUSTER_RESOURCE_ID: CLUSTER });
    const r = resolvedSettings(o, undefined, undefined, {
      kind: "unreachable",
      message: "ManagedClusters_Get: connect ECONNREFUSED 10.0.0.1:443",
    });
    expect(r.clusterResourceId.readError).toContain("ECONNREFUSED 10.0.0.1:443");
    expect(r.defaultSubnet.from).toBe("not set");
    expect(r.karpenterPrincipal).toMatchObject({
      from: "operator's own identity",
      detail: expect.stringContaining("until the managed cluster is readable") as unknown,
    });
  });

  test("network flags override the managed cluster's profile field by field", () => {
    const flags = networkFromFlags({ podCidrs: "10.250.0.0/16", networkPolicy: "calico" });
    expect(withFlagOverrides(clusterNetwork, flags)).toEqual({
      ...clusterNetwork,
      podCidrs: ["10.250.0.0/16"],
      networkPolicy: "calico",
    });
    expect(withFlagOverrides(clusterNetwork, undefined)).toBe(clusterNetwork);
  });
});
