/**
 * Issue 10, placement and connectivity: what a platform team sees when Karpenter would refuse a subnet,
 * when Azure would refuse NICs in it, or when nodes created there could not reach out — against the
 * real API server and the ARM simulator, with live changes in Azure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  EXAMPLE_AKS_VNET_ID,
  EXAMPLE_CLUSTER_ID,
  EXAMPLE_SUBNET_IDS,
  EXAMPLE_SUBSCRIPTION_ID,
  KARPENTER_PRINCIPAL_ID,
} from "../../src/sim/example-ids.js";
import type { Topology } from "../../src/sim/topology.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY_FILE = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const NET = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/rg-network/providers/Microsoft.Network`;
const NSG_AKS = `${NET}/networkSecurityGroups/nsg-aks`;
const RT_AKS = `${NET}/routeTables/rt-aks`;
const RT_FIREWALL = `${NET}/routeTables/rt-firewall`;
const NAT_AKS = `${NET}/natGateways/nat-aks`;
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The example world plus a VNet named like the cluster's in another resource group. */
function topology(): Topology {
  const t = parseYaml(readFileSync(TOPOLOGY_FILE, "utf8")) as Topology;
  const sub = t.subscriptions[0];
  sub?.resourceGroups?.push({
    name: "rg-other",
    location: "eastus",
    virtualNetworks: [
      {
        name: "vnet-aks",
        addressSpace: ["10.100.0.0/16"],
        subnets: [{ name: "nodes", addressPrefix: "10.100.0.0/24" }],
      },
    ],
  });
  return t;
}

async function connectivityIs(stack: Stack, nodeclass: string, check: string, result: string): Promise<void> {
  await eventually(
    async () =>
      (await stack.metric("aks_subnet_health_nodeclass_connectivity", { nodeclass, check, result })) === 1
        ? true
        : undefined,
    { what: `${nodeclass} ${check}=${result}` },
  );
}

