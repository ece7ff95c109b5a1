/**
 * Azure RBAC action strings and wildcard matching (Azure RBAC's documented rules): `*` may appear anywhere, several
 * times, and spans `/`; permission strings are case-insensitive.
 */
import type { PermissionData } from "./types.js";

export const SUBNET_READ = "Microsoft.Network/virtualNetworks/subnets/read";
export const SUBNET_JOIN = "Microsoft.Network/virtualNetworks/subnets/join/action";

/**
 * Actions Karpenter never needs on its subnet; holding them means the identity could reshape or delete
 * the network. Wildcards that cover them are caught because we test these concrete actions.
 */
export const SUBNET_WRITE_ACTION = "Microsoft.Network/virtualNetworks/subnets/write";
export const SUBNET_DELETE_ACTION = "Microsoft.Network/virtualNetworks/subnets/delete";
export const VNET_WRITE_ACTION = "Microsoft.Network/virtualNetworks/write";
export const VNET_DELETE_ACTION = "Microsoft.Network/virtualNetworks/delete";
export const BROAD_ACTIONS = [
  SUBNET_WRITE_ACTION,
  SUBNET_DELETE_ACTION,
  VNET_WRITE_ACTION,
  VNET_DELETE_ACTION,
] as const;

const REGEX_META = /[.*+?^${}()|[\]\\]/g;

// Role definitions repeat the same few patterns across assignments and reconciles.
const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 4096;

/** Compiles an action pattern into an anchored, case-insensitive regex (`*` → `.*`, everything else literal). */
export function actionPatternToRegExp(pattern: string): RegExp {
  const key = pattern.trim();
  const hit = cache.get(key);
  if (hit) return hit;
  const source = key
    .split("*")
    .map((part) => part.replace(REGEX_META, "\\$&"))
    .join(".*");
  const re = new RegExp(`^${source}$`, "is");
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, re);
  return re;
}

export function actionMatches(pattern: string, action: string): boolean {
  return actionPatternToRegExp(pattern).test(action.trim());
}

export function matchesAny(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => actionMatches(p, action));
}

/**
 * Whether one permission entry allows the action. notActions only subtracts from this entry's actions:
 * it is not a deny, so another entry or assignment may still grant the action.
 */
export function permits(entry: PermissionData, action: string): boolean {
  return matchesAny(entry.actions, action) && !matchesAny(entry.notActions, action);
}
