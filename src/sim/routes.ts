/**
 * Maps a request path to an ARM operation, the way ARM's router would: case-insensitive segment
 * names, `//` collapsed (the classic authorization client sends `//subscriptions/…` when given a
 * scope with a leading slash), percent-decoded names.
 */
import type { OperationName } from "./operations.js";

export interface ResourcePath {
  subscriptionId: string;
  resourceGroup?: string;
  /** provider namespace and the type/name pairs below it, e.g. Microsoft.Network, [virtualNetworks, v, subnets, s] */
  provider?: string;
  typeNamePairs?: string[];
}

export type Route =
  | { operation: "Subnets_Get"; sub: string; rg: string; vnet: string; subnet: string }
  | { operation: "VirtualNetworks_Get" | "VirtualNetworks_ListUsage"; sub: string; rg: string; vnet: string }
  | { operation: "ManagedClusters_Get"; sub: string; rg: string; name: string }
  | { operation: NetworkResourceOperation; sub: string; rg: string; name: string }
  | {
      operation: Exclude<
        OperationName,
        | "Subnets_Get"
        | "VirtualNetworks_Get"
        | "VirtualNetworks_ListUsage"
        | "ManagedClusters_Get"
        | NetworkResourceOperation
      >;
      /** the scope before /providers/Microsoft.Authorization, "/" for none; names decoded, case kept */
      scope: string;
      /** role definition GUID for RoleDefinitions_* */
      roleDefinitionId?: string;
    };

/** Single Microsoft.Network resources a subnet points at, read by ID. */
export type NetworkResourceOperation = "NetworkSecurityGroups_Get" | "RouteTables_Get" | "NatGateways_Get";

/** Resource type segment → operation. */
export const NETWORK_RESOURCE_TYPES: Readonly<Record<string, NetworkResourceOperation>> = {
  networksecuritygroups: "NetworkSecurityGroups_Get",
  routetables: "RouteTables_Get",
  natgateways: "NatGateways_Get",
};

export type RouteResult = { ok: true; route: Route; tidyPath: string } | { ok: false; tidyPath: string };

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** `rawPath` is the path part of the request URL, still percent-encoded. */
export function routeRequest(rawPath: string): RouteResult {
  const tidyPath = ("/" + rawPath).replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  const raw = tidyPath.split("/").slice(1);
  const seg = raw.map(decode);

  // Authorization-provider operations are suffixes on any scope.
  for (let i = seg.length - 2; i >= 0; i--) {
    if (!eq(seg[i], "providers") || !eq(seg[i + 1], "Microsoft.Authorization")) continue;
    const scopeSegs = seg.slice(0, i);
    const scope = scopeSegs.length === 0 ? "/" : `/${scopeSegs.join("/")}`;
    const kind = seg[i + 2];
    const rest = seg.slice(i + 3);
    // The SDK's *ForResource operations use the literal lower-case "resourcegroups"; scope operations pass
    // whatever the caller gives (normally "resourceGroups"). That is the only wire difference.
    const resourceForm = raw[2] === "resourcegroups" && scopeSegs.length > 4;
    if (eq(kind, "roleAssignments") && rest.length === 0)
      return { ok: true, tidyPath, route: { operation: "RoleAssignments_ListForScope", scope } };
    if (eq(kind, "denyAssignments") && rest.length === 0) {
      return {
        ok: true,
        tidyPath,
        route: { operation: resourceForm ? "DenyAssignments_ListForResource" : "DenyAssignments_ListForScope", scope },
      };
    }
    if (eq(kind, "permissions") && rest.length === 0) {
      return {
        ok: true,
        tidyPath,
        route: {
          operation: scopeSegs.length > 4 ? "Permissions_ListForResource" : "Permissions_ListForResourceGroup",
          scope,
        },
      };
    }
    if (eq(kind, "roleDefinitions") && rest.length === 1 && rest[0] !== undefined) {
      // Wire-identical to Get at a subscription scope; a role definition's own ID is root- or subscription-scoped.
      const byId = scopeSegs.length === 0 || (scopeSegs.length === 2 && eq(scopeSegs[0], "subscriptions"));
      return {
        ok: true,
        tidyPath,
        route: {
          operation: byId ? "RoleDefinitions_GetById" : "RoleDefinitions_Get",
          scope,
          roleDefinitionId: rest[0],
        },
      };
    }
    return { ok: false, tidyPath };
  }

  if (seg.length < 8 || !eq(seg[0], "subscriptions") || !eq(seg[2], "resourceGroups") || !eq(seg[4], "providers"))
    return { ok: false, tidyPath };
  const sub = seg[1] ?? "";
  const rg = seg[3] ?? "";
  const ns = seg[5];
  const type = seg[6];
  const name = seg[7] ?? "";
  if (eq(ns, "Microsoft.Network") && eq(type, "virtualNetworks")) {
    if (seg.length === 8)
      return { ok: true, tidyPath, route: { operation: "VirtualNetworks_Get", sub, rg, vnet: name } };
    if (seg.length === 9 && eq(seg[8], "usages"))
      return { ok: true, tidyPath, route: { operation: "VirtualNetworks_ListUsage", sub, rg, vnet: name } };
    if (seg.length === 10 && eq(seg[8], "subnets"))
      return { ok: true, tidyPath, route: { operation: "Subnets_Get", sub, rg, vnet: name, subnet: seg[9] ?? "" } };
  }
  const networkOp =
    eq(ns, "Microsoft.Network") && seg.length === 8 ? NETWORK_RESOURCE_TYPES[(type ?? "").toLowerCase()] : undefined;
  if (networkOp !== undefined) return { ok: true, tidyPath, route: { operation: networkOp, sub, rg, name } };
  if (eq(ns, "Microsoft.ContainerService") && eq(type, "managedClusters") && seg.length === 8) {
    return { ok: true, tidyPath, route: { operation: "ManagedClusters_Get", sub, rg, name } };
  }
  return { ok: false, tidyPath };
}

