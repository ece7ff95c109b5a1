/**
 * The ARM operations: each checks the subscription, then the caller's permission (ARM authorizes
 * at its gateway, before the resource provider looks anything up), then existence, then answers
 * with Azure's JSON shapes (see the Azure REST API reference examples for Network and Authorization).
 */
import {
  authorizationFailed,
  badRequest,
  resourceGroupNotFound,
  resourceNotFound,
  roleDefinitionNotFound,
  subnetNotFound,
  subscriptionNotFound,
} from "./errors.js";
import { authorize, effectivePermissionEntries, grantedAnywhere, scopeCovers } from "./rbac.js";
import { networkResourceBody, networkResourceType } from "./network-resources.js";
import { scopeParts, type Route } from "./routes.js";
import {
  canonicalScope,
  usableIPs,
  type DenyAssignmentState,
  type ResourceGroupState,
  type RoleAssignmentState,
  type SimState,
  type SubnetState,
  type SubscriptionState,
  type VNetState,
} from "./state.js";

export interface Caller {
  oid: string;
  /** application ID when the token has one, else the oid (as in AuthorizationFailed messages) */
  clientId: string;
}

export interface OpContext {
  state: SimState;
  route: Route;
  query: URLSearchParams;
  /** https://host:port */
  baseUrl: string;
  /** request path with `//` collapsed, still encoded */
  tidyPath: string;
  apiVersion: string;
  caller: Caller;
}

export interface OpResult {
  status: number;
  body: unknown;
}

const SUBNET_READ = "Microsoft.Network/virtualNetworks/subnets/read";
const VNET_READ = "Microsoft.Network/virtualNetworks/read";
const USAGES_READ = "Microsoft.Network/virtualNetworks/usages/read";
const CLUSTER_READ = "Microsoft.ContainerService/managedClusters/read";
const RA_READ = "Microsoft.Authorization/roleAssignments/read";
const RD_READ = "Microsoft.Authorization/roleDefinitions/read";
const DA_READ = "Microsoft.Authorization/denyAssignments/read";

function requireSub(state: SimState, sub: string): SubscriptionState {
  const s = state.subscriptions.get(sub.toLowerCase());
  if (s === undefined) throw subscriptionNotFound(sub);
  return s;
}

function requireAllowed(ctx: OpContext, action: string, scope: string): void {
  if (!authorize(ctx.state, ctx.caller.oid, action, scope).allowed)
    throw authorizationFailed(ctx.caller.clientId, ctx.caller.oid, action, scope);
}

function requireRg(sub: SubscriptionState, rg: string): ResourceGroupState {
  const r = sub.resourceGroups.get(rg.toLowerCase());
  if (r === undefined) throw resourceGroupNotFound(rg);
  return r;
}

function requireVnet(rg: ResourceGroupState, vnet: string): VNetState {
  const v = rg.vnets.get(vnet.toLowerCase());
  if (v === undefined) throw resourceNotFound("Microsoft.Network/virtualNetworks", vnet, rg.name);
  return v;
}

function vnetId(sub: SubscriptionState, rg: ResourceGroupState, v: VNetState): string {
  return `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/Microsoft.Network/virtualNetworks/${v.name}`;
}

