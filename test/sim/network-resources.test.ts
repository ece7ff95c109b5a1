/** NSGs, route tables and NAT gateways through the real @azure/arm-network client, and live changes. */
import { isRestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EXAMPLE_SUBNET_IDS, EXAMPLE_SUBSCRIPTION_ID, OPERATOR_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { networkClient, rejection } from "./helpers.js";

const EXAMPLE_TOPOLOGY = new URL("../../examples/topology.yaml", import.meta.url).pathname;
const operator = new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID });
const nobody = new SimTokenCredential({ oid: "99999999-9999-9999-9999-999999999999" });
const RG = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/rg-network/providers/Microsoft.Network`;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ topology: EXAMPLE_TOPOLOGY });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await sim.admin.replaceTopology(EXAMPLE_TOPOLOGY);
  await sim.admin.resetCounters();
});

describe("NetworkSecurityGroups_Get", () => {
  it("returns custom rules, Azure's six default rules and the associated subnets, flattened by the SDK", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const nsg = await net.networkSecurityGroups.get("rg-network", "nsg-aks");
    expect(nsg.id).toBe(`${RG}/networkSecurityGroups/nsg-aks`);
    expect(nsg.securityRules?.map((r) => [r.name, r.priority, r.direction, r.access])).toEqual([
      ["allow-azurecloud-https", 100, "Outbound", "Allow"],
      ["deny-internet-https", 4000, "Outbound", "Deny"],
      ["allow-ssh-from-vnet", 200, "Inbound", "Allow"],
    ]);
    const rule = nsg.securityRules?.[1];
    expect(rule).toMatchObject({
      protocol: "Tcp",
      destinationAddressPrefix: "Internet",
      destinationPortRange: "443",
      sourcePortRange: "*",
    });
    expect(nsg.defaultSecurityRules?.map((r) => r.name)).toEqual([
      "AllowVnetInBound",
      "AllowAzureLoadBalancerInBound",
      "DenyAllInBound",
      "AllowVnetOutBound",
      "AllowInternetOutBound",
      "DenyAllOutBound",
    ]);
    expect(nsg.subnets?.map((s) => s.id)).toContain(EXAMPLE_SUBNET_IDS.healthy);
    expect((await sim.admin.counters()).byOperation["NetworkSecurityGroups_Get"]).toBe(1);
  });

  it("answers 404 ResourceNotFound for a missing NSG and 403 for a caller without a role", async () => {
    const err = await rejection(
      networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID).networkSecurityGroups.get("rg-network", "nope"),
    );
    expect(isRestError(err) && err.statusCode).toBe(404);
    expect(isRestError(err) && err.code).toBe("ResourceNotFound");
    const denied = await rejection(
      networkClient(sim, nobody, EXAMPLE_SUBSCRIPTION_ID).networkSecurityGroups.get("rg-network", "nsg-aks"),
    );
    expect(isRestError(denied) && denied.statusCode).toBe(403);
  });

  it("shows a rule added through the admin API on the next read", async () => {
    const id = `${RG}/networkSecurityGroups/nsg-aks`;
    await sim.admin.putSecurityRule(id, {
      name: "deny-all-out",
      priority: 150,
      direction: "Outbound",
      access: "Deny",
      destinationAddressPrefixes: ["0.0.0.0/0"],
    });
    const nsg = await networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID).networkSecurityGroups.get(
      "rg-network",
      "nsg-aks",
    );
    expect(nsg.securityRules?.find((r) => r.name === "deny-all-out")).toMatchObject({
      priority: 150,
      destinationAddressPrefixes: ["0.0.0.0/0"],
      protocol: "*",
    });
    await expect(
      sim.admin.putSecurityRule(id, { name: "clash", priority: 150, direction: "Outbound", access: "Allow" }),
    ).rejects.toThrow(/already has priority 150/);
  });
});

describe("RouteTables_Get and NatGateways_Get", () => {
  it("returns routes with their next hops", async () => {
    const rt = await networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID).routeTables.get("rg-network", "rt-firewall");
    expect(rt.routes).toEqual([
      expect.objectContaining({
        name: "default-egress",
        addressPrefix: "0.0.0.0/0",
        nextHopType: "VirtualAppliance",
        nextHopIpAddress: "10.239.0.4",
      }),
    ]);
    expect(rt.disableBgpRoutePropagation).toBe(false);
  });

  it("returns a NAT gateway's public addresses and subnets; removing the association shows at once", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const nat = await net.natGateways.get("rg-network", "nat-aks");
    expect(nat.sku?.name).toBe("Standard");
    expect(nat.publicIpAddresses?.map((p) => p.id)).toEqual([`${RG}/publicIPAddresses/pip-nat-aks`]);
    const parity = EXAMPLE_SUBNET_IDS["parity-differs"];
    expect(nat.subnets?.map((s) => s.id)).toEqual([parity]);
    await sim.admin.associateSubnet(parity, { natGatewayId: null });
    expect((await net.subnets.get("rg-network", "vnet-aks", "parity-differs")).natGateway).toBeUndefined();
    expect((await net.natGateways.get("rg-network", "nat-aks")).subnets ?? []).toEqual([]);
    const counters = await sim.admin.counters();
    expect(counters.byOperation["NatGateways_Get"]).toBe(2);
  });

  it("replaces and deletes resources through the admin API", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.putRouteTable(`${RG}/routeTables/rt-new`, {
      routes: [{ name: "r", addressPrefix: "10.224.0.0/16", nextHopType: "None" }],
    });
    expect((await net.routeTables.get("rg-network", "rt-new")).routes?.[0]?.nextHopType).toBe("None");
    await sim.admin.deleteNetworkResource(`${RG}/routeTables/rt-new`);
    const err = await rejection(net.routeTables.get("rg-network", "rt-new"));
    expect(isRestError(err) && err.statusCode).toBe(404);
    await expect(sim.admin.putNatGateway(`${RG}/routeTables/wrong-type`)).rejects.toThrow(/not a NatGateways/);
  });
});
