/**
 * Reasons of the SubnetConnectivity condition and of its checks, with what each means for new nodes
 * (severity.ts). A check's reason becomes the condition's when that check leads.
 */
import { ConditionType } from "../../domain.js";
import { conditionBuilder, type SeverityTable } from "../severity.js";

export const OutboundReason = {
  OutboundPathReady: "OutboundPathReady",
  OutboundNotRequired: "OutboundNotRequired",
  OutboundTypeUnknown: "OutboundTypeUnknown",
  NATGatewayMissing: "NATGatewayMissing",
  NATGatewayWithoutPublicIP: "NATGatewayWithoutPublicIP",
  NATGatewayNotReady: "NATGatewayNotReady",
  RouteTableMissing: "RouteTableMissing",
  DefaultRouteMissing: "DefaultRouteMissing",
  DefaultRouteDropped: "DefaultRouteDropped",
  DefaultRouteNotToAppliance: "DefaultRouteNotToAppliance",
  DefaultRouteBypassesOutbound: "DefaultRouteBypassesOutbound",
  OutboundUnknown: "OutboundUnknown",
} as const;

export const ConnectivityReason = {
  ConnectivityChecked: "ConnectivityChecked",
  ConnectivityNotChecked: "ConnectivityNotChecked",
  NSGAllowsNodeTraffic: "NSGAllowsNodeTraffic",
  NoNSG: "NoNSG",
  NSGDeniesNodeTraffic: "NSGDeniesNodeTraffic",
  NSGPartlyDeniesNodeTraffic: "NSGPartlyDeniesNodeTraffic",
  NSGUnknown: "NSGUnknown",
  RoutesKeepClusterTraffic: "RoutesKeepClusterTraffic",
  NoRouteTable: "NoRouteTable",
  RouteDropsClusterTraffic: "RouteDropsClusterTraffic",
  RouteDivertsClusterTraffic: "RouteDivertsClusterTraffic",
  RoutesUnknown: "RoutesUnknown",
  SameAsClusterSubnet: "SameAsClusterSubnet",
  ClusterSubnetUnknown: "ClusterSubnetUnknown",
  DiffersFromClusterSubnet: "DiffersFromClusterSubnet",
} as const;

export type ConnectivityReasonValue =
  (typeof OutboundReason)[keyof typeof OutboundReason] | (typeof ConnectivityReason)[keyof typeof ConnectivityReason];

/**
 * Failing checks block; a check that cannot be judged makes SubnetReady Unknown (the operator cannot
 * tell whether nodes join); partial denials, diverted routes and parity differences are advisories.
 */
export const CONNECTIVITY_SEVERITY: SeverityTable<ConnectivityReasonValue> = {
  OutboundPathReady: "ok",
  OutboundNotRequired: "ok",
  OutboundTypeUnknown: "informational",
  NATGatewayMissing: "blocking",
  NATGatewayWithoutPublicIP: "blocking",
  NATGatewayNotReady: "blocking",
  RouteTableMissing: "blocking",
  DefaultRouteMissing: "blocking",
  DefaultRouteDropped: "blocking",
  DefaultRouteNotToAppliance: "blocking",
  DefaultRouteBypassesOutbound: "advisory",
  OutboundUnknown: "blocking",
  ConnectivityChecked: "ok",
  ConnectivityNotChecked: "informational",
  NSGAllowsNodeTraffic: "ok",
  NoNSG: "ok",
  NSGDeniesNodeTraffic: "blocking",
  NSGPartlyDeniesNodeTraffic: "advisory",
  NSGUnknown: "blocking",
  RoutesKeepClusterTraffic: "ok",
  NoRouteTable: "ok",
  RouteDropsClusterTraffic: "blocking",
  RouteDivertsClusterTraffic: "advisory",
  RoutesUnknown: "blocking",
  SameAsClusterSubnet: "ok",
  ClusterSubnetUnknown: "informational",
  DiffersFromClusterSubnet: "advisory",
};

export const connectivityCondition = conditionBuilder(ConditionType.SubnetConnectivity, CONNECTIVITY_SEVERITY);
