/** Fixtures shared by the access tests: realistic role definitions and assignment builders. */
import type { SubnetRef } from "../types.js";
import {
  BUILT_IN_ROLES,
  CONTRIBUTOR_ROLE_ID,
  NETWORK_CONTRIBUTOR_ROLE_ID,
  OWNER_ROLE_ID,
  READER_ROLE_ID,
} from "./built-in-roles.js";
import type { DenyAssignmentData, RoleAssignmentData, RoleDefinitionData } from "./types.js";

export const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
export const KARPENTER = "11111111-2222-3333-4444-555555555555";
export const OTHER_PRINCIPAL = "99999999-8888-7777-6666-555555555555";
export const CUSTOM_ROLE_ID = "c0ffee00-0000-4000-8000-00000000abcd";

export function subnetRef(subnet = "nodes", vnet = "aks-vnet", rg = "net-rg", sub = SUB): SubnetRef {
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
  const vnetId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
  return {
    subscriptionId: sub,
    resourceGroup: rg,
    vnet,
    subnet,
    id,
    canonical: id.toLowerCase(),
    vnetCanonical: vnetId.toLowerCase(),
  };
}

export const SUBNET = subnetRef();
export const VNET_SCOPE = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet`;
export const RG_SCOPE = `/subscriptions/${SUB}/resourceGroups/net-rg`;
export const SUB_SCOPE = `/subscriptions/${SUB}`;

const roleDefId = (guid: string): string =>
  `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

function builtIn(guid: string): RoleDefinitionData {
  const r = BUILT_IN_ROLES.find((b) => b.name === guid);
  if (!r) throw new Error(`no built-in role ${guid}`);
  return {
    id: roleDefId(guid),
    name: guid,
    roleName: r.roleName,
    roleType: "BuiltInRole",
    permissions: [{ actions: [...r.actions], notActions: [...r.notActions] }],
  };
}

export const NETWORK_CONTRIBUTOR = builtIn(NETWORK_CONTRIBUTOR_ROLE_ID);
export const READER = builtIn(READER_ROLE_ID);
export const OWNER = builtIn(OWNER_ROLE_ID);
export const CONTRIBUTOR = builtIn(CONTRIBUTOR_ROLE_ID);

export const KARPENTER_SUBNET_ROLE: RoleDefinitionData = {
  id: roleDefId(CUSTOM_ROLE_ID),
  name: CUSTOM_ROLE_ID,
  roleName: "Karpenter Subnet Access",
  roleType: "CustomRole",
  permissions: [
    {
      actions: [
        "Microsoft.Network/virtualNetworks/subnets/read",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
      ],
      notActions: [],
    },
  ],
};

export const ALL_DEFINITIONS: ReadonlyMap<string, RoleDefinitionData> = new Map(
  [NETWORK_CONTRIBUTOR, READER, OWNER, CONTRIBUTOR, KARPENTER_SUBNET_ROLE].map((d) => [d.name.toLowerCase(), d]),
);

export const NAP_CONDITION =
  "((!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/write'})) AND (!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/delete'})))";

let counter = 0;
/** A role assignment of `role` at `scope` (defaults: Karpenter's principal, no condition). */
export function assign(
  role: RoleDefinitionData,
  scope: string,
  extra: Partial<RoleAssignmentData> = {},
): RoleAssignmentData {
  counter++;
  const guid = `aaaaaaaa-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${guid}`,
    scope,
    roleDefinitionId: role.id,
    principalId: KARPENTER,
    principalType: "ServicePrincipal",
    ...extra,
  };
}

export function deny(scope: string, extra: Partial<DenyAssignmentData> = {}): DenyAssignmentData {
  counter++;
  return {
    id: `${scope}/providers/Microsoft.Authorization/denyAssignments/dddddddd-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`,
    scope,
    permissions: [{ actions: ["*"], notActions: ["*/read"] }],
    principals: [{ id: KARPENTER, type: "ServicePrincipal" }],
    excludePrincipals: [],
    doNotApplyToChildScopes: false,
    ...extra,
  };
}
