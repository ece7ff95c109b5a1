/**
 * The outbound path new nodes need to reach the API server and join, by the cluster's `outboundType`:
 *
 * - `loadBalancer`: Karpenter puts the NIC in the cluster load balancer's backend pool; the subnet needs
 *   nothing, but a 0.0.0.0/0 route to `None` drops the traffic and one to an appliance bypasses the
 *   load balancer (the appliance must then allow the traffic).
 * - `managedNATGateway`: AKS attaches its NAT gateway to the cluster's own subnet only.
 * - `userAssignedNATGateway`: the subnet needs a NAT gateway with a public address.
 * - `userDefinedRouting`: the subnet needs a route table whose 0.0.0.0/0 route goes to a virtual
 *   appliance or a virtual network gateway.
 * - `none` / `block`: no outbound path is expected (the user provides one, or egress is blocked on purpose).
 */
import type { SubnetRef } from "../types.js";
import { defaultRoute, describeRoute } from "./routes.js";
import type { ConnectivityCheck, NatGatewayData, ResourceObservation, RouteTableData } from "./types.js";
import { observed } from "./observed.js";
import { OutboundReason, type ConnectivityReasonValue } from "./reasons.js";

export interface OutboundInput {
  outboundType: string | undefined;
  subnet: SubnetRef;
  /** the nodeclass's subnet is the cluster subnet itself */
  isClusterSubnet: boolean;
  natGatewayId: string | undefined;
  /** read only when the outbound type needs the NAT gateway's properties */
  natGateway: ResourceObservation<NatGatewayData> | undefined;
  routeTableId: string | undefined;
  routeTable: ResourceObservation<RouteTableData> | undefined;
  /** the cluster subnet's NAT gateway and route table, to name them in the fix */
  clusterNatGatewayId: string | undefined;
  clusterRouteTableId: string | undefined;
}

/** The subset of outbound types AKS documents; compared case-insensitively. */
export const OUTBOUND_TYPES = [
  "loadBalancer",
  "managedNATGateway",
  "userAssignedNATGateway",
  "userDefinedRouting",
  "none",
  "block",
] as const;

function name(id: string): string {
  return (
    id
      .split("/")
      .filter((s) => s !== "")
      .pop() ?? id
  );
}

function resourceGroupOf(id: string): string {
  const seg = id.split("/");
  const i = seg.findIndex((s) => s.toLowerCase() === "resourcegroups");
  return i >= 0 ? (seg[i + 1] ?? "") : "";
}

function check(
  result: ConnectivityCheck["result"],
  reason: ConnectivityReasonValue,
  message: string,
): ConnectivityCheck {
  return { check: "outbound", result, reason, message };
}

/** What a 0.0.0.0/0 route does to traffic that should leave by the load balancer or the NAT gateway. */
function defaultRouteOverride(
  table: RouteTableData | undefined,
  via: string,
  subnet: SubnetRef,
): ConnectivityCheck | undefined {
  const route = table !== undefined ? defaultRoute(table.routes) : undefined;
  if (route === undefined || table === undefined) return undefined;
  const hop = route.nextHopType.toLowerCase();
  if (hop === "none") {
    return check(
      "fail",
      OutboundReason.DefaultRouteDropped,
      `Remove ${describeRoute(route)} from route table ${table.name} or point it at your firewall (\`az network route-table route delete -g ${resourceGroupOf(table.id)} --route-table-name ${table.name} -n ${route.name}\`): it drops all Internet-bound traffic of subnet ${subnet.subnet}, so new nodes cannot reach the API server and never join.`,
    );
  }
  if (hop === "virtualappliance" || hop === "virtualnetworkgateway") {
    return check(
      "warn",
      OutboundReason.DefaultRouteBypassesOutbound,
      `Make sure the appliance behind ${describeRoute(route)} in route table ${table.name} allows what AKS nodes need: it takes subnet ${subnet.subnet}'s Internet-bound traffic instead of ${via}.`,
    );
  }
  return undefined;
}

export { OutboundReason };