export function subnetBody(
  sub: SubscriptionState,
  rg: ResourceGroupState,
  v: VNetState,
  s: SubnetState,
): Record<string, unknown> {
  const id = `${vnetId(sub, rg, v)}/subnets/${s.name}`;
  const properties: Record<string, unknown> = { provisioningState: s.provisioningState };
  if (s.addressPrefix !== undefined) properties["addressPrefix"] = s.addressPrefix;
  if (s.addressPrefixes !== undefined) properties["addressPrefixes"] = [...s.addressPrefixes];
  if (s.networkSecurityGroupId !== undefined) properties["networkSecurityGroup"] = { id: s.networkSecurityGroupId };
  if (s.routeTableId !== undefined) properties["routeTable"] = { id: s.routeTableId };
  if (s.natGatewayId !== undefined) properties["natGateway"] = { id: s.natGatewayId };
  if (s.listIpConfigurations && s.usedIPs > 0) {
    const nicRg = `/subscriptions/${sub.id}/resourceGroups/MC_${rg.name}_${v.name}/providers/Microsoft.Network/networkInterfaces`;
    properties["ipConfigurations"] = Array.from({ length: s.usedIPs }, (_, i) => ({
      id: `${nicRg}/sim-nic-${s.name}-${i}/ipConfigurations/ipconfig1`,
    }));
  }
  properties["delegations"] = s.delegations.map((d) => ({
    name: d.name,
    id: `${id}/delegations/${d.name}`,
    etag: s.etag,
    type: "Microsoft.Network/virtualNetworks/subnets/delegations",
    properties: { provisioningState: "Succeeded", serviceName: d.serviceName, actions: [] },
  }));
  properties["privateEndpointNetworkPolicies"] = "Disabled";
  properties["privateLinkServiceNetworkPolicies"] = "Enabled";
  return { id, name: s.name, etag: s.etag, type: "Microsoft.Network/virtualNetworks/subnets", properties };
}

function vnetBody(sub: SubscriptionState, rg: ResourceGroupState, v: VNetState): Record<string, unknown> {
  return {
    id: vnetId(sub, rg, v),
    name: v.name,
    type: "Microsoft.Network/virtualNetworks",
    location: v.location,
    etag: v.etag,
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: v.resourceGuid,
      addressSpace: { addressPrefixes: [...v.addressSpace] },
      subnets: [...v.subnets.values()].map((s) => subnetBody(sub, rg, v, s)),
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
  };
}

/** Paging: an opaque offset in `$skipToken`; nextLink carries api-version (the SDK fetches it verbatim). */
function page<T>(
  ctx: OpContext,
  items: readonly T[],
  render: (item: T) => unknown,
): { value: unknown[]; nextLink?: string } {
  const tokenRaw = ctx.query.get("$skipToken") ?? ctx.query.get("$skiptoken");
  let offset = 0;
  if (tokenRaw !== null) {
    const n = Number(Buffer.from(tokenRaw, "base64url").toString("utf8"));
    if (!Number.isInteger(n) || n < 0)
      throw badRequest("InvalidSkipToken", `The skip token '${tokenRaw}' is not valid.`);
    offset = n;
  }
  const size = ctx.state.pageSize;
  const value = items.slice(offset, offset + size).map(render);
  if (offset + size >= items.length) return { value };
  const params = new URLSearchParams();
  params.set("api-version", ctx.apiVersion);
  const filter = ctx.query.get("$filter");
  if (filter !== null) params.set("$filter", filter);
  params.set("$skipToken", Buffer.from(String(offset + size), "utf8").toString("base64url"));
  return { value, nextLink: `${ctx.baseUrl}${ctx.tidyPath}?${params.toString().replace(/\+/g, "%20")}` };
}

interface AssignmentFilter {
  atScope: boolean;
  principal?: string;
}

