import { describe, expect, it } from "vitest";
import { network, ref, subnetId, subnetProps, T0 } from "../test-fixtures.js";
import type { SubnetProperties } from "../types.js";
import { ConnectivityReason, evaluateConnectivity, type ConnectivityInput } from "./evaluate.js";
import { OutboundReason } from "./outbound.js";
import { parseNetworkResourceId } from "./resource-id.js";
import type { NatGatewayData, NsgData, RouteData, RouteTableData, SecurityRuleData } from "./types.js";

const RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network";
const NSG_ID = `${RG}/networkSecurityGroups/nsg1`;
const RT_ID = `${RG}/routeTables/rt1`;
const NAT_ID = `${RG}/natGateways/nat1`;
const CLUSTER = subnetId("cluster");
const OWN = subnetId("nodes");

const ok = <T>(data: T) => ({ kind: "ok" as const, data, fetchedAt: T0 });
const nsg = (rules: SecurityRuleData[]): NsgData => ({ id: NSG_ID, name: "nsg1", securityRules: rules });
const table = (routes: RouteData[]): RouteTableData => ({ id: RT_ID, name: "rt1", routes });
const nat = (over: Partial<NatGatewayData> = {}): NatGatewayData => ({
  id: NAT_ID,
  name: "nat1",
  provisioningState: "Succeeded",
  publicIpCount: 1,
  ...over,
});
const deny443 = (priority: number): SecurityRuleData => ({
  name: "deny-https",
  priority,
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
const allowAzure443 = (priority: number): SecurityRuleData => ({
  ...deny443(priority),
  name: "allow-azure",
  access: "Allow",
  destinationAddressPrefixes: ["AzureCloud"],
});

function input(
  outboundType: string | undefined,
  own: Partial<SubnetProperties>,
  over: Partial<ConnectivityInput> = {},
  clusterOver: Partial<SubnetProperties> = {},
): ConnectivityInput {
  return {
    ref: ref(OWN),
    subnet: subnetProps("nodes", { id: OWN, ...own }),
    vnetAddressSpace: ["10.0.0.0/8"],
    clusterSubnetID: CLUSTER,
    clusterSubnet: subnetProps("cluster", { id: CLUSTER, ...own, ...clusterOver }),
    network: network(),
    outboundType,
    nsg: undefined,
    routeTable: undefined,
    natGateway: undefined,
    ...over,
  };
}

const check = (i: ConnectivityInput, name: string) => evaluateConnectivity(i).checks.find((c) => c.check === name);

describe("outbound path by outbound type", () => {
  it("loadBalancer: nothing needed", () => {
    const out = evaluateConnectivity(input("loadBalancer", {}));
    expect(out.condition).toMatchObject({ status: "True", reason: ConnectivityReason.ConnectivityChecked });
  });
  it("loadBalancer: a 0.0.0.0/0 route to None drops outbound traffic", () => {
    const out = evaluateConnectivity(
      input(
        "loadBalancer",
        { routeTableId: RT_ID },
        { routeTable: ok(table([{ name: "blackhole", addressPrefix: "0.0.0.0/0", nextHopType: "None" }])) },
      ),
    );
    expect(out.condition).toMatchObject({ status: "False", reason: OutboundReason.DefaultRouteDropped });
    expect(out.condition.message).toMatch(/^Remove route 'blackhole' \(0\.0\.0\.0\/0 → None\) from route table rt1/);
  });
  it("userAssignedNATGateway: right with a NAT gateway, wrong without, naming the cluster's NAT gateway in the fix", () => {
    const right = evaluateConnectivity(
      input("userAssignedNATGateway", { natGatewayId: NAT_ID }, { natGateway: ok(nat()) }),
    );
    expect(right.condition.status).toBe("True");
    const wrong = evaluateConnectivity(input("userAssignedNATGateway", {}, {}, { natGatewayId: NAT_ID }));
    expect(wrong.condition).toMatchObject({ status: "False", reason: OutboundReason.NATGatewayMissing });
    expect(wrong.condition.message).toContain(`az network vnet subnet update --ids ${OWN} --nat-gateway ${NAT_ID}`);
  });
  it("userAssignedNATGateway: a NAT gateway without public IP is blocking; one we cannot read is Unknown", () => {
    const noIp = evaluateConnectivity(
      input("userAssignedNATGateway", { natGatewayId: NAT_ID }, { natGateway: ok(nat({ publicIpCount: 0 })) }),
    );
    expect(noIp.condition).toMatchObject({ status: "False", reason: OutboundReason.NATGatewayWithoutPublicIP });
    const forbidden = evaluateConnectivity(
      input("userAssignedNATGateway", { natGatewayId: NAT_ID }, { natGateway: { kind: "forbidden", message: "403" } }),
    );
    expect(forbidden.condition).toMatchObject({ status: "Unknown", reason: OutboundReason.OutboundUnknown });
    expect(forbidden.condition.message).toMatch(/^Grant the operator's identity Reader/);
  });
  it("managedNATGateway: the cluster subnet is fine; another subnet needs a NAT gateway", () => {
    const own = input("managedNATGateway", {}, { ref: ref(CLUSTER), subnet: subnetProps("cluster", { id: CLUSTER }) });
    expect(evaluateConnectivity(own).condition.status).toBe("True");
    expect(check(input("managedNATGateway", {}), "outbound")).toMatchObject({
      result: "fail",
      reason: OutboundReason.NATGatewayMissing,
    });
  });
  it.each([
    ["no route table", {}, undefined, OutboundReason.RouteTableMissing, "False"],
    ["no default route", { routeTableId: RT_ID }, [], OutboundReason.DefaultRouteMissing, "False"],
    [
      "default route to None",
      { routeTableId: RT_ID },
      [{ name: "d", addressPrefix: "0.0.0.0/0", nextHopType: "None" }],
      OutboundReason.DefaultRouteDropped,
      "False",
    ],
    [
      "default route to Internet",
      { routeTableId: RT_ID },
      [{ name: "d", addressPrefix: "0.0.0.0/0", nextHopType: "Internet" }],
      OutboundReason.DefaultRouteNotToAppliance,
      "False",
    ],
    [
      "default route to the firewall",
      { routeTableId: RT_ID },
      [{ name: "d", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.9.0.4" }],
      OutboundReason.OutboundPathReady,
      "True",
    ],
    [
      "default route to a gateway",
      { routeTableId: RT_ID },
      [{ name: "d", addressPrefix: "0.0.0.0/0", nextHopType: "VirtualNetworkGateway" }],
      OutboundReason.OutboundPathReady,
      "True",
    ],
  ])("userDefinedRouting, %s", (_n, own, routes, reason, status) => {
    const i = input("userDefinedRouting", own, routes ? { routeTable: ok(table(routes)) } : {}, own);
    const out = evaluateConnectivity(i);
    expect(check(i, "outbound")?.reason).toBe(reason);
    expect(out.condition.status).toBe(status);
  });
  it.each(["none", "block"])("%s: no outbound path expected", (t) => {
    expect(check(input(t, {}), "outbound")).toMatchObject({
      result: "pass",
      reason: OutboundReason.OutboundNotRequired,
    });
  });
  it("unknown outbound type: skipped, still True", () => {
    const out = evaluateConnectivity(input(undefined, {}));
    expect(check(input(undefined, {}), "outbound")?.result).toBe("skipped");
    expect(out.condition.status).toBe("True");
  });
});

describe("NSG in the condition", () => {
  it("deny outbound 443 at priority 100 is blocking and names the rule", () => {
    const out = evaluateConnectivity(
      input("loadBalancer", { networkSecurityGroupId: NSG_ID }, { nsg: ok(nsg([deny443(100)])) }),
    );
    expect(out.condition).toMatchObject({ status: "False", reason: ConnectivityReason.NSGDeniesNodeTraffic });
    expect(out.condition.message).toMatch(/^Allow outbound TCP 443 to AzureCloud/);
    expect(out.condition.message).toContain("rule 'deny-https' (priority 100)");
  });
  it("the same deny at 4000 below an allow at 100 is fine", () => {
    const out = evaluateConnectivity(
      input("loadBalancer", { networkSecurityGroupId: NSG_ID }, { nsg: ok(nsg([allowAzure443(100), deny443(4000)])) }),
    );
    expect(out.condition).toMatchObject({ status: "True", reason: ConnectivityReason.ConnectivityChecked });
  });
  it("keeps judging the last known rules through an outage", () => {
    const out = evaluateConnectivity(
      input(
        "loadBalancer",
        { networkSecurityGroupId: NSG_ID },
        {
          nsg: {
            kind: "unavailable",
            failure: { kind: "throttled", statusCode: 429, message: "x" },
            last: nsg([deny443(100)]),
            since: T0,
          },
        },
      ),
    );
    expect(out.condition.reason).toBe(ConnectivityReason.NSGDeniesNodeTraffic);
  });
  it("an unreadable NSG without history is Unknown", () => {
    const out = evaluateConnectivity(
      input(
        "loadBalancer",
        { networkSecurityGroupId: NSG_ID },
        { nsg: { kind: "unavailable", failure: { kind: "timeout", message: "x" }, since: T0 } },
      ),
    );
    expect(out.condition).toMatchObject({ status: "Unknown", reason: ConnectivityReason.NSGUnknown });
  });
});

describe("routes in the condition", () => {
  const withRoutes = (routes: RouteData[]) =>
    evaluateConnectivity(input("loadBalancer", { routeTableId: RT_ID }, { routeTable: ok(table(routes)) }));
  it("a VNet range to None is blocking", () => {
    const out = withRoutes([{ name: "drop", addressPrefix: "10.1.0.0/16", nextHopType: "None" }]);
    expect(out.condition).toMatchObject({ status: "False", reason: ConnectivityReason.RouteDropsClusterTraffic });
    expect(out.condition.message).toContain("virtual network range 10.0.0.0/8");
  });
  it("the pod range to an appliance is advisory", () => {
    const out = withRoutes([
      { name: "pods", addressPrefix: "10.244.0.0/16", nextHopType: "VirtualAppliance", nextHopIpAddress: "10.9.0.4" },
    ]);
    expect(out.condition).toMatchObject({ status: "True", reason: ConnectivityReason.RouteDivertsClusterTraffic });
  });
  it("the service range to None is blocking", () => {
    expect(withRoutes([{ name: "svc", addressPrefix: "10.0.0.0/16", nextHopType: "None" }]).condition.status).toBe(
      "False",
    );
  });
  it("a route covering more than the VNet loses to the VNet's system route", () => {
    expect(
      withRoutes([{ name: "wide", addressPrefix: "0.0.0.0/1", nextHopType: "VirtualAppliance" }]).condition.reason,
    ).toBe(ConnectivityReason.ConnectivityChecked);
  });
  it("kubenet's own per-node pod routes are expected", () => {
    const out = evaluateConnectivity(
      input(
        "loadBalancer",
        { routeTableId: RT_ID },
        {
          routeTable: ok(table([{ name: "node1", addressPrefix: "10.244.1.0/24", nextHopType: "VirtualAppliance" }])),
          network: network({ networkPlugin: "kubenet" }),
          vnetAddressSpace: ["10.1.0.0/16"],
        },
      ),
    );
    expect(out.condition.reason).toBe(ConnectivityReason.ConnectivityChecked);
  });
});

describe("parity with the cluster subnet", () => {
  it("names what differs, as an advisory", () => {
    const out = evaluateConnectivity(
      input("loadBalancer", {}, {}, { networkSecurityGroupId: NSG_ID, routeTableId: RT_ID }),
    );
    expect(out.condition).toMatchObject({ status: "True", reason: ConnectivityReason.DiffersFromClusterSubnet });
    expect(out.condition.message).toContain("network security group none (cluster subnet: nsg1)");
    expect(out.condition.message).toContain("route table none (cluster subnet: rt1)");
  });
  it("compares IDs case-insensitively", () => {
    const out = evaluateConnectivity(
      input(
        "loadBalancer",
        { natGatewayId: NAT_ID.toUpperCase() },
        { natGateway: ok(nat()) },
        { natGatewayId: NAT_ID },
      ),
    );
    expect(out.checks.find((c) => c.check === "parity")?.result).toBe("pass");
  });
});

describe("not yet judgeable", () => {
  it("is Unknown until the subnet is read", () => {
    const out = evaluateConnectivity({ ...input("loadBalancer", {}), subnet: undefined });
    expect(out.condition).toMatchObject({ status: "Unknown", reason: ConnectivityReason.ConnectivityNotChecked });
  });
});

describe("network resource IDs", () => {
  it("parses strictly", () => {
    expect(parseNetworkResourceId(NSG_ID, "networkSecurityGroups")).toMatchObject({ ok: true, ref: { name: "nsg1" } });
    expect(parseNetworkResourceId(NSG_ID, "routeTables").ok).toBe(false);
    expect(parseNetworkResourceId(`${NSG_ID}/securityRules/x`, "networkSecurityGroups").ok).toBe(false);
    expect(parseNetworkResourceId(NSG_ID.replace("nsg1", "nsg%2e"), "networkSecurityGroups").ok).toBe(false);
    expect(parseNetworkResourceId(NSG_ID.replace("rg1", ".."), "networkSecurityGroups").ok).toBe(false);
  });
});
