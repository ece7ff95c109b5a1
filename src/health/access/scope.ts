/** ARM scope containment for role and deny assignments (Azure RBAC's documented rules). */

const MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/";

/** Lower-cases, collapses repeated slashes, ensures one leading slash and drops trailing ones. */
export function normalizeScope(scope: string): string {
  const collapsed = `/${scope.trim()}`.replace(/\/+/g, "/").toLowerCase();
  return collapsed.length > 1 ? collapsed.replace(/\/+$/, "") : collapsed;
}

export function sameScope(a: string, b: string): boolean {
  return normalizeScope(a) === normalizeScope(b);
}

export function isManagementGroupScope(scope: string): boolean {
  const s = normalizeScope(scope);
  return (
    s.startsWith(MANAGEMENT_GROUP_PREFIX) &&
    s.length > MANAGEMENT_GROUP_PREFIX.length &&
    !s.slice(MANAGEMENT_GROUP_PREFIX.length).includes("/")
  );
}

/**
 * Whether an assignment made at `scope` applies to `resourceId`: the scope is the resource itself or an
 * ancestor at a `/` boundary (so ".../subnets/a" does not contain ".../subnets/ab").
 *
 * The root scope "/" and management-group scopes count as ancestors of everything: a subscription's place
 * in the management-group tree is not visible in its ARM ID, and the listing APIs we read from
 * (`atScope()`, `assignedTo()`) only return management-group assignments whose group does contain the
 * subscription. Rejecting them would drop real grants such as a tenant-wide Owner.
 */
export function scopeContains(scope: string, resourceId: string): boolean {
  const s = normalizeScope(scope);
  const r = normalizeScope(resourceId);
  if (s === "/" || isManagementGroupScope(s)) return true;
  return r === s || r.startsWith(`${s}/`);
}
