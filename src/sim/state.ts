/**
 * The simulator's mutable world, built from a validated topology. Keys are lower-cased: ARM IDs
 * and names are case-insensitive, but the names keep the case the topology gave.
 */
import { createHash } from "node:crypto";
import ipaddr from "ipaddr.js";
import {
  BUILT_IN_ROLES,
  type ManagedClusterSpec,
  type NatGatewaySpec,
  type NetworkSecurityGroupSpec,
  type RouteTableSpec,
  type ParsedTopology,
  type RoleDefinitionSpec,
  type SubnetSpec,
} from "./topology.js";

export interface SubnetState {
  name: string;
  addressPrefix: string | undefined;
  addressPrefixes: string[] | undefined;
  usedIPs: number;
  provisioningState: string;
  delegations: Array<{ name: string; serviceName: string }>;
  networkSecurityGroupId: string | undefined;
  routeTableId: string | undefined;
  natGatewayId: string | undefined;
  usageNotReported: boolean;
  listIpConfigurations: boolean;
  etag: string;
}

export interface VNetState {
  name: string;
  location: string;
  addressSpace: string[];
  subnets: Map<string, SubnetState>;
  resourceGuid: string;
  etag: string;
}

export interface ResourceGroupState {
  name: string;
  location: string;
  vnets: Map<string, VNetState>;
  /** ARM JSON body of the cluster minus id/name/type (patched by the admin API) */
  clusters: Map<string, { name: string; body: Record<string, unknown> }>;
  /** network security groups, route tables and NAT gateways by lower-case name */
  nsgs: Map<string, NetworkSecurityGroupSpec & { location: string; etag: string }>;
  routeTables: Map<string, RouteTableSpec & { location: string; etag: string }>;
  natGateways: Map<string, NatGatewaySpec & { location: string; etag: string }>;
}

export interface SubscriptionState {
  id: string;
  displayName: string;
  resourceGroups: Map<string, ResourceGroupState>;
}