export function evaluateOutbound(input: OutboundInput): ConnectivityCheck {
  const type = input.outboundType?.trim();
  const subnet = input.subnet;
  if (type === undefined || type === "") {
    return check(
      "skipped",
      OutboundReason.OutboundTypeUnknown,
      "Give the operator the cluster's outbound type (--cluster-resource-id or --outbound-type) to check the subnet's outbound path.",
    );
  }
  const rt =
    input.routeTableId === undefined
      ? { data: undefined }
      : observed(input.routeTable, "route table", input.routeTableId);
  switch (type.toLowerCase()) {
    case "none":
    case "block":
      return check(
        "pass",
        OutboundReason.OutboundNotRequired,
        `The cluster's outbound type is ${type}: no outbound path through Azure is expected.`,
      );
    case "loadbalancer": {
      if ("unknown" in rt) return check("unknown", OutboundReason.OutboundUnknown, rt.unknown);
      if (input.natGatewayId !== undefined) {
        return check(
          "pass",
          OutboundReason.OutboundPathReady,
          `Subnet ${subnet.subnet} leaves through its NAT gateway ${name(input.natGatewayId)}, which takes precedence over the cluster's load balancer.`,
        );
      }
      return (
        defaultRouteOverride(rt.data, "the cluster's load balancer", subnet) ??
        check(
          "pass",
          OutboundReason.OutboundPathReady,
          `Nodes in subnet ${subnet.subnet} leave through the cluster's load balancer.`,
        )
      );
    }
    case "managednatgateway":
    case "userassignednatgateway": {
      if (type.toLowerCase() === "managednatgateway" && input.isClusterSubnet) {
        return check(
          "pass",
          OutboundReason.OutboundPathReady,
          `Subnet ${subnet.subnet} is the cluster subnet, which AKS gives its managed NAT gateway.`,
        );
      }
      if (input.natGatewayId === undefined) {
        const nat = input.clusterNatGatewayId ?? "<nat-gateway-id>";
        return check(
          "fail",
          OutboundReason.NATGatewayMissing,
          `Attach a NAT gateway to subnet ${subnet.subnet} (\`az network vnet subnet update --ids ${subnet.id} --nat-gateway ${nat}\`): the cluster's outbound type is ${type}, the subnet has no NAT gateway, so new nodes cannot reach the API server and never join.`,
        );
      }
      const nat = observed(input.natGateway, "NAT gateway", input.natGatewayId);
      if ("unknown" in nat) return check("unknown", OutboundReason.OutboundUnknown, nat.unknown);
      const state = (nat.data.provisioningState ?? "Succeeded").toLowerCase();
      if (state === "failed" || state === "deleting") {
        return check(
          "fail",
          OutboundReason.NATGatewayNotReady,
          `Fix NAT gateway ${nat.data.name} (provisioning state ${nat.data.provisioningState ?? ""}) or attach a working one to subnet ${subnet.subnet}: outbound traffic of new nodes has no working path.`,
        );
      }
      if (nat.data.publicIpCount === 0) {
        return check(
          "fail",
          OutboundReason.NATGatewayWithoutPublicIP,
          `Give NAT gateway ${nat.data.name} a public IP address or prefix (\`az network nat gateway update -g ${resourceGroupOf(nat.data.id)} -n ${nat.data.name} --public-ip-addresses <ip>\`): without one it cannot carry subnet ${subnet.subnet}'s outbound traffic.`,
        );
      }
      if ("unknown" in rt) return check("unknown", OutboundReason.OutboundUnknown, rt.unknown);
      return (
        defaultRouteOverride(rt.data, `NAT gateway ${nat.data.name}`, subnet) ??
        check(
          "pass",
          OutboundReason.OutboundPathReady,
          `Subnet ${subnet.subnet} leaves through NAT gateway ${nat.data.name}.`,
        )
      );
    }
    case "userdefinedrouting": {
      const fixRoute =
        "`az network route-table route create -g <rg> --route-table-name <route-table> -n default-egress --address-prefix 0.0.0.0/0 --next-hop-type VirtualAppliance --next-hop-ip-address <firewall-ip>`";
      if (input.routeTableId === undefined) {
        const table = input.clusterRouteTableId ?? "<route-table-id>";
        return check(
          "fail",
          OutboundReason.RouteTableMissing,
          `Associate the cluster's route table with subnet ${subnet.subnet} (\`az network vnet subnet update --ids ${subnet.id} --route-table ${table}\`): the cluster's outbound type is userDefinedRouting and the subnet has no route table, so new nodes have no path to the API server.`,
        );
      }
      if ("unknown" in rt) return check("unknown", OutboundReason.OutboundUnknown, rt.unknown);
      const table = rt.data;
      if (table === undefined) return check("unknown", OutboundReason.OutboundUnknown, "route table not read");
      const route = defaultRoute(table.routes);
      if (route === undefined) {
        return check(
          "fail",
          OutboundReason.DefaultRouteMissing,
          `Add a 0.0.0.0/0 route to your firewall in route table ${table.name} (${fixRoute.replace("<rg>", resourceGroupOf(table.id)).replace("<route-table>", table.name)}): the cluster's outbound type is userDefinedRouting and the table has no default route, so new nodes have no path to the API server.`,
        );
      }
      const hop = route.nextHopType.toLowerCase();
      if (hop === "virtualappliance" || hop === "virtualnetworkgateway") {
        return check(
          "pass",
          OutboundReason.OutboundPathReady,
          `Subnet ${subnet.subnet} leaves through ${describeRoute(route)} in route table ${table.name}.`,
        );
      }
      return check(
        "fail",
        hop === "none" ? OutboundReason.DefaultRouteDropped : OutboundReason.DefaultRouteNotToAppliance,
        `Point ${describeRoute(route)} in route table ${table.name} at your firewall (next hop VirtualAppliance or VirtualNetworkGateway): the cluster's outbound type is userDefinedRouting, and this route ${hop === "none" ? "drops Internet-bound traffic" : `sends it to ${route.nextHopType}`}, so new nodes cannot reach the API server.`,
      );
    }
    default:
      return check(
        "skipped",
        OutboundReason.OutboundTypeUnknown,
        `The cluster's outbound type ${type} is not one the operator knows (${OUTBOUND_TYPES.join(", ")}); the outbound path is not checked.`,
      );
  }
}

/** Only these outbound types make the NAT gateway's own properties matter (one NatGateways_Get). */
export function needsNatGatewayRead(outboundType: string | undefined): boolean {
  const t = outboundType?.toLowerCase();
  return t === "userassignednatgateway" || t === "managednatgateway";
}
