/**
 * Decides whether an identity may read and join a subnet from its role assignments, their role
 * definitions, ABAC conditions and deny assignments (Azure RBAC's documented rules). Pure: the Azure layer
 * fetches and normalizes the inputs.
 */
import type { AccessApproach, AccessEvaluation, AccessVerdict, ActionAccess, SubnetRef } from "../types.js";
import { evaluateConditionText, undecidableAtoms, type Tri } from "./abac.js";
import {
  BROAD_ACTIONS,
  SUBNET_DELETE_ACTION,
  SUBNET_JOIN,
  SUBNET_READ,
  SUBNET_WRITE_ACTION,
  VNET_DELETE_ACTION,
  VNET_WRITE_ACTION,
  permits,
} from "./actions.js";
import { sameScope, scopeContains } from "./scope.js";
import type { DenyAssignmentData, PermissionData, RoleAssignmentData, RoleDefinitionData } from "./types.js";

import { CONTRIBUTOR_ROLE_ID, NETWORK_CONTRIBUTOR_ROLE_ID, OWNER_ROLE_ID, READER_ROLE_ID } from "./built-in-roles.js";

export { CONTRIBUTOR_ROLE_ID, NETWORK_CONTRIBUTOR_ROLE_ID, OWNER_ROLE_ID, READER_ROLE_ID };
const KNOWN_BUILT_IN = new Set([NETWORK_CONTRIBUTOR_ROLE_ID, READER_ROLE_ID, OWNER_ROLE_ID, CONTRIBUTOR_ROLE_ID]);

/** Deny-assignment principal meaning "everyone" (minus excludePrincipals). */
export const EVERYONE_PRINCIPAL_ID = "00000000-0000-0000-0000-000000000000";

const GROUP_TYPES = new Set(["group", "foreigngroup"]);
const isGroupType = (type: string | undefined): boolean => type !== undefined && GROUP_TYPES.has(type.toLowerCase());
const sameId = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

/** Trailing GUID of a role definition ID, lower-case: the key of the definitions map. */
export function roleGuid(roleDefinitionId: string): string {
  const parts = roleDefinitionId
    .trim()
    .split("/")
    .filter((p) => p.length > 0);
  return (parts[parts.length - 1] ?? "").toLowerCase();
}

export interface EvaluateAccessInput {
  principalId: string;
  subnet: SubnetRef;
  assignments: RoleAssignmentData[];
  /** keyed by lower-case role GUID */
  definitions: ReadonlyMap<string, RoleDefinitionData>;
  denies: DenyAssignmentData[];
}

export interface EvaluateSelfAccessInput {
  /** Permissions_ListForResource entries at the subnet, one per role of the caller */
  permissions: PermissionData[];
  denies?: DenyAssignmentData[];
  /** the operator's own object ID, when known (lets deny assignments naming it be decided) */
  principalId?: string;
  subnet: SubnetRef;
}

type GrantKind = "granted" | "conditional" | "unknown" | "none";

/** What one role assignment contributes for one action. */
interface GrantOutcome {
  kind: GrantKind;
  assignment: RoleAssignmentData;
  definition: RoleDefinitionData | undefined;
  /** condition value for the action when the role includes it */
  condition?: Tri;
  /** attribute expressions of the condition that could not be decided offline */
  undecided?: string[];
  explanation: string;
}

type DenyKind = "denies" | "maybe" | "no";
interface DenyOutcome {
  kind: DenyKind;
  deny: DenyAssignmentData;
  explanation: string;
}

function describeAssignment(a: RoleAssignmentData, d: RoleDefinitionData | undefined): string {
  const role = d ? `role '${d.roleName}'` : `role ${roleGuid(a.roleDefinitionId)}`;
  const via = isGroupType(a.principalType) ? `, via group ${a.principalId}` : "";
  // the assignment's ID is its scope plus a GUID: the scope is already said, so name the GUID only
  const name = a.id.slice(a.id.lastIndexOf("/") + 1);
  return `${role} at ${a.scope} (assignment ${name}${via})`;
}

function lookupDefinition(
  definitions: ReadonlyMap<string, RoleDefinitionData>,
  guid: string,
): RoleDefinitionData | undefined {
  const direct = definitions.get(guid);
  if (direct) return direct;
  // Tolerate callers that keyed the map by the GUID as Azure spelled it.
  for (const [key, def] of definitions) {
    if (key.toLowerCase() === guid || roleGuid(def.name) === guid) return def;
  }
  return undefined;
}

