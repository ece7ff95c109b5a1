/** Names of the ARM operations the simulator serves, as the REST specs call them. */
export const OPERATIONS = [
  "Subnets_Get",
  "VirtualNetworks_Get",
  "VirtualNetworks_ListUsage",
  "RoleAssignments_ListForScope",
  "RoleDefinitions_Get",
  "RoleDefinitions_GetById",
  "DenyAssignments_ListForResource",
  "DenyAssignments_ListForScope",
  "Permissions_ListForResource",
  "Permissions_ListForResourceGroup",
  "ManagedClusters_Get",
  "NetworkSecurityGroups_Get",
  "RouteTables_Get",
  "NatGateways_Get",
] as const;

export type OperationName = (typeof OPERATIONS)[number];
/** Requests the simulator could not route are counted under this name. */
export type CountedOperation = OperationName | "Unknown";
