/**
 * Plain data for the connectivity concern: what the NSG, route table and NAT gateway of a subnet say,
 * as the Azure layer reads them (NetworkSecurityGroups_Get, RouteTables_Get, NatGateways_Get). No SDK
 * types here, so the evaluators stay pure and testable with literals.
 */
import type { AzureFailure } from "../types.js";
import type { ConnectivityReasonValue } from "./reasons.js";

export type RuleDirection = "Inbound" | "Outbound";
export type RuleAccess = "Allow" | "Deny";

/** One NSG security rule, plural and singular forms merged. */
export interface SecurityRuleData {
  name: string;
  priority: number;
  direction: RuleDirection;
  access: RuleAccess;
  /** "Tcp" | "Udp" | "Icmp" | "Esp" | "Ah" | "*" as Azure spells it (compared case-insensitively) */
  protocol: string;
  /** "*", a CIDR, an IP, or a service tag; empty when the rule uses application security groups */
  sourceAddressPrefixes: string[];
  destinationAddressPrefixes: string[];
  /** "*", "443", "1000-2000" */
  sourcePortRanges: string[];
  destinationPortRanges: string[];
  /** the rule names application security groups on that side (membership is invisible to us) */
  sourceApplicationSecurityGroups: boolean;
  destinationApplicationSecurityGroups: boolean;
  /** one of Azure's six fixed default rules */
  isDefault?: boolean;
}

export interface NsgData {
  id: string;
  name: string;
  /** the custom rules only: Azure's default rules are fixed and added by the evaluator */
  securityRules: SecurityRuleData[];
}

export interface RouteData {
  name: string;
  /** a CIDR or a service tag */
  addressPrefix: string;
  /** VirtualNetworkGateway | VnetLocal | Internet | VirtualAppliance | None */
  nextHopType: string;
  nextHopIpAddress?: string;
}

export interface RouteTableData {
  id: string;
  name: string;
  routes: RouteData[];
}

export interface NatGatewayData {
  id: string;
  name: string;
  provisioningState: string | undefined;
  /** public IP addresses plus public IP prefixes attached: 0 means no outbound address */
  publicIpCount: number;
}

/**
 * One Azure resource read by ID. Only Azure's own answers are definite (not-found, forbidden);
 * transport errors and throttling are `unavailable` with the last good data.
 */
export type ResourceObservation<T> =
  | { kind: "ok"; data: T; fetchedAt: number }
  | { kind: "not-found"; message: string }
  | { kind: "forbidden"; message: string }
  /** the resource's subscription is not in the operator's allowed subscriptions */
  | { kind: "not-allowed"; message: string }
  /** the ID on the subnet does not parse as a resource ID of that type: never sent to ARM */
  | { kind: "invalid-id"; message: string }
  | { kind: "unavailable"; failure: AzureFailure; last?: T; since: number }
  | { kind: "pending" };

/** The checks of the connectivity concern, as metrics label them. */
export type ConnectivityCheckName = "outbound" | "nsg" | "routes" | "parity";
/** fail blocks new nodes; warn is advisory; skipped means not applicable or nothing to check it with */
export type ConnectivityCheckResult = "pass" | "fail" | "warn" | "unknown" | "skipped";

export interface ConnectivityCheck {
  check: ConnectivityCheckName;
  result: ConnectivityCheckResult;
  /** the condition's reason when this check leads */
  reason: ConnectivityReasonValue;
  /** leads with the fix; no numbers that move */
  message: string;
}