describe("placement and connectivity on the example cluster (outbound type loadBalancer)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: topology(), flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test.each([
    [
      "another VNet",
      EXAMPLE_SUBNET_IDS["approach-b-custom-role"],
      "SubnetOutsideClusterVNet",
      "virtual network vnet-workloads (cluster: vnet-aks)",
    ],
    [
      "another resource group",
      `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/rg-other/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/nodes`,
      "SubnetOutsideClusterVNet",
      "resource group rg-other (cluster: rg-network)",
    ],
    [
      "a case-only difference",
      EXAMPLE_SUBNET_IDS["case-mismatch"],
      "SubnetCaseMismatch",
      `Set spec.vnetSubnetID to ${EXAMPLE_AKS_VNET_ID}/subnets/karpenter-a, spelled as in the cluster subnet's ID`,
    ],
  ])("%s: refused as Karpenter refuses it, blocking, with the fix", async (_what, id, reason, says) => {
    const name = uniqueName("placement");
    await stack.createNodeClass(name, { vnetSubnetID: id });
    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === reason);
    expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
    expect(str(stack.condition(obj, "SubnetFound")?.message)).toContain(says);
    expect(str(stack.condition(obj, "SubnetFound")?.message)).toContain("SubnetsReady=False, SubnetIDInvalid");
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason });
  });

  test("the cluster subnet itself, by default or spelled exactly, stays Ready", async () => {
    const byDefault = uniqueName("default");
    const spelled = uniqueName("spelled");
    await stack.createNodeClass(byDefault, {});
    await stack.createNodeClass(spelled, { vnetSubnetID: EXAMPLE_SUBNET_IDS.healthy });
    for (const name of [byDefault, spelled]) {
      const obj = await stack.waitForCondition(name, "SubnetConnectivity", (c) => c.reason === "ConnectivityChecked");
      expect(stack.condition(obj, "SubnetFound")?.reason).toBe("SubnetFound");
      expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "True", reason: "SubnetReady" });
      // its NSG denies HTTPS to Internet at 4000, below an allow to AzureCloud at 100: fine
      await connectivityIs(stack, name, "nsg", "pass");
      await connectivityIs(stack, name, "outbound", "pass");
      await connectivityIs(stack, name, "parity", "pass");
    }
  });

  test("a delegated subnet is blocking and names the service", async () => {
    const name = uniqueName("delegated");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["aci-delegated"] });
    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetDelegated");
    expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
    expect(str(stack.condition(obj, "SubnetFound")?.message)).toMatch(
      /^Use a subnet without delegations, or remove the delegation to Microsoft\.ContainerInstance\/containerGroups/,
    );
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "SubnetDelegated" });
  });

  test("an NSG denying outbound 443 at priority 100 is blocking and names the rule", async () => {
    const name = uniqueName("nsg");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["nsg-deny-443"] });
    const obj = await stack.waitForCondition(name, "SubnetConnectivity", (c) => c.reason === "NSGDeniesNodeTraffic");
    const c = stack.condition(obj, "SubnetConnectivity");
    expect(c?.status).toBe("False");
    expect(str(c?.message)).toMatch(/^Allow outbound TCP 443 to AzureCloud/);
    expect(str(c?.message)).toContain("rule 'deny-https-out' (priority 100)");
    expect(str(c?.message)).toContain(
      "az network nsg rule update -g rg-network --nsg-name nsg-deny-https -n deny-https-out",
    );
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "NSGDeniesNodeTraffic" });
    await connectivityIs(stack, name, "nsg", "fail");
    const events = await eventually(
      async () => {
        const evs = await stack.events(name);
        return evs.some((e) => e.reason === "NSGDeniesNodeTraffic") ? evs : undefined;
      },
      { what: "NSGDeniesNodeTraffic event" },
    );
    expect(events.find((e) => e.reason === "NSGDeniesNodeTraffic")?.type).toBe("Warning");
  });

  test("a route 0.0.0.0/0 → None is reported and blocking", async () => {
    const name = uniqueName("blackhole");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["route-blackhole"] });
    const obj = await stack.waitForCondition(name, "SubnetConnectivity", (c) => c.reason === "DefaultRouteDropped");
    expect(str(stack.condition(obj, "SubnetConnectivity")?.message)).toMatch(
      /^Remove route 'drop-internet' \(0\.0\.0\.0\/0 → None\) from route table rt-blackhole/,
    );
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "DefaultRouteDropped" });
    await connectivityIs(stack, name, "outbound", "fail");
  });

  test("a subnet unlike the cluster subnet is an advisory naming what differs", async () => {
    const name = uniqueName("parity");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["parity-differs"] });
    const obj = await stack.waitForCondition(
      name,
      "SubnetConnectivity",
      (c) => c.reason === "DiffersFromClusterSubnet",
    );
    const message = str(stack.condition(obj, "SubnetConnectivity")?.message);
    expect(stack.condition(obj, "SubnetConnectivity")?.status).toBe("True");
    expect(message).toContain("network security group none (cluster subnet: nsg-aks)");
    expect(message).toContain("route table none (cluster subnet: rt-aks)");
    expect(message).toContain("NAT gateway nat-aks (cluster subnet: none)");
    expect(stack.condition(obj, "SubnetReady")?.status).toBe("True");
    await connectivityIs(stack, name, "parity", "warn");
  });

  test("an NSG rule added in Azure flips the condition within one resync", async () => {
    const name = uniqueName("live-nsg");
    const nsg = `${NET}/networkSecurityGroups/nsg-${name.slice(-8)}`;
    const subnet = `${EXAMPLE_AKS_VNET_ID}/subnets/live-${name.slice(-8)}`;
    await stack.sim.admin.putNetworkSecurityGroup(nsg, {});
    await stack.sim.admin.putSubnet(subnet, {
      addressPrefix: "10.227.0.0/24",
      networkSecurityGroupId: nsg,
      routeTableId: RT_AKS,
    });
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    await connectivityIs(stack, name, "nsg", "pass");

    const resyncsBefore = stack.operator.controller.stats.resyncs;
    await stack.sim.admin.putSecurityRule(nsg, {
      name: "block-all-out",
      priority: 300,
      direction: "Outbound",
      access: "Deny",
      destinationAddressPrefix: "*",
    });
    const obj = await stack.waitForCondition(name, "SubnetConnectivity", (c) => c.reason === "NSGDeniesNodeTraffic");
    // counted in resync passes, not seconds: the first pass after the change reports it
    // within one full resync: the pass already running when Azure changed may have read it just before
    expect(stack.operator.controller.stats.resyncs - resyncsBefore).toBeLessThanOrEqual(2);
    expect(str(stack.condition(obj, "SubnetConnectivity")?.message)).toContain("rule 'block-all-out' (priority 300)");
  });

  test("ARM cost: each NSG and route table is read once per resync pass, whatever the number of nodeclasses", async () => {
    const ctl = () => stack.operator.controller;
    const idle = (): boolean =>
      ctl().queue.size === 0 && ctl().queue.processing === 0 && ctl().queue.delayedCount === 0;
    // subnets on the shared nsg-aks / rt-aks, plus nsg-deny-https and rt-blackhole
    const subnets = [
      EXAMPLE_SUBNET_IDS.healthy,
      EXAMPLE_SUBNET_IDS["approach-a"],
      EXAMPLE_SUBNET_IDS["nearly-full"],
      EXAMPLE_SUBNET_IDS["nsg-deny-443"],
      EXAMPLE_SUBNET_IDS["route-blackhole"],
    ];
    /** ARM reads between two idle moments, and how many resync passes began meanwhile (1 when quiet). */
    const perPass = async (): Promise<{ ops: Record<string, number>; passes: number }> => {
      const all = ctl().records.size;
      const start = await eventually(
        async () => {
          if (!idle()) return undefined;
          const before = { reconciles: ctl().stats.reconciles, resyncs: ctl().stats.resyncs };
          await stack.sim.admin.resetCounters();
          return idle() && ctl().stats.reconciles === before.reconciles ? before : undefined;
        },
        { what: "an idle gap between resyncs", timeoutMs: 20_000, intervalMs: 50 },
      );
      await eventually(() => (ctl().stats.reconciles >= start.reconciles + all && idle() ? true : undefined), {
        what: `one resync of ${all} nodeclasses`,
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      const ops = (await stack.sim.admin.counters()).byOperation;
      return { ops, passes: Math.max(1, ctl().stats.resyncs - start.resyncs) };
    };
    const create = async (n: number): Promise<void> => {
      const names: string[] = [];
      for (let i = 0; i < n; i++) {
        const name = uniqueName("cost");
        names.push(name);
        await stack.createNodeClass(name, { vnetSubnetID: subnets[i % subnets.length] });
      }
      for (const name of names) await stack.waitForCondition(name, "SubnetConnectivity", () => true);
    };
    await create(5);
    await perPass();
    const few = await perPass();
    await create(20);
    await perPass();
    const many = await perPass();
    // every NSG and route table in use (nsg-aks, nsg-deny-https, the live test's NSG; rt-aks, rt-blackhole)
    // is read once per pass, whether 5 or 25 more nodeclasses point at them; a loaded machine may start a
    // second pass before the first has finished, which the pass count allows for
    const nsgs = ctlResources(stack, "networkSecurityGroups");
    const tables = ctlResources(stack, "routeTables");
    expect(nsgs).toBeGreaterThanOrEqual(3);
    for (const { ops, passes } of [few, many]) {
      expect(ops["NetworkSecurityGroups_Get"]).toBeGreaterThanOrEqual(nsgs);
      expect(ops["NetworkSecurityGroups_Get"]).toBeLessThanOrEqual(nsgs * passes);
      expect(ops["RouteTables_Get"]).toBeGreaterThanOrEqual(tables);
      expect(ops["RouteTables_Get"]).toBeLessThanOrEqual(tables * passes);
      // loadBalancer: the NAT gateway's properties do not matter, it is never read
      expect(ops["NatGateways_Get"] ?? 0).toBe(0);
    }
    console.info(
      `connectivity reads per resync: ${String(few.ops["NetworkSecurityGroups_Get"])} NSG + ${String(few.ops["RouteTables_Get"])} route-table reads in ${String(few.passes)} pass(es) for ${String(ctl().records.size - 20)} nodeclasses; ${String(many.ops["NetworkSecurityGroups_Get"])} + ${String(many.ops["RouteTables_Get"])} in ${String(many.passes)} for ${String(ctl().records.size)}`,
    );
  });
});

