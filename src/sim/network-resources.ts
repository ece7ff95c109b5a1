/**
 * NetworkSecurityGroups_Get, RouteTables_Get and NatGateways_Get, shaped like Azure's own examples
 * (azure-rest-api-specs NetworkSecurityGroupGet.json, RouteTableGet.json, NatGatewayGet.json): the
 * resource with `properties`, an NSG's six default rules, and the subnets associated with it.
 */
import { DEFAULT_SECURITY_RULES } from "../health/connectivity/nsg.js";
import type { NetworkResourceOperation } from "./routes.js";
import { stableGuid, type ResourceGroupState, type SimState, type SubscriptionState } from "./state.js";
import type { SecurityRuleSpec } from "./topology.js";

const TYPES: Record<NetworkResourceOperation, { type: string; segment: string; read: string }> = {
  NetworkSecurityGroups_Get: {
    type: "Microsoft.Network/networkSecurityGroups",
    segment: "networkSecurityGroups",
    read: "Microsoft.Network/networkSecurityGroups/read",
  },
  RouteTables_Get: {
    type: "Microsoft.Network/routeTables",
    segment: "routeTables",
    read: "Microsoft.Network/routeTables/read",
  },
  NatGateways_Get: {
    type: "Microsoft.Network/natGateways",
    segment: "natGateways",
    read: "Microsoft.Network/natGateways/read",
  },
};

export function networkResourceType(op: NetworkResourceOperation): { type: string; segment: string; read: string } {
  return TYPES[op];
}

/** Azure's descriptions of the default rules, as NetworkSecurityGroupGet.json shows them. */
const DEFAULT_DESCRIPTIONS: Record<string, string> = {
  AllowVnetInBound: "Allow inbound traffic from all VMs in VNET",
  AllowAzureLoadBalancerInBound: "Allow inbound traffic from azure load balancer",
  DenyAllInBound: "Deny all inbound traffic",
  AllowVnetOutBound: "Allow outbound traffic from all VMs to all VMs in VNET",
  AllowInternetOutBound: "Allow outbound traffic from all VMs to Internet",
  DenyAllOutBound: "Deny all outbound traffic",
};

/** IDs of the subnets anywhere in the simulated world that point at `id` through `field`. */
function associatedSubnets(
  state: SimState,
  field: "networkSecurityGroupId" | "routeTableId" | "natGatewayId",
  id: string,
): Array<{ id: string }> {
  const key = id.toLowerCase();
  const out: Array<{ id: string }> = [];
  for (const sub of state.subscriptions.values())
    for (const rg of sub.resourceGroups.values())
      for (const v of rg.vnets.values())
        for (const s of v.subnets.values())
          if (s[field]?.toLowerCase() === key)
            out.push({
              id: `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/Microsoft.Network/virtualNetworks/${v.name}/subnets/${s.name}`,
            });
  return out;
}

function ruleProperties(r: {
  protocol: string;
  access: string;
  priority: number;
  direction: string;
  description?: string | undefined;
  sourceAddressPrefix?: string | undefined;
  sourceAddressPrefixes?: string[] | undefined;
  destinationAddressPrefix?: string | undefined;
  destinationAddressPrefixes?: string[] | undefined;
  sourcePortRange?: string | undefined;
  sourcePortRanges?: string[] | undefined;
  destinationPortRange?: string | undefined;
  destinationPortRanges?: string[] | undefined;
  sourceApplicationSecurityGroups?: string[] | undefined;
  destinationApplicationSecurityGroups?: string[] | undefined;
}): Record<string, unknown> {
  const p: Record<string, unknown> = { provisioningState: "Succeeded" };
  if (r.description !== undefined) p["description"] = r.description;
  p["protocol"] = r.protocol;
  // Azure fills the singular form with "*" when neither form is given for a port range
  if (r.sourcePortRanges !== undefined) p["sourcePortRanges"] = [...r.sourcePortRanges];
  else p["sourcePortRange"] = r.sourcePortRange ?? "*";
  if (r.destinationPortRanges !== undefined) p["destinationPortRanges"] = [...r.destinationPortRanges];
  else p["destinationPortRange"] = r.destinationPortRange ?? "*";
  if (r.sourceAddressPrefixes !== undefined) p["sourceAddressPrefixes"] = [...r.sourceAddressPrefixes];
  else if (r.sourceAddressPrefix !== undefined) p["sourceAddressPrefix"] = r.sourceAddressPrefix;
  else if (r.sourceApplicationSecurityGroups === undefined) p["sourceAddressPrefix"] = "*";
  if (r.destinationAddressPrefixes !== undefined) p["destinationAddressPrefixes"] = [...r.destinationAddressPrefixes];
  else if (r.destinationAddressPrefix !== undefined) p["destinationAddressPrefix"] = r.destinationAddressPrefix;
  else if (r.destinationApplicationSecurityGroups === undefined) p["destinationAddressPrefix"] = "*";
  if (r.sourceApplicationSecurityGroups !== undefined)
    p["sourceApplicationSecurityGroups"] = r.sourceApplicationSecurityGroups.map((id) => ({ id }));
  if (r.destinationApplicationSecurityGroups !== undefined)
    p["destinationApplicationSecurityGroups"] = r.destinationApplicationSecurityGroups.map((id) => ({ id }));
  p["access"] = r.access;
  p["priority"] = r.priority;
  p["direction"] = r.direction;
  return p;
}