/** Splits an ARM scope into subscription and resource group (names as given). */
export function scopeParts(scope: string): { sub?: string; rg?: string } {
  const seg = scope.split("/").filter((s) => s !== "");
  const out: { sub?: string; rg?: string } = {};
  if (eq(seg[0], "subscriptions") && seg[1] !== undefined) out.sub = seg[1];
  if (eq(seg[2], "resourceGroups") && seg[3] !== undefined) out.rg = seg[3];
  return out;
}

/** Parses an ARM resource ID of a subscription, RG, VNet, subnet or managed cluster (admin API). */
export function parseResourceId(
  id: string,
):
  | { kind: "subscription"; sub: string }
  | { kind: "resourceGroup"; sub: string; rg: string }
  | { kind: "vnet"; sub: string; rg: string; vnet: string }
  | { kind: "subnet"; sub: string; rg: string; vnet: string; subnet: string }
  | { kind: "managedCluster"; sub: string; rg: string; name: string }
  | { kind: "networkResource"; operation: NetworkResourceOperation; sub: string; rg: string; name: string }
  | undefined {
  const seg = id
    .split("/")
    .filter((s) => s !== "")
    .map(decode);
  if (!eq(seg[0], "subscriptions") || seg[1] === undefined) return undefined;
  const sub = seg[1];
  if (seg.length === 2) return { kind: "subscription", sub };
  if (!eq(seg[2], "resourceGroups") || seg[3] === undefined) return undefined;
  const rg = seg[3];
  if (seg.length === 4) return { kind: "resourceGroup", sub, rg };
  if (!eq(seg[4], "providers") || seg[7] === undefined) return undefined;
  if (eq(seg[5], "Microsoft.Network") && eq(seg[6], "virtualNetworks")) {
    if (seg.length === 8) return { kind: "vnet", sub, rg, vnet: seg[7] };
    if (seg.length === 10 && eq(seg[8], "subnets") && seg[9] !== undefined)
      return { kind: "subnet", sub, rg, vnet: seg[7], subnet: seg[9] };
  }
  if (eq(seg[5], "Microsoft.ContainerService") && eq(seg[6], "managedClusters") && seg.length === 8)
    return { kind: "managedCluster", sub, rg, name: seg[7] };
  const networkOp =
    eq(seg[5], "Microsoft.Network") && seg.length === 8
      ? NETWORK_RESOURCE_TYPES[(seg[6] ?? "").toLowerCase()]
      : undefined;
  if (networkOp !== undefined) return { kind: "networkResource", operation: networkOp, sub, rg, name: seg[7] };
  return undefined;
}
