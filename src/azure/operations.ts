/**
 * ARM operation names (the REST spec's operationIds, as the simulator counts them) derived from a request's
 * method and path. Naming by URL keeps one pipeline policy valid for every SDK client and for paged
 * `nextLink` requests, which carry no SDK operation context.
 */
export type ArmOperation =
  | "Subnets_Get"
  | "VirtualNetworks_Get"
  | "VirtualNetworks_ListUsage"
  | "RoleAssignments_ListForScope"
  | "RoleDefinitions_GetById"
  | "DenyAssignments_ListForResource"
  | "DenyAssignments_ListForScope"
  | "Permissions_ListForResource"
  | "ManagedClusters_Get"
  | "NetworkSecurityGroups_Get"
  | "RouteTables_Get"
  | "NatGateways_Get"
  | "Other";

const AUTHZ =
  /\/providers\/microsoft\.authorization\/(roleassignments|roledefinitions|denyassignments|permissions)(\/[^/]+)?$/;

/** Names the ARM operation for an HTTP request. Unknown shapes are "Other" (bounded metric cardinality). */
export function operationFromRequest(method: string, url: string): ArmOperation {
  if (method.toUpperCase() !== "GET") return "Other";
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return "Other";
  }
  path = path
    .replace(/\/{2,}/g, "/")
    .replace(/\/$/, "")
    .toLowerCase();
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path
  }
  const authz = AUTHZ.exec(path);
  if (authz) {
    const [, kind, item] = authz;
    switch (kind) {
      case "roleassignments":
        return item ? "Other" : "RoleAssignments_ListForScope";
      case "roledefinitions":
        return item ? "RoleDefinitions_GetById" : "Other";
      case "denyassignments":
        if (item) return "Other";
        // a resource-level listing names a provider before the authorization provider
        return /\/resourcegroups\/[^/]+\/providers\/(?!microsoft\.authorization\/)/.test(path)
          ? "DenyAssignments_ListForResource"
          : "DenyAssignments_ListForScope";
      case "permissions":
        return item ? "Other" : "Permissions_ListForResource";
    }
  }
  if (/\/providers\/microsoft\.network\/virtualnetworks\/[^/]+\/subnets\/[^/]+$/.test(path)) return "Subnets_Get";
  if (/\/providers\/microsoft\.network\/virtualnetworks\/[^/]+\/usages$/.test(path)) return "VirtualNetworks_ListUsage";
  if (/\/providers\/microsoft\.network\/virtualnetworks\/[^/]+$/.test(path)) return "VirtualNetworks_Get";
  if (/\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/.test(path)) return "ManagedClusters_Get";
  if (/\/providers\/microsoft\.network\/networksecuritygroups\/[^/]+$/.test(path)) return "NetworkSecurityGroups_Get";
  if (/\/providers\/microsoft\.network\/routetables\/[^/]+$/.test(path)) return "RouteTables_Get";
  if (/\/providers\/microsoft\.network\/natgateways\/[^/]+$/.test(path)) return "NatGateways_Get";
  return "Other";
}
