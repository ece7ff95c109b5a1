/**
 * Normalized RBAC inputs. The Azure layer builds these from @azure/arm-authorization results so the
 * evaluator never depends on SDK shapes (or their optional-everything typing).
 */

export interface RoleAssignmentData {
  /** full ARM ID of the role assignment */
  id: string;
  /** scope the assignment was made at, e.g. "/subscriptions/…/resourceGroups/…" */
  scope: string;
  /** subscription-qualified or "/providers/…/roleDefinitions/{guid}": compared by trailing GUID */
  roleDefinitionId: string;
  principalId: string;
  /** User | Group | ServicePrincipal | ForeignGroup | … */
  principalType?: string;
  /** ABAC condition (condition language 2.0) */
  condition?: string;
  conditionVersion?: string;
}

export interface RoleDefinitionData {
  id: string;
  /** the role GUID */
  name: string;
  roleName: string;
  /** BuiltInRole | CustomRole */
  roleType?: string;
  permissions: Array<{ actions: string[]; notActions: string[]; dataActions?: string[]; notDataActions?: string[] }>;
}

export interface DenyAssignmentData {
  id: string;
  scope: string;
  permissions: Array<{ actions: string[]; notActions: string[]; condition?: string }>;
  principals: Array<{ id: string; type?: string }>;
  excludePrincipals: Array<{ id: string; type?: string }>;
  doNotApplyToChildScopes: boolean;
  isSystemProtected?: boolean;
}

/** One entry of Permissions_ListForResource (the caller's own effective permissions). */
export interface PermissionData {
  actions: string[];
  notActions: string[];
}
