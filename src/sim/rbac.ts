/**
 * ARM's authorization as the simulator's gateway applies it (Azure RBAC's documented rules): wildcard action
 * matching, assignments inherited from every scope above, notActions that only narrow one
 * assignment, and deny assignments that override any allow.
 */
import { EVERYONE_PRINCIPAL } from "./topology.js";
import {
  canonicalScope,
  type DenyAssignmentState,
  type PermissionEntry,
  type RoleAssignmentState,
  type SimState,
} from "./state.js";

const patternCache = new Map<string, RegExp>();

/** Azure permission pattern match: `*` anywhere (spans `/`), case-insensitive, anchored. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "i");
    patternCache.set(pattern, re);
  }
  return re.test(action);
}

/** True when `ancestor` is `scope` or a parent of it at a `/` boundary (both any case). */
export function scopeCovers(ancestor: string, scope: string): boolean {
  const a = canonicalScope(ancestor);
  const s = canonicalScope(scope);
  if (a === "/") return true;
  return s === a || s.startsWith(`${a}/`);
}

export function entryGrants(entry: PermissionEntry, action: string): boolean {
  return entry.actions.some((p) => actionMatches(p, action)) && !entry.notActions.some((p) => actionMatches(p, action));
}

export function denyApplies(d: DenyAssignmentState, principalId: string, scope: string): boolean {
  const covered = d.doNotApplyToChildScopes
    ? canonicalScope(d.scope) === canonicalScope(scope)
    : scopeCovers(d.scope, scope);
  if (!covered) return false;
  const pid = principalId.toLowerCase();
  const named = d.principals.some((p) => p.id.toLowerCase() === pid || p.id === EVERYONE_PRINCIPAL);
  const excluded = d.excludePrincipals.some((p) => p.id.toLowerCase() === pid);
  return named && !excluded;
}

/** The caller's role assignments that apply at `scope` (at it or inherited from above). */
export function applicableAssignments(state: SimState, principalId: string, scope: string): RoleAssignmentState[] {
  const pid = principalId.toLowerCase();
  return [...state.roleAssignments.values()].filter(
    (a) => a.principalId.toLowerCase() === pid && scopeCovers(a.scope, scope),
  );
}

export interface AuthzDecision {
  allowed: boolean;
  /** set when an allow was overridden by a deny assignment */
  deniedBy?: string;
}

/**
 * Would ARM let `principalId` perform `action` at `scope`? ABAC conditions are not evaluated for
 * the gateway check (Azure documents no enforcement on Microsoft.Network reads); a conditioned
 * assignment grants like an unconditioned one here.
 */
export function authorize(state: SimState, principalId: string, action: string, scope: string): AuthzDecision {
  const granted = applicableAssignments(state, principalId, scope).some((a) => {
    const def = state.roleDefinitions.get(a.roleGuid);
    return def?.permissions.some((p) => entryGrants(p, action)) ?? false;
  });
  if (!granted) return { allowed: false };
  for (const d of state.denyAssignments.values()) {
    if (denyApplies(d, principalId, scope) && d.permissions.some((p) => entryGrants(p, action)))
      return { allowed: false, deniedBy: d.id };
  }
  return { allowed: true };
}

/** Is `action` granted by some assignment of the caller anywhere (for root-scoped reads)? */
export function grantedAnywhere(state: SimState, principalId: string, action: string): boolean {
  const pid = principalId.toLowerCase();
  return [...state.roleAssignments.values()].some(
    (a) =>
      a.principalId.toLowerCase() === pid &&
      (state.roleDefinitions.get(a.roleGuid)?.permissions.some((p) => entryGrants(p, action)) ?? false),
  );
}

/** Permissions_ListFor*: one entry per applicable role, denies not folded in (as Azure does). */
export function effectivePermissionEntries(state: SimState, principalId: string, scope: string): PermissionEntry[] {
  const seen = new Set<string>();
  const out: PermissionEntry[] = [];
  for (const a of applicableAssignments(state, principalId, scope)) {
    if (seen.has(a.roleGuid)) continue;
    seen.add(a.roleGuid);
    for (const p of state.roleDefinitions.get(a.roleGuid)?.permissions ?? []) out.push(structuredClone(p));
  }
  return out;
}
