/**
 * The Microsoft.Authorization reads for a subnet, normalized to the evaluator's input types
 * (src/health/access/types.ts) so nothing downstream sees SDK shapes. `armAuthorizationReader` is the real
 * one: SDK calls under the ARM limiter.
 */
import type { DenyAssignment, Permission, RoleAssignment, RoleDefinition } from "@azure/arm-authorization";
import type {
  DenyAssignmentData,
  PermissionData,
  RoleAssignmentData,
  RoleDefinitionData,
} from "../health/access/types.js";
import type { SubnetRef } from "../health/types.js";
import type { ArmLimiter } from "./arm-limiter.js";
import type { AzureClients } from "./clients.js";
import { withListingBudget } from "./request-guard.js";

export interface AuthorizationReader {
  /** assignments at or above the subnet that apply to the principal (groups included), all pages */
  listRoleAssignments(subnet: SubnetRef, principalId: string): Promise<RoleAssignmentData[]>;
  getRoleDefinition(subscriptionId: string, roleDefinitionId: string): Promise<RoleDefinitionData>;
  listDenyAssignments(subnet: SubnetRef): Promise<DenyAssignmentData[]>;
  /** the caller's (operator identity's) effective permissions at the subnet */
  listPermissions(subnet: SubnetRef): Promise<PermissionData[]>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(s: string): boolean {
  return GUID.test(s);
}

/**
 * The SDK puts `{scope}` after a "/" it already has and does not encode it, so an ID with its leading
 * slash becomes "//subscriptions/…" on the wire (as the role-assignments REST API documents).
 */
export function withoutLeadingSlash(id: string): string {
  return id.replace(/^\/+/, "");
}

/** `atScope() and assignedTo('<oid>')`: assignments at or above the scope, for the principal and its groups. */
export function roleAssignmentFilter(principalId: string): string {
  // The ID goes into an OData string literal: accept only a GUID so nothing can break out of the quotes.
  if (!isGuid(principalId)) throw new Error(`principal ID '${principalId}' is not an object ID (GUID)`);
  return `atScope() and assignedTo('${principalId.toLowerCase()}')`;
}

const strings = (v: string[] | undefined): string[] => (v ?? []).filter((s): s is string => typeof s === "string");

export function roleAssignmentFromSdk(a: RoleAssignment): RoleAssignmentData {
  const out: RoleAssignmentData = {
    id: a.id ?? "",
    scope: a.scope ?? "",
    roleDefinitionId: a.roleDefinitionId ?? "",
    principalId: a.principalId ?? "",
  };
  if (a.principalType) out.principalType = a.principalType;
  if (a.condition) out.condition = a.condition;
  if (a.conditionVersion) out.conditionVersion = a.conditionVersion;
  return out;
}

export function roleDefinitionFromSdk(d: RoleDefinition): RoleDefinitionData {
  const out: RoleDefinitionData = {
    id: d.id ?? "",
    name: d.name ?? "",
    roleName: d.roleName ?? d.name ?? "",
    permissions: (d.permissions ?? []).map((p: Permission) => ({
      actions: strings(p.actions),
      notActions: strings(p.notActions),
      dataActions: strings(p.dataActions),
      notDataActions: strings(p.notDataActions),
    })),
  };
  if (d.roleType) out.roleType = d.roleType;
  return out;
}

export function denyAssignmentFromSdk(d: DenyAssignment): DenyAssignmentData {
  const principal = (p: { id?: string; type?: string }): { id: string; type?: string } =>
    p.type ? { id: p.id ?? "", type: p.type } : { id: p.id ?? "" };
  const out: DenyAssignmentData = {
    id: d.id ?? "",
    scope: d.scope ?? "",
    permissions: (d.permissions ?? []).map((p) => ({
      actions: strings(p.actions),
      notActions: strings(p.notActions),
      ...(p.condition ? { condition: p.condition } : {}),
    })),
    principals: (d.principals ?? []).map(principal),
    excludePrincipals: (d.excludePrincipals ?? []).map(principal),
    doNotApplyToChildScopes: d.doNotApplyToChildScopes ?? false,
  };
  if (d.isSystemProtected !== undefined) out.isSystemProtected = d.isSystemProtected;
  return out;
}

/** The classic SDK's (resourceGroup, provider, parentPath, type, name) for a subnet; only names are encoded. */
function subnetResource(subnet: SubnetRef): [string, string, string, string, string] {
  return [subnet.resourceGroup, "Microsoft.Network", `virtualNetworks/${subnet.vnet}`, "subnets", subnet.subnet];
}

export function armAuthorizationReader(
  clients: AzureClients,
  limiter: ArmLimiter,
  opts: { timeoutMs?: number } = {},
): AuthorizationReader {
  const timeout = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const authz = (sub: string) => clients.forSubscription(sub).authorization;
  return {
    listRoleAssignments: (subnet, principalId) => {
      const filter = roleAssignmentFilter(principalId);
      return limiter.schedule(
        "RoleAssignments_ListForScope",
        (abortSignal) =>
          withListingBudget("RoleAssignments_ListForScope", clients.maxPages, async () => {
            const out: RoleAssignmentData[] = [];
            for await (const a of authz(subnet.subscriptionId).roleAssignments.listForScope(
              withoutLeadingSlash(subnet.id),
              { filter, abortSignal },
            )) {
              out.push(roleAssignmentFromSdk(a));
            }
            return out;
          }),
        { ...timeout, target: subnet.id },
      );
    },
    getRoleDefinition: (subscriptionId, roleDefinitionId) =>
      limiter.schedule(
        "RoleDefinitions_GetById",
        async (abortSignal) =>
          roleDefinitionFromSdk(
            await authz(subscriptionId).roleDefinitions.getById(withoutLeadingSlash(roleDefinitionId), { abortSignal }),
          ),
        { ...timeout, target: roleDefinitionId },
      ),
    listDenyAssignments: (subnet) =>
      limiter.schedule(
        "DenyAssignments_ListForResource",
        (abortSignal) =>
          withListingBudget("DenyAssignments_ListForResource", clients.maxPages, async () => {
            const out: DenyAssignmentData[] = [];
            for await (const d of authz(subnet.subscriptionId).denyAssignments.listForResource(
              ...subnetResource(subnet),
              { abortSignal },
            )) {
              out.push(denyAssignmentFromSdk(d));
            }
            return out;
          }),
        { ...timeout, target: subnet.id },
      ),
    listPermissions: (subnet) =>
      limiter.schedule(
        "Permissions_ListForResource",
        (abortSignal) =>
          withListingBudget("Permissions_ListForResource", clients.maxPages, async () => {
            const out: PermissionData[] = [];
            for await (const p of authz(subnet.subscriptionId).permissions.listForResource(...subnetResource(subnet), {
              abortSignal,
            })) {
              out.push({ actions: strings(p.actions), notActions: strings(p.notActions) });
            }
            return out;
          }),
        { ...timeout, target: subnet.id },
      ),
  };
}