/** `$filter` as ARM's authorization RP accepts it: atScope(), assignedTo('x'), principalId eq 'x', joined by `and`. */
export function parseAssignmentFilter(filter: string | null): AssignmentFilter {
  const out: AssignmentFilter = { atScope: false };
  if (filter === null || filter.trim() === "") return out;
  for (const clause of filter.trim().split(/\s+and\s+/i)) {
    const c = clause.trim();
    let m: RegExpMatchArray | null;
    if (/^atScope\(\)$/i.test(c)) out.atScope = true;
    else if ((m = c.match(/^assignedTo\('([^']*)'\)$/i)) !== null) out.principal = m[1];
    else if ((m = c.match(/^principalId\s+eq\s+'([^']*)'$/i)) !== null) out.principal = m[1];
    else
      throw badRequest(
        "UnsupportedQuery",
        `The filter '${filter}' is not supported. Supported filters are atScope(), assignedTo('{principalId}'), principalId eq '{principalId}' and their conjunction with 'and'.`,
      );
  }
  return out;
}

function matchesScope(assignmentScope: string, scope: string, atScope: boolean): boolean {
  return scopeCovers(assignmentScope, scope) || (!atScope && scopeCovers(scope, assignmentScope));
}

export function roleDefinitionIdFor(scope: string, guid: string): string {
  const { sub } = scopeParts(scope);
  return sub !== undefined
    ? `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`
    : `/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

const CREATED_ON = "2025-01-01T00:00:00.0000000Z";

function roleAssignmentBody(a: RoleAssignmentState): unknown {
  return {
    id: a.id,
    name: a.name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: {
      roleDefinitionId: roleDefinitionIdFor(a.scope, a.roleGuid),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      description: a.description ?? null,
      createdOn: CREATED_ON,
      updatedOn: CREATED_ON,
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
    },
  };
}

function denyAssignmentBody(d: DenyAssignmentState): unknown {
  return {
    id: d.id,
    name: d.name,
    type: "Microsoft.Authorization/denyAssignments",
    properties: {
      denyAssignmentName: d.denyAssignmentName,
      description: d.description,
      permissions: d.permissions.map((p) => ({ ...p })),
      scope: d.scope,
      doNotApplyToChildScopes: d.doNotApplyToChildScopes,
      principals: d.principals.map((p) => ({ ...p })),
      excludePrincipals: d.excludePrincipals.map((p) => ({ ...p })),
      isSystemProtected: d.isSystemProtected,
    },
  };
}

/** For RBAC APIs: subscription and resource group of the scope must exist (deeper resources are not checked). */
function checkRbacScope(ctx: OpContext, scope: string, action: string): void {
  const { sub, rg } = scopeParts(scope);
  if (sub === undefined) {
    if (!grantedAnywhere(ctx.state, ctx.caller.oid, action))
      throw authorizationFailed(ctx.caller.clientId, ctx.caller.oid, action, scope);
    return;
  }
  const s = requireSub(ctx.state, sub);
  requireAllowed(ctx, action, scope);
  if (rg !== undefined) requireRg(s, rg);
}

export function handleOperation(ctx: OpContext): OpResult {
  const { route, state } = ctx;
  switch (route.operation) {
    case "Subnets_Get": {
      const sub = requireSub(state, route.sub);
      const id = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.Network/virtualNetworks/${route.vnet}/subnets/${route.subnet}`;
      requireAllowed(ctx, SUBNET_READ, id);
      const rg = requireRg(sub, route.rg);
      const v = requireVnet(rg, route.vnet);
      const s = v.subnets.get(route.subnet.toLowerCase());
      if (s === undefined) throw subnetNotFound(id);
      return { status: 200, body: subnetBody(sub, rg, v, s) };
    }
    case "VirtualNetworks_Get":
    case "VirtualNetworks_ListUsage": {
      const sub = requireSub(state, route.sub);
      const id = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.Network/virtualNetworks/${route.vnet}`;
      requireAllowed(ctx, route.operation === "VirtualNetworks_Get" ? VNET_READ : USAGES_READ, id);
      const rg = requireRg(sub, route.rg);
      const v = requireVnet(rg, route.vnet);
      if (route.operation === "VirtualNetworks_Get") return { status: 200, body: vnetBody(sub, rg, v) };
      const items = [...v.subnets.values()];
      return {
        status: 200,
        body: page(ctx, items, (s) => ({
          id: `${vnetId(sub, rg, v)}/subnets/${s.name}`,
          currentValue: s.usageNotReported ? -1 : s.usedIPs,
          limit: s.usageNotReported ? -1 : usableIPs(s),
          name: { value: "SubnetSpace", localizedValue: "Subnet size and usage" },
          unit: "Count",
        })),
      };
    }
    case "ManagedClusters_Get": {
      const sub = requireSub(state, route.sub);
      const id = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.ContainerService/managedClusters/${route.name}`;
      requireAllowed(ctx, CLUSTER_READ, id);
      const rg = requireRg(sub, route.rg);
      const mc = rg.clusters.get(route.name.toLowerCase());
      if (mc === undefined) throw resourceNotFound("Microsoft.ContainerService/managedClusters", route.name, rg.name);
      return {
        status: 200,
        body: {
          id: `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/Microsoft.ContainerService/managedClusters/${mc.name}`,
          name: mc.name,
          type: "Microsoft.ContainerService/managedClusters",
          ...structuredClone(mc.body),
        },
      };
    }
    case "NetworkSecurityGroups_Get":
    case "RouteTables_Get":
    case "NatGateways_Get": {
      const sub = requireSub(state, route.sub);
      const t = networkResourceType(route.operation);
      const id = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/${t.type}/${route.name}`;
      requireAllowed(ctx, t.read, id);
      const rg = requireRg(sub, route.rg);
      const body = networkResourceBody(state, route.operation, sub, rg, route.name);
      if (body === undefined) throw resourceNotFound(t.type, route.name, rg.name);
      return { status: 200, body };
    }
    case "RoleAssignments_ListForScope": {
      checkRbacScope(ctx, route.scope, RA_READ);
      const f = parseAssignmentFilter(ctx.query.get("$filter"));
      const items = [...state.roleAssignments.values()].filter(
        (a) =>
          matchesScope(a.scope, route.scope, f.atScope) &&
          (f.principal === undefined || a.principalId.toLowerCase() === f.principal.toLowerCase()),
      );
      return { status: 200, body: page(ctx, items, roleAssignmentBody) };
    }
    case "DenyAssignments_ListForResource":
    case "DenyAssignments_ListForScope": {
      checkRbacScope(ctx, route.scope, DA_READ);
      const f = parseAssignmentFilter(ctx.query.get("$filter"));
      const items = [...state.denyAssignments.values()].filter(
        (d) =>
          matchesScope(d.scope, route.scope, f.atScope) &&
          (f.principal === undefined ||
            d.principals.some(
              (p) =>
                p.id.toLowerCase() === f.principal?.toLowerCase() || p.id === "00000000-0000-0000-0000-000000000000",
            )),
      );
      return { status: 200, body: page(ctx, items, denyAssignmentBody) };
    }
    case "RoleDefinitions_Get":
    case "RoleDefinitions_GetById": {
      checkRbacScope(ctx, route.scope, RD_READ);
      const guid = (route.roleDefinitionId ?? "").toLowerCase();
      const def = state.roleDefinitions.get(guid);
      if (
        def === undefined ||
        !def.assignableScopes.some(
          (s) => canonicalScope(s) === "/" || scopeCovers(s, route.scope) || scopeCovers(route.scope, s),
        )
      ) {
        throw roleDefinitionNotFound(route.roleDefinitionId ?? "");
      }
      return {
        status: 200,
        body: {
          id: roleDefinitionIdFor(route.scope, def.name),
          name: def.name,
          type: "Microsoft.Authorization/roleDefinitions",
          properties: {
            roleName: def.roleName,
            type: def.type,
            description: def.description,
            assignableScopes: [...def.assignableScopes],
            permissions: structuredClone(def.permissions),
            createdOn: CREATED_ON,
            updatedOn: CREATED_ON,
            createdBy: null,
            updatedBy: null,
          },
        },
      };
    }
    case "Permissions_ListForResource":
    case "Permissions_ListForResourceGroup": {
      // Anyone may ask for their own permissions; only the subscription and RG must exist.
      const { sub, rg } = scopeParts(route.scope);
      if (sub === undefined)
        throw badRequest("InvalidScope", `The scope '${route.scope}' is not valid for permissions.`);
      const s = requireSub(state, sub);
      if (rg !== undefined) requireRg(s, rg);
      return { status: 200, body: { value: effectivePermissionEntries(state, ctx.caller.oid, route.scope) } };
    }
  }
}