export interface PermissionEntry {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleAssignmentState {
  /** full ID: {scope}/providers/Microsoft.Authorization/roleAssignments/{name} */
  id: string;
  name: string;
  scope: string;
  principalId: string;
  principalType: string;
  /** role GUID (lower-case) */
  roleGuid: string;
  condition: string | undefined;
  conditionVersion: string | undefined;
  description: string | undefined;
}

export interface DenyAssignmentState {
  id: string;
  name: string;
  denyAssignmentName: string;
  description: string;
  scope: string;
  permissions: PermissionEntry[];
  principals: Array<{ id: string; type: string }>;
  excludePrincipals: Array<{ id: string; type: string }>;
  doNotApplyToChildScopes: boolean;
  isSystemProtected: boolean;
}

export interface SimState {
  tenantId: string;
  pageSize: number;
  principals: Map<string, { id: string; displayName?: string; appId?: string; type: string }>;
  subscriptions: Map<string, SubscriptionState>;
  roleDefinitions: Map<string, RoleDefinitionSpec>;
  roleAssignments: Map<string, RoleAssignmentState>;
  denyAssignments: Map<string, DenyAssignmentState>;
}

/** A GUID derived from text, so generated names are stable across runs. */
export function stableGuid(text: string): string {
  const h = createHash("sha1").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function etagFor(text: string): string {
  return `W/"${stableGuid(`${text}#${Date.now()}#${Math.random()}`)}"`;
}

export function subnetFromSpec(spec: Omit<SubnetSpec, "name">, name: string): SubnetState {
  return {
    name,
    addressPrefix: spec.addressPrefix,
    addressPrefixes: spec.addressPrefixes,
    usedIPs: spec.usedIPs,
    provisioningState: spec.provisioningState,
    delegations: spec.delegations.map((d, i) =>
      typeof d === "string"
        ? { name: `delegation${i}`, serviceName: d }
        : { name: d.name ?? `delegation${i}`, serviceName: d.serviceName },
    ),
    networkSecurityGroupId: spec.networkSecurityGroupId,
    routeTableId: spec.routeTableId,
    natGatewayId: spec.natGatewayId,
    usageNotReported: spec.usageNotReported,
    listIpConfigurations: spec.listIpConfigurations,
    etag: etagFor(name),
  };
}

/** All prefixes of a subnet, single and multi forms merged. */
export function subnetPrefixes(s: SubnetState): string[] {
  const out: string[] = [];
  if (s.addressPrefix !== undefined) out.push(s.addressPrefix);
  for (const p of s.addressPrefixes ?? []) if (!out.includes(p)) out.push(p);
  return out;
}

/** Usable IPv4 addresses: per prefix 2^(32-len) minus Azure's 5 reserved; IPv6 ignored. */
export function usableIPs(s: SubnetState): number {
  let total = 0;
  for (const p of subnetPrefixes(s)) {
    const [addr, len] = ipaddr.parseCIDR(p);
    if (addr.kind() !== "ipv4") continue;
    total += Math.max(0, 2 ** (32 - len) - 5);
  }
  return total;
}

function clusterBody(spec: ManagedClusterSpec, rgName: string, rgLocation: string): Record<string, unknown> {
  const location = spec.location ?? rgLocation;
  const properties: Record<string, unknown> = {
    provisioningState: "Succeeded",
    powerState: { code: "Running" },
    kubernetesVersion: spec.kubernetesVersion,
    currentKubernetesVersion: spec.kubernetesVersion,
    dnsPrefix: spec.dnsPrefix ?? `${spec.name}-dns`,
    fqdn: `${spec.name}-dns-abcd1234.hcp.${location}.azmk8s.io`,
    nodeResourceGroup: spec.nodeResourceGroup ?? `MC_${rgName}_${spec.name}_${location}`,
    enableRBAC: true,
    networkProfile: { ...spec.networkProfile },
    agentPoolProfiles: spec.agentPoolProfiles.map((p) => ({
      ...p,
      provisioningState: "Succeeded",
      orchestratorVersion: spec.kubernetesVersion,
    })),
  };
  if (spec.nodeProvisioningProfile) properties["nodeProvisioningProfile"] = { ...spec.nodeProvisioningProfile };
  if (spec.identityProfile) properties["identityProfile"] = structuredClone(spec.identityProfile);
  const body: Record<string, unknown> = { location, properties };
  if (spec.identity) body["identity"] = structuredClone(spec.identity);
  return body;
}

export function roleAssignmentId(scope: string, name: string): string {
  return `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

export function denyAssignmentId(scope: string, name: string): string {
  return `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/denyAssignments/${name}`;
}

/** Normalises a scope for comparisons: lower case, single slashes, no trailing slash, "/" for root. */
export function canonicalScope(scope: string): string {
  const s = ("/" + scope).replace(/\/+/g, "/").replace(/\/$/, "").toLowerCase();
  return s === "" ? "/" : s;
}

/** Tidies a user-given scope but keeps its case. */
export function tidyScope(scope: string): string {
  const s = ("/" + scope).replace(/\/+/g, "/").replace(/\/$/, "");
  return s === "" ? "/" : s;
}

export function roleGuidOf(
  state: SimState,
  ref: { role?: string | undefined; roleDefinitionId?: string | undefined },
): string {
  if (ref.roleDefinitionId !== undefined) {
    const g = (ref.roleDefinitionId.split("/").pop() ?? "").toLowerCase();
    if (!state.roleDefinitions.has(g)) throw new Error(`unknown role definition '${ref.roleDefinitionId}'`);
    return g;
  }
  const wanted = (ref.role ?? "").toLowerCase();
  for (const [g, def] of state.roleDefinitions) if (def.roleName.toLowerCase() === wanted) return g;
  throw new Error(`unknown role name '${ref.role ?? ""}'`);
}

export interface RoleAssignmentDraft {
  name?: string | undefined;
  principalId: string;
  principalType?: string | undefined;
  scope: string;
  role?: string | undefined;
  roleDefinitionId?: string | undefined;
  condition?: string | undefined;
  conditionVersion?: string | undefined;
  description?: string | undefined;
}

export function makeRoleAssignment(state: SimState, a: RoleAssignmentDraft): RoleAssignmentState {
  const scope = tidyScope(a.scope);
  const roleGuid = roleGuidOf(state, a);
  const name = (
    a.name ?? stableGuid(`ra|${scope.toLowerCase()}|${a.principalId.toLowerCase()}|${roleGuid}|${a.condition ?? ""}`)
  ).toLowerCase();
  return {
    id: roleAssignmentId(scope, name),
    name,
    scope,
    principalId: a.principalId,
    principalType: a.principalType ?? "ServicePrincipal",
    roleGuid,
    condition: a.condition,
    conditionVersion: a.condition !== undefined ? (a.conditionVersion ?? "2.0") : a.conditionVersion,
    description: a.description,
  };
}

export interface DenyAssignmentDraft {
  name?: string | undefined;
  denyAssignmentName?: string | undefined;
  description?: string | undefined;
  scope: string;
  actions?: string[] | undefined;
  notActions?: string[] | undefined;
  dataActions?: string[] | undefined;
  notDataActions?: string[] | undefined;
  principals: Array<{ id: string; type?: string | undefined }>;
  excludePrincipals?: Array<{ id: string; type?: string | undefined }> | undefined;
  doNotApplyToChildScopes?: boolean | undefined;
  isSystemProtected?: boolean | undefined;
}

export function makeDenyAssignment(d: DenyAssignmentDraft): DenyAssignmentState {
  const scope = tidyScope(d.scope);
  const name = (
    d.name ??
    stableGuid(
      `da|${scope.toLowerCase()}|${JSON.stringify([d.actions, d.notActions, d.principals, d.excludePrincipals])}`,
    )
  ).toLowerCase();
  const principalOf = (p: { id: string; type?: string | undefined }) => ({
    id: p.id,
    type: p.type ?? "ServicePrincipal",
  });
  return {
    id: denyAssignmentId(scope, name),
    name,
    denyAssignmentName: d.denyAssignmentName ?? `deny-${name.slice(0, 8)}`,
    description: d.description ?? "",
    scope,
    permissions: [
      {
        actions: d.actions ?? [],
        notActions: d.notActions ?? [],
        dataActions: d.dataActions ?? [],
        notDataActions: d.notDataActions ?? [],
      },
    ],
    principals: d.principals.map(principalOf),
    excludePrincipals: (d.excludePrincipals ?? []).map(principalOf),
    doNotApplyToChildScopes: d.doNotApplyToChildScopes ?? false,
    isSystemProtected: d.isSystemProtected ?? true,
  };
}

export function buildState(t: ParsedTopology): SimState {
  const state: SimState = {
    tenantId: t.tenantId,
    pageSize: t.pageSize,
    principals: new Map(),
    subscriptions: new Map(),
    roleDefinitions: new Map(),
    roleAssignments: new Map(),
    denyAssignments: new Map(),
  };
  for (const p of t.principals) {
    const entry: { id: string; displayName?: string; appId?: string; type: string } = { id: p.id, type: p.type };
    if (p.displayName !== undefined) entry.displayName = p.displayName;
    if (p.appId !== undefined) entry.appId = p.appId;
    state.principals.set(p.id.toLowerCase(), entry);
  }
  for (const s of t.subscriptions) {
    const sub: SubscriptionState = {
      id: s.id,
      displayName: s.displayName ?? `sim-${s.id.slice(0, 8)}`,
      resourceGroups: new Map(),
    };
    for (const rg of s.resourceGroups) {
      const rgState: ResourceGroupState = {
        name: rg.name,
        location: rg.location,
        vnets: new Map(),
        clusters: new Map(),
        nsgs: new Map(),
        routeTables: new Map(),
        natGateways: new Map(),
      };
      for (const n of rg.networkSecurityGroups)
        rgState.nsgs.set(n.name.toLowerCase(), {
          ...structuredClone(n),
          location: n.location ?? rg.location,
          etag: etagFor(n.name),
        });
      for (const t of rg.routeTables)
        rgState.routeTables.set(t.name.toLowerCase(), {
          ...structuredClone(t),
          location: t.location ?? rg.location,
          etag: etagFor(t.name),
        });
      for (const g of rg.natGateways)
        rgState.natGateways.set(g.name.toLowerCase(), {
          ...structuredClone(g),
          location: g.location ?? rg.location,
          etag: etagFor(g.name),
        });
      for (const v of rg.virtualNetworks) {
        const vnet: VNetState = {
          name: v.name,
          location: v.location ?? rg.location,
          addressSpace: [...v.addressSpace],
          subnets: new Map(),
          resourceGuid: stableGuid(`vnet|${s.id}|${rg.name}|${v.name}`.toLowerCase()),
          etag: etagFor(v.name),
        };
        for (const sn of v.subnets) vnet.subnets.set(sn.name.toLowerCase(), subnetFromSpec(sn, sn.name));
        rgState.vnets.set(v.name.toLowerCase(), vnet);
      }
      for (const mc of rg.managedClusters) {
        rgState.clusters.set(mc.name.toLowerCase(), { name: mc.name, body: clusterBody(mc, rg.name, rg.location) });
      }
      sub.resourceGroups.set(rg.name.toLowerCase(), rgState);
    }
    state.subscriptions.set(s.id.toLowerCase(), sub);
  }
  for (const r of [...BUILT_IN_ROLES, ...t.roleDefinitions])
    state.roleDefinitions.set(r.name.toLowerCase(), structuredClone(r));
  for (const a of t.roleAssignments) {
    const ra = makeRoleAssignment(state, a);
    state.roleAssignments.set(ra.id.toLowerCase(), ra);
  }
  for (const d of t.denyAssignments) {
    const da = makeDenyAssignment(d);
    state.denyAssignments.set(da.id.toLowerCase(), da);
  }
  return state;
}