/** Distinct resources of one type the nodeclasses' subnets point at (what one pass must read). */
function ctlResources(stack: Stack, type: "networkSecurityGroups" | "routeTables"): number {
  return [...stack.operator.controller.inUse().networkResources].filter((id) => id.includes(`/${type.toLowerCase()}/`))
    .length;
}

describe("outbound path by the cluster's outbound type", () => {
  let stack: Stack;
  const PLAIN = `${EXAMPLE_AKS_VNET_ID}/subnets/ob-plain`;
  const WITH_NAT = `${EXAMPLE_AKS_VNET_ID}/subnets/ob-nat`;
  const WITH_UDR = `${EXAMPLE_AKS_VNET_ID}/subnets/ob-udr`;
  const names: Record<string, string> = {};
  beforeAll(async () => {
    stack = await startStack({ topology: topology(), flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    await stack.sim.admin.putSubnet(PLAIN, {
      addressPrefix: "10.228.0.0/24",
      networkSecurityGroupId: NSG_AKS,
      routeTableId: RT_AKS,
    });
    await stack.sim.admin.putSubnet(WITH_NAT, {
      addressPrefix: "10.228.1.0/24",
      networkSecurityGroupId: NSG_AKS,
      routeTableId: RT_AKS,
      natGatewayId: NAT_AKS,
    });
    await stack.sim.admin.putSubnet(WITH_UDR, {
      addressPrefix: "10.228.2.0/24",
      networkSecurityGroupId: NSG_AKS,
      routeTableId: RT_FIREWALL,
    });
    for (const [key, id] of [
      ["plain", PLAIN],
      ["nat", WITH_NAT],
      ["udr", WITH_UDR],
      ["cluster", EXAMPLE_SUBNET_IDS.healthy],
    ] as const) {
      names[key] = uniqueName(`ob-${key}`);
      await stack.createNodeClass(names[key] ?? "", { vnetSubnetID: id });
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const setOutboundType = (outboundType: string) =>
    stack.sim.admin.patchManagedCluster(EXAMPLE_CLUSTER_ID, { networkProfile: { outboundType } });

  /** The outbound check's metric, then the condition (written after the metric is set). */
  const outbound = async (key: string, result: string, reason: string): Promise<void> => {
    const name = names[key] ?? "";
    await connectivityIs(stack, name, "outbound", result);
    const obj = await stack.waitForCondition(name, "SubnetConnectivity", (c) =>
      result === "fail" ? c.reason === reason : c.status === "True",
    );
    if (result === "fail") expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason });
  };

  test.each([
    // [outbound type, right subnet, wrong subnet, the wrong one's reason]
    ["userAssignedNATGateway", "nat", "plain", "NATGatewayMissing"],
    ["userDefinedRouting", "udr", "plain", "DefaultRouteMissing"],
    ["managedNATGateway", "cluster", "plain", "NATGatewayMissing"],
    ["loadBalancer", "plain", "udr", ""],
  ])("%s: the right subnet passes, the wrong one is blocking with the fix", async (type, right, wrong, reason) => {
    await setOutboundType(type);
    await outbound(right, "pass", "");
    if (reason === "") {
      // loadBalancer with a default route to a firewall: works, but the appliance must allow it
      await connectivityIs(stack, names[wrong] ?? "", "outbound", "warn");
      const obj = await stack.waitForCondition(
        names[wrong] ?? "",
        "SubnetConnectivity",
        (c) => c.reason === "DefaultRouteBypassesOutbound",
      );
      expect(stack.condition(obj, "SubnetConnectivity")?.status).toBe("True");
      return;
    }
    await outbound(wrong, "fail", reason);
    const msg = str(stack.condition(await stack.get(names[wrong] ?? ""), "SubnetConnectivity")?.message);
    if (reason === "NATGatewayMissing")
      expect(msg).toContain(`az network vnet subnet update --ids ${PLAIN} --nat-gateway`);
    if (reason === "DefaultRouteMissing")
      expect(msg).toContain("--address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance");
  });

  test.each(["none", "block"])("%s: no outbound path is expected", async (type) => {
    await setOutboundType(type);
    await outbound("plain", "pass", "");
    await outbound("udr", "pass", "");
  });

  test("removing the NAT gateway in Azure flips the condition within one resync; the NAT gateway is read once per pass", async () => {
    await setOutboundType("userAssignedNATGateway");
    await outbound("nat", "pass", "");
    await stack.sim.admin.resetCounters();
    const resyncsBefore = stack.operator.controller.stats.resyncs;
    await stack.sim.admin.associateSubnet(WITH_NAT, { natGatewayId: null });
    const obj = await stack.waitForCondition(
      names["nat"] ?? "",
      "SubnetConnectivity",
      (c) => c.reason === "NATGatewayMissing",
    );
    // within one full resync: the pass already running when Azure changed may have read it just before
    expect(stack.operator.controller.stats.resyncs - resyncsBefore).toBeLessThanOrEqual(2);
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "NATGatewayMissing" });
    const ops = (await stack.sim.admin.counters()).byOperation;
    // one NAT gateway, at most one read per resync pass (plus the pass in flight)
    expect(ops["NatGateways_Get"] ?? 0).toBeLessThanOrEqual(
      stack.operator.controller.stats.resyncs - resyncsBefore + 1,
    );
  });
});

describe("a cluster in the AKS-managed VNet", () => {
  let stack: Stack;
  const MC_RG = "MC_rg-aks_aks-managed_eastus";
  const MANAGED = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/${MC_RG}/providers/Microsoft.Network/virtualNetworks/aks-vnet-12345678`;
  beforeAll(async () => {
    const t = topology();
    t.subscriptions[0]?.resourceGroups?.push({
      name: MC_RG,
      location: "eastus",
      virtualNetworks: [
        {
          name: "aks-vnet-12345678",
          addressSpace: ["10.224.0.0/12"],
          subnets: [
            { name: "aks-subnet", addressPrefix: "10.224.0.0/16", usedIPs: 3 },
            { name: "extra", addressPrefix: "10.225.0.0/16" },
          ],
        },
      ],
    });
    t.roleAssignments = [
      ...(t.roleAssignments ?? []),
      { principalId: KARPENTER_PRINCIPAL_ID, scope: MANAGED, roleDefinitionId: "6c3e9f7a-2b1d-4c8e-9f0a-1d2e3f4a5b6c" },
    ];
    stack = await startStack({
      topology: t,
      flags: {
        vnetSubnetId: `${MANAGED}/subnets/aks-subnet`,
        nodeResourceGroup: MC_RG,
        karpenterPrincipalId: KARPENTER_PRINCIPAL_ID,
        outboundType: "loadBalancer",
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("a custom subnet is refused, in the managed VNet or elsewhere; the managed subnet stays Ready", async () => {
    const inside = uniqueName("managed-extra");
    const outside = uniqueName("managed-outside");
    const byDefault = uniqueName("managed-default");
    await stack.createNodeClass(inside, { vnetSubnetID: `${MANAGED}/subnets/extra` });
    await stack.createNodeClass(outside, { vnetSubnetID: EXAMPLE_SUBNET_IDS.healthy });
    await stack.createNodeClass(byDefault, {});
    for (const name of [inside, outside]) {
      const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "CustomSubnetInManagedVNet");
      expect(str(stack.condition(obj, "SubnetFound")?.message)).toMatch(/^Remove spec\.vnetSubnetID/);
      expect(stack.condition(obj, "SubnetReady")).toMatchObject({
        status: "False",
        reason: "CustomSubnetInManagedVNet",
      });
    }
    const ok = await stack.waitForCondition(byDefault, "SubnetReady", (c) => c.status === "True");
    expect(stack.condition(ok, "SubnetFound")?.reason).toBe("SubnetFound");
  });
});