function assessGrant(
  a: RoleAssignmentData,
  definitions: ReadonlyMap<string, RoleDefinitionData>,
  action: string,
): GrantOutcome {
  const definition = lookupDefinition(definitions, roleGuid(a.roleDefinitionId));
  const who = describeAssignment(a, definition);
  if (!definition) {
    return {
      kind: "unknown",
      assignment: a,
      definition,
      explanation: `the role definition of ${who} could not be read, so what it grants is unknown`,
    };
  }
  if (!definition.permissions.some((p) => permits(p, action))) {
    return { kind: "none", assignment: a, definition, explanation: `${who} does not include it` };
  }
  const condition = a.condition?.trim();
  if (!condition) return { kind: "granted", assignment: a, definition, explanation: `granted by ${who}` };
  const verdict = evaluateConditionText(condition, action);
  if (verdict.error) {
    return {
      kind: "unknown",
      assignment: a,
      definition,
      condition: "unknown",
      explanation: `the condition on ${who} is not understood (${verdict.error.message}), so it is not counted as a grant`,
    };
  }
  switch (verdict.value) {
    case "true":
      return {
        kind: "granted",
        assignment: a,
        definition,
        condition: "true",
        explanation: `granted by ${who}; its condition allows it`,
      };
    case "false":
      return {
        kind: "none",
        assignment: a,
        definition,
        condition: "false",
        explanation: `${who} excludes it by its condition`,
      };
    case "unknown": {
      const atoms = verdict.node ? undecidableAtoms(verdict.node) : [];
      const first = atoms[0] !== undefined ? `: ${truncate(atoms[0], 160)}` : "";
      return {
        kind: "conditional",
        assignment: a,
        definition,
        condition: "unknown",
        undecided: atoms,
        explanation: `an ABAC attribute condition on assignment ${a.id} (role '${definition.roleName}' at ${a.scope}) cannot be evaluated offline${first}`,
      };
    }
  }
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Whether a deny assignment applies to this principal (undefined principal: the caller's ID is unknown). */
function denyPrincipal(deny: DenyAssignmentData, principalId: string | undefined): { kind: DenyKind; why: string } {
  const excludedDirectly = deny.excludePrincipals.some((p) => sameId(p.id, principalId));
  if (excludedDirectly) return { kind: "no", why: "" };
  const excludesGroup = deny.excludePrincipals.some((p) => isGroupType(p.type));
  let best: { kind: DenyKind; why: string } = { kind: "no", why: "" };
  for (const p of deny.principals) {
    if (sameId(p.id, principalId)) return { kind: "denies", why: `names principal ${p.id}` };
    if (sameId(p.id, EVERYONE_PRINCIPAL_ID)) {
      if (principalId !== undefined && !excludesGroup)
        return { kind: "denies", why: "applies to everyone and does not exclude this principal" };
      best = {
        kind: "maybe",
        why:
          principalId === undefined
            ? "applies to everyone except its excluded principals, and the checked identity's object ID is not known"
            : "applies to everyone except excluded groups, and group membership cannot be checked without Microsoft Graph",
      };
    } else if (isGroupType(p.type)) {
      best = {
        kind: "maybe",
        why: `names group ${p.id}, and group membership cannot be checked without Microsoft Graph`,
      };
    } else if (principalId === undefined && best.kind === "no") {
      best = { kind: "maybe", why: `names principal ${p.id}, and the checked identity's object ID is not known` };
    }
  }
  return best;
}

/** `target` is the resource the action is performed on (the subnet, or the VNet for VNet actions). */
function assessDeny(
  deny: DenyAssignmentData,
  principalId: string | undefined,
  target: string,
  action: string,
): DenyOutcome {
  const inScope = deny.doNotApplyToChildScopes ? sameScope(deny.scope, target) : scopeContains(deny.scope, target);
  if (!inScope) return { kind: "no", deny, explanation: "" };
  const principal = denyPrincipal(deny, principalId);
  if (principal.kind === "no") return { kind: "no", deny, explanation: "" };
  let actionKind: DenyKind = "no";
  for (const entry of deny.permissions) {
    if (!permits(entry, action)) continue;
    const cond = entry.condition?.trim();
    const value: Tri = cond ? evaluateConditionText(cond, action).value : "true";
    if (value === "true") {
      actionKind = "denies";
      break;
    }
    if (value === "unknown") actionKind = "maybe";
  }
  if (actionKind === "no") return { kind: "no", deny, explanation: "" };
  const kind: DenyKind = actionKind === "denies" && principal.kind === "denies" ? "denies" : "maybe";
  const where = `deny assignment ${deny.id} at ${deny.scope}`;
  const explanation =
    kind === "denies"
      ? `explicitly denied by ${where} (deny assignments override every role assignment; they are created by managed applications or deployment stacks)`
      : `${where} may deny it: it ${principal.kind === "maybe" ? principal.why : "has a condition that cannot be evaluated offline"}`;
  return { kind, deny, explanation };
}

function actsOnVNet(action: string): boolean {
  return action === VNET_WRITE_ACTION || action === VNET_DELETE_ACTION;
}

const GRANT_RANK: Record<GrantKind, number> = { granted: 3, conditional: 2, unknown: 1, none: 0 };

function combine(action: string, grants: GrantOutcome[], denies: DenyOutcome[], notGrantedText: string): ActionAccess {
  const definite = denies.filter((d) => d.kind === "denies");
  const possible = denies.filter((d) => d.kind === "maybe");
  if (definite.length > 0) {
    return {
      action,
      verdict: "denied",
      grantedBy: [],
      deniedBy: definite.map((d) => d.deny.id),
      detail: `${action} is ${definite.map((d) => d.explanation).join("; ")}.`,
    };
  }
  const best = grants.reduce<GrantKind>((acc, g) => (GRANT_RANK[g.kind] > GRANT_RANK[acc] ? g.kind : acc), "none");
  if (best === "none") {
    const notes = grants.map((g) => g.explanation);
    return {
      action,
      verdict: "denied",
      grantedBy: [],
      deniedBy: [],
      detail: `${action} is not granted: ${notGrantedText}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}.`,
    };
  }
  const contributing = grants.filter((g) => g.kind === best);
  const grantedBy = contributing.map((g) => g.assignment.id);
  const grantText = contributing.map((g) => g.explanation).join("; ");
  if (possible.length > 0) {
    return {
      action,
      verdict: "unknown",
      grantedBy,
      deniedBy: possible.map((d) => d.deny.id),
      detail: `${action}: ${grantText}, but ${possible.map((d) => d.explanation).join("; ")}.`,
    };
  }
  const verdict: AccessVerdict = best;
  const prefix = verdict === "granted" ? `${action} is ` : `${action}: `;
  const undecided = [...new Set(contributing.flatMap((g) => g.undecided ?? []))];
  return {
    action,
    verdict,
    grantedBy,
    deniedBy: [],
    detail: `${prefix}${grantText}.`,
    ...(verdict === "conditional" && undecided.length > 0 ? { undecidedConditions: undecided } : {}),
  };
}

function isNetworkContributor(a: RoleAssignmentData): boolean {
  return roleGuid(a.roleDefinitionId) === NETWORK_CONTRIBUTOR_ROLE_ID;
}

function isCustomRole(a: RoleAssignmentData, d: RoleDefinitionData | undefined): boolean {
  if (!d) return false;
  if (d.roleType !== undefined) return d.roleType.toLowerCase() === "customrole";
  return !KNOWN_BUILT_IN.has(roleGuid(a.roleDefinitionId));
}

function classify(subnet: SubnetRef, read: GrantOutcome[], join: GrantOutcome[]): AccessApproach {
  const grantsBoth = (a: RoleAssignmentData): boolean =>
    read.some((g) => g.assignment === a && g.kind === "granted") &&
    join.some((g) => g.assignment === a && g.kind === "granted");
  const both = read.filter((g) => g.kind === "granted" && grantsBoth(g.assignment));
  const atSubnet = both.filter((g) => sameScope(g.assignment.scope, subnet.id));
  // Narrowest first: when several approaches coexist the broader ones still show up in broadGrants.
  if (atSubnet.some((g) => isCustomRole(g.assignment, g.definition))) return "subnet-custom-role";
  const conditionedNC = atSubnet.some((g) => {
    const cond = g.assignment.condition?.trim();
    if (!cond || !isNetworkContributor(g.assignment)) return false;
    return (
      evaluateConditionText(cond, SUBNET_WRITE_ACTION).value === "false" &&
      evaluateConditionText(cond, SUBNET_DELETE_ACTION).value === "false"
    );
  });
  if (conditionedNC) return "subnet-conditioned-network-contributor";
  if (both.some((g) => isNetworkContributor(g.assignment) && sameScope(g.assignment.scope, subnet.vnetCanonical))) {
    return "vnet-network-contributor";
  }
  const anything = [...read, ...join].some((g) => g.kind === "granted" || g.kind === "conditional");
  return anything ? "other" : "none";
}

/** Evaluates a configured principal (Karpenter's identity) from its role assignments. */
export function evaluateAccess(input: EvaluateAccessInput): AccessEvaluation {
  const { principalId, subnet, definitions } = input;
  const applicable = input.assignments.filter(
    (a) => (sameId(a.principalId, principalId) || isGroupType(a.principalType)) && scopeContains(a.scope, subnet.id),
  );
  const grantsFor = (action: string): GrantOutcome[] => applicable.map((a) => assessGrant(a, definitions, action));
  const deniesFor = (action: string, target = subnet.id): DenyOutcome[] =>
    input.denies.map((d) => assessDeny(d, principalId, target, action));
  const notGranted = "no role assignment of this principal at the subnet or above includes it";

  const readGrants = grantsFor(SUBNET_READ);
  const joinGrants = grantsFor(SUBNET_JOIN);
  const read = combine(SUBNET_READ, readGrants, deniesFor(SUBNET_READ), notGranted);
  const join = combine(SUBNET_JOIN, joinGrants, deniesFor(SUBNET_JOIN), notGranted);

  const broadGrants: string[] = [];
  for (const action of BROAD_ACTIONS) {
    // VNet actions act on the VNet: only assignments (and denies) covering the VNet itself count.
    const target = actsOnVNet(action) ? subnet.vnetCanonical : subnet.id;
    if (deniesFor(action, target).some((d) => d.kind === "denies")) continue;
    for (const g of grantsFor(action)) {
      if (!scopeContains(g.assignment.scope, target)) continue;
      if (g.kind !== "granted" && g.kind !== "conditional") continue;
      const role = g.definition ? g.definition.roleName : roleGuid(g.assignment.roleDefinitionId);
      const suffix = g.kind === "conditional" ? " (subject to an ABAC condition)" : "";
      const text = `${action} via role '${role}' at ${g.assignment.scope}${suffix}`;
      if (!broadGrants.includes(text)) broadGrants.push(text);
    }
  }

  return {
    principalId,
    mode: "karpenter-principal",
    read,
    join,
    approach: classify(subnet, readGrants, joinGrants),
    broadGrants,
  };
}

/**
 * Evaluates the operator's own identity from Permissions_ListForResource (which answers only for the
 * caller). The result says nothing about Karpenter unless both run as the same identity.
 */
export function evaluateSelfAccess(input: EvaluateSelfAccessInput): AccessEvaluation {
  const { permissions, subnet, principalId } = input;
  const denies = input.denies ?? [];
  const selfAssignment: RoleAssignmentData = {
    id: "effective permissions of the operator identity",
    scope: subnet.id,
    roleDefinitionId: "",
    principalId: principalId ?? "",
  };
  const grant = (action: string): GrantOutcome[] =>
    permissions.some((p) => permits(p, action))
      ? [
          {
            kind: "granted",
            assignment: selfAssignment,
            definition: undefined,
            explanation: "granted by the operator identity's effective permissions at the subnet",
          },
        ]
      : [];
  const deniesFor = (action: string, target = subnet.id): DenyOutcome[] =>
    denies.map((d) => assessDeny(d, principalId, target, action));
  const notGranted = "the operator identity's effective permissions at the subnet do not include it";
  const strip = (a: ActionAccess): ActionAccess => ({ ...a, grantedBy: [] });

  const read = strip(combine(SUBNET_READ, grant(SUBNET_READ), deniesFor(SUBNET_READ), notGranted));
  const join = strip(combine(SUBNET_JOIN, grant(SUBNET_JOIN), deniesFor(SUBNET_JOIN), notGranted));
  // Permissions_ListForResource answered for the subnet; VNet actions there say nothing about the VNet.
  const broadGrants = BROAD_ACTIONS.filter(
    (action) =>
      !actsOnVNet(action) &&
      permissions.some((p) => permits(p, action)) &&
      !deniesFor(action).some((d) => d.kind === "denies"),
  ).map((action) => `${action} via the operator identity's effective permissions at the subnet`);
  const anyGrant = grant(SUBNET_READ).length + grant(SUBNET_JOIN).length > 0;
  return {
    principalId,
    mode: "operator-identity",
    read,
    join,
    approach: anyGrant ? "other" : "none",
    broadGrants,
  };
}