/** The ARM body of one resource, or undefined when the resource group holds none by that name. */
export function networkResourceBody(
  state: SimState,
  op: NetworkResourceOperation,
  sub: SubscriptionState,
  rg: ResourceGroupState,
  name: string,
): Record<string, unknown> | undefined {
  const t = TYPES[op];
  const key = name.toLowerCase();
  const base = (n: string) => `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/${t.type}/${n}`;
  switch (op) {
    case "NetworkSecurityGroups_Get": {
      const nsg = rg.nsgs.get(key);
      if (nsg === undefined) return undefined;
      const id = base(nsg.name);
      const rule = (r: SecurityRuleSpec) => ({
        name: r.name,
        id: `${id}/securityRules/${r.name}`,
        etag: nsg.etag,
        type: `${t.type}/securityRules`,
        properties: ruleProperties(r),
      });
      const defaults = DEFAULT_SECURITY_RULES.map((r) => ({
        name: r.name,
        id: `${id}/defaultSecurityRules/${r.name}`,
        etag: nsg.etag,
        type: `${t.type}/defaultSecurityRules`,
        properties: ruleProperties({
          protocol: r.protocol,
          access: r.access,
          priority: r.priority,
          direction: r.direction,
          description: DEFAULT_DESCRIPTIONS[r.name],
          sourceAddressPrefix: r.sourceAddressPrefixes[0],
          destinationAddressPrefix: r.destinationAddressPrefixes[0],
        }),
      }));
      const subnets = associatedSubnets(state, "networkSecurityGroupId", id);
      return {
        name: nsg.name,
        id,
        etag: nsg.etag,
        type: t.type,
        location: nsg.location,
        properties: {
          provisioningState: "Succeeded",
          resourceGuid: stableGuid(id.toLowerCase()),
          securityRules: nsg.securityRules.map(rule),
          defaultSecurityRules: defaults,
          ...(subnets.length > 0 ? { subnets } : {}),
        },
      };
    }
    case "RouteTables_Get": {
      const rt = rg.routeTables.get(key);
      if (rt === undefined) return undefined;
      const id = base(rt.name);
      const subnets = associatedSubnets(state, "routeTableId", id);
      return {
        name: rt.name,
        type: t.type,
        id,
        etag: rt.etag,
        location: rt.location,
        properties: {
          disableBgpRoutePropagation: rt.disableBgpRoutePropagation,
          provisioningState: "Succeeded",
          resourceGuid: stableGuid(id.toLowerCase()),
          routes: rt.routes.map((r) => ({
            name: r.name,
            id: `${id}/routes/${r.name}`,
            etag: rt.etag,
            type: `${t.type}/routes`,
            properties: {
              addressPrefix: r.addressPrefix,
              nextHopType: r.nextHopType,
              ...(r.nextHopIpAddress !== undefined ? { nextHopIpAddress: r.nextHopIpAddress } : {}),
              provisioningState: "Succeeded",
            },
          })),
          ...(subnets.length > 0 ? { subnets } : {}),
        },
      };
    }
    case "NatGateways_Get": {
      const nat = rg.natGateways.get(key);
      if (nat === undefined) return undefined;
      const id = base(nat.name);
      const rgBase = `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/Microsoft.Network`;
      const ref = (kind: string, v: string) => ({ id: v.startsWith("/") ? v : `${rgBase}/${kind}/${v}` });
      const subnets = associatedSubnets(state, "natGatewayId", id);
      return {
        name: nat.name,
        sku: { name: "Standard" },
        id,
        etag: nat.etag,
        location: nat.location,
        properties: {
          idleTimeoutInMinutes: nat.idleTimeoutInMinutes,
          provisioningState: nat.provisioningState,
          resourceGuid: stableGuid(id.toLowerCase()),
          publicIpAddresses: nat.publicIpAddresses.map((v) => ref("publicIPAddresses", v)),
          publicIpPrefixes: nat.publicIpPrefixes.map((v) => ref("publicIPPrefixes", v)),
          ...(subnets.length > 0 ? { subnets } : {}),
        },
        type: t.type,
      };
    }
  }
}
