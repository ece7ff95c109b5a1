/**
 * The admin API (`/_admin/...`, no auth): tests and demos change the simulated world through it
 * while clients keep talking ARM. Everything is JSON; IDs are matched case-insensitively.
 */
import { z } from "zod";
import type { CounterStore } from "./counters.js";
import type { FaultBook } from "./faults.js";
import { parseResourceId } from "./routes.js";
import {
  buildState,
  etagFor,
  makeDenyAssignment,
  makeRoleAssignment,
  subnetFromSpec,
  usableIPs,
  type ResourceGroupState,
  type SimState,
  type SubnetState,
  type SubscriptionState,
  type VNetState,
} from "./state.js";
import type { ReadBuckets } from "./throttle.js";
import {
  loadTopology,
  NatGatewaySchema,
  NetworkSecurityGroupSchema,
  RouteTableSchema,
  SecurityRuleSchema,
  SubnetSchema,
  validateTopology,
} from "./topology.js";

export interface SimCore {
  state: SimState;
  buckets: ReadBuckets;
  faults: FaultBook;
  counters: CounterStore;
}

export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface SubnetUsageInfo {
  id: string;
  used: number;
  /** usable IPs (Azure's `limit`) */
  limit: number;
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new AdminError(
      400,
      `${what}: ${r.error.issues.map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`).join("; ")}`,
    );
  }
  return r.data;
}

function findSub(state: SimState, sub: string): SubscriptionState {
  const s = state.subscriptions.get(sub.toLowerCase());
  if (s === undefined) throw new AdminError(404, `subscription '${sub}' not found`);
  return s;
}

function findRg(state: SimState, id: string): { sub: SubscriptionState; rg: ResourceGroupState } {
  const p = parseResourceId(id);
  if (p === undefined || p.kind === "subscription")
    throw new AdminError(400, `'${id}' is not a resource group or resource ID`);
  const sub = findSub(state, p.sub);
  const rg = sub.resourceGroups.get(p.rg.toLowerCase());
  if (rg === undefined) throw new AdminError(404, `resource group '${p.rg}' not found`);
  return { sub, rg };
}

function findVnet(state: SimState, id: string): { rg: ResourceGroupState; vnet: VNetState } {
  const p = parseResourceId(id);
  if (p === undefined || (p.kind !== "vnet" && p.kind !== "subnet"))
    throw new AdminError(400, `'${id}' is not a VNet or subnet ID`);
  const { rg } = findRg(state, id);
  const vnet = rg.vnets.get(p.vnet.toLowerCase());
  if (vnet === undefined) throw new AdminError(404, `VNet '${p.vnet}' not found`);
  return { rg, vnet };
}

function subnetName(id: string): string {
  const p = parseResourceId(id);
  if (p === undefined || p.kind !== "subnet") throw new AdminError(400, `'${id}' is not a subnet ID`);
  return p.subnet;
}

function findSubnet(state: SimState, id: string): SubnetState {
  const name = subnetName(id);
  const { vnet } = findVnet(state, id);
  const s = vnet.subnets.get(name.toLowerCase());
  if (s === undefined) throw new AdminError(404, `subnet '${name}' not found`);
  return s;
}

function usageInfo(id: string, s: SubnetState): SubnetUsageInfo {
  return { id, used: s.usedIPs, limit: usableIPs(s) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge, arrays and scalars replace, null deletes (JSON merge patch). */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (isPlainObject(v)) {
      const cur = target[k];
      const next: Record<string, unknown> = isPlainObject(cur) ? cur : {};
      mergePatch(next, v);
      target[k] = next;
    } else target[k] = structuredClone(v);
  }
}

/** The resource group and name of an NSG, route table or NAT gateway ID of the expected operation. */
function findNetworkResourceParent(
  state: SimState,
  id: string,
  operation: "NetworkSecurityGroups_Get" | "RouteTables_Get" | "NatGateways_Get",
): { rg: ResourceGroupState; name: string } {
  const p = parseResourceId(id);
  if (p === undefined || p.kind !== "networkResource" || p.operation !== operation)
    throw new AdminError(400, `'${id}' is not a ${operation.split("_")[0] ?? ""} resource ID`);
  const { rg } = findRg(state, id);
  return { rg, name: p.name };
}

const nullableId = z.union([z.string().min(1), z.null()]).optional();

const TOP_LEVEL_CLUSTER_KEYS = new Set(["location", "identity", "tags", "sku", "kind", "extendedLocation"]);

const subnetIdBody = z.object({ subnetId: z.string() });
const countBody = z.object({ subnetId: z.string(), n: z.number().int().min(0) });
const idBody = z.object({ id: z.string() });

export function handleAdmin(core: SimCore, method: string, path: string, body: unknown): unknown {
  const route = `${method} ${path.replace(/\/+$/, "").toLowerCase()}`;
  const state = core.state;
  switch (route) {
    case "GET /_admin/health":
      return { ok: true };
    case "GET /_admin/counters":
      return core.counters.snapshot();
    case "POST /_admin/counters/reset":
      core.counters.reset();
      return { ok: true };
    case "GET /_admin/requests":
      return core.counters.requests();
    case "POST /_admin/subnets/set-used": {
      const b = parseBody(z.object({ subnetId: z.string(), used: z.number().int().min(0) }), body, "setUsedIPs");
      const s = findSubnet(state, b.subnetId);
      s.usedIPs = b.used;
      return usageInfo(b.subnetId, s);
    }
    case "POST /_admin/subnets/consume": {
      const b = parseBody(countBody, body, "consumeIPs");
      const s = findSubnet(state, b.subnetId);
      // A subnet cannot hand out more than it has: clamp, like NRP refusing further NICs.
      s.usedIPs = Math.min(usableIPs(s), s.usedIPs + b.n);
      return usageInfo(b.subnetId, s);
    }
    case "POST /_admin/subnets/free": {
      const b = parseBody(countBody, body, "freeIPs");
      const s = findSubnet(state, b.subnetId);
      s.usedIPs = Math.max(0, s.usedIPs - b.n);
      return usageInfo(b.subnetId, s);
    }
    case "POST /_admin/subnets/delete": {
      const b = parseBody(subnetIdBody, body, "deleteSubnet");
      const name = subnetName(b.subnetId);
      const { vnet } = findVnet(state, b.subnetId);
      if (!vnet.subnets.delete(name.toLowerCase())) throw new AdminError(404, `subnet '${name}' not found`);
      return { ok: true };
    }
    case "POST /_admin/subnets/put": {
      const b = parseBody(
        z.object({ subnetId: z.string(), properties: z.record(z.string(), z.unknown()) }),
        body,
        "putSubnet",
      );
      const name = subnetName(b.subnetId);
      const { vnet } = findVnet(state, b.subnetId);
      const spec = parseBody(SubnetSchema, { ...b.properties, name }, "putSubnet.properties");
      const s = subnetFromSpec(spec, name);
      vnet.subnets.set(name.toLowerCase(), s);
      return usageInfo(b.subnetId, s);
    }
    case "POST /_admin/subnets/set-prefixes": {
      const b = parseBody(
        z.object({ subnetId: z.string(), prefixes: z.array(z.string()).min(1) }),
        body,
        "setSubnetPrefixes",
      );
      const s = findSubnet(state, b.subnetId);
      const checked = parseBody(SubnetSchema, { name: s.name, addressPrefixes: b.prefixes }, "setSubnetPrefixes");
      if (checked.addressPrefixes?.length === 1) {
        s.addressPrefix = checked.addressPrefixes[0];
        s.addressPrefixes = undefined;
      } else {
        s.addressPrefix = undefined;
        s.addressPrefixes = checked.addressPrefixes;
      }
      return usageInfo(b.subnetId, s);
    }
    case "POST /_admin/subnets/associate": {
      const b = parseBody(
        z.object({
          subnetId: z.string(),
          networkSecurityGroupId: nullableId,
          routeTableId: nullableId,
          natGatewayId: nullableId,
        }),
        body,
        "associateSubnet",
      );
      const s = findSubnet(state, b.subnetId);
      // undefined leaves the association alone, null removes it (JSON merge patch)
      if (b.networkSecurityGroupId !== undefined) s.networkSecurityGroupId = b.networkSecurityGroupId ?? undefined;
      if (b.routeTableId !== undefined) s.routeTableId = b.routeTableId ?? undefined;
      if (b.natGatewayId !== undefined) s.natGatewayId = b.natGatewayId ?? undefined;
      s.etag = etagFor(s.name);
      return {
        networkSecurityGroupId: s.networkSecurityGroupId ?? null,
        routeTableId: s.routeTableId ?? null,
        natGatewayId: s.natGatewayId ?? null,
      };
    }
    case "POST /_admin/network-security-groups/put": {
      const b = parseBody(z.object({ id: z.string() }).passthrough(), body, "putNetworkSecurityGroup");
      const { rg, name } = findNetworkResourceParent(state, b.id, "NetworkSecurityGroups_Get");
      const { id: _id, ...rest } = b;
      const spec = parseBody(NetworkSecurityGroupSchema, { ...rest, name }, "putNetworkSecurityGroup");
      rg.nsgs.set(name.toLowerCase(), { ...spec, location: spec.location ?? rg.location, etag: etagFor(name) });
      return { ok: true };
    }
    case "POST /_admin/network-security-groups/rules/put": {
      const b = parseBody(z.object({ nsgId: z.string(), rule: z.unknown() }), body, "putSecurityRule");
      const { rg, name } = findNetworkResourceParent(state, b.nsgId, "NetworkSecurityGroups_Get");
      const nsg = rg.nsgs.get(name.toLowerCase());
      if (nsg === undefined) throw new AdminError(404, `network security group '${name}' not found`);
      const rule = parseBody(SecurityRuleSchema, b.rule, "putSecurityRule.rule");
      const clash = nsg.securityRules.find(
        (r) =>
          r.name.toLowerCase() !== rule.name.toLowerCase() &&
          r.direction === rule.direction &&
          r.priority === rule.priority,
      );
      // Azure refuses two rules with one priority and direction (SecurityRuleConflict)
      if (clash !== undefined)
        throw new AdminError(400, `rule '${clash.name}' already has priority ${rule.priority} (${rule.direction})`);
      nsg.securityRules = [...nsg.securityRules.filter((r) => r.name.toLowerCase() !== rule.name.toLowerCase()), rule];
      nsg.etag = etagFor(name);
      return { ok: true };
    }
    case "POST /_admin/network-security-groups/rules/delete": {
      const b = parseBody(z.object({ nsgId: z.string(), name: z.string() }), body, "deleteSecurityRule");
      const { rg, name } = findNetworkResourceParent(state, b.nsgId, "NetworkSecurityGroups_Get");
      const nsg = rg.nsgs.get(name.toLowerCase());
      if (nsg === undefined) throw new AdminError(404, `network security group '${name}' not found`);
      const before = nsg.securityRules.length;
      nsg.securityRules = nsg.securityRules.filter((r) => r.name.toLowerCase() !== b.name.toLowerCase());
      if (nsg.securityRules.length === before) throw new AdminError(404, `rule '${b.name}' not found`);
      nsg.etag = etagFor(name);
      return { ok: true };
    }
    case "POST /_admin/route-tables/put": {
      const b = parseBody(z.object({ id: z.string() }).passthrough(), body, "putRouteTable");
      const { rg, name } = findNetworkResourceParent(state, b.id, "RouteTables_Get");
      const { id: _id, ...rest } = b;
      const spec = parseBody(RouteTableSchema, { ...rest, name }, "putRouteTable");
      rg.routeTables.set(name.toLowerCase(), { ...spec, location: spec.location ?? rg.location, etag: etagFor(name) });
      return { ok: true };
    }
    case "POST /_admin/nat-gateways/put": {
      const b = parseBody(z.object({ id: z.string() }).passthrough(), body, "putNatGateway");
      const { rg, name } = findNetworkResourceParent(state, b.id, "NatGateways_Get");
      const { id: _id, ...rest } = b;
      const spec = parseBody(NatGatewaySchema, { ...rest, name }, "putNatGateway");
      rg.natGateways.set(name.toLowerCase(), { ...spec, location: spec.location ?? rg.location, etag: etagFor(name) });
      return { ok: true };
    }
    case "POST /_admin/network-resources/delete": {
      const b = parseBody(idBody, body, "deleteNetworkResource");
      const p = parseResourceId(b.id);
      if (p === undefined || p.kind !== "networkResource")
        throw new AdminError(400, `'${b.id}' is not a network security group, route table or NAT gateway ID`);
      const { rg, name } = findNetworkResourceParent(state, b.id, p.operation);
      const map =
        p.operation === "NetworkSecurityGroups_Get"
          ? rg.nsgs
          : p.operation === "RouteTables_Get"
            ? rg.routeTables
            : rg.natGateways;
      if (!map.delete(name.toLowerCase())) throw new AdminError(404, `'${b.id}' not found`);
      return { ok: true };
    }
    case "POST /_admin/vnets/delete": {
      const b = parseBody(idBody, body, "deleteVNet");
      const { rg, vnet } = findVnet(state, b.id);
      rg.vnets.delete(vnet.name.toLowerCase());
      return { ok: true };
    }
    case "POST /_admin/resource-groups/delete": {
      const b = parseBody(idBody, body, "deleteResourceGroup");
      const { sub, rg } = findRg(state, b.id);
      sub.resourceGroups.delete(rg.name.toLowerCase());
      return { ok: true };
    }
    case "POST /_admin/role-assignments/add": {
      const b = parseBody(
        z.object({
          name: z.string().optional(),
          principalId: z.string().min(1),
          principalType: z.string().optional(),
          scope: z.string().startsWith("/"),
          role: z.string().optional(),
          roleDefinitionId: z.string().optional(),
          condition: z.string().optional(),
          conditionVersion: z.string().optional(),
          description: z.string().optional(),
        }),
        body,
        "addRoleAssignment",
      );
      if ((b.role === undefined) === (b.roleDefinitionId === undefined))
        throw new AdminError(400, "addRoleAssignment: give exactly one of role or roleDefinitionId");
      let ra;
      try {
        ra = makeRoleAssignment(state, b);
      } catch (err) {
        throw new AdminError(400, `addRoleAssignment: ${err instanceof Error ? err.message : String(err)}`);
      }
      state.roleAssignments.set(ra.id.toLowerCase(), ra);
      return { id: ra.id };
    }
    case "POST /_admin/role-assignments/remove": {
      const b = parseBody(idBody, body, "removeRoleAssignment");
      if (!deleteByIdOrName(state.roleAssignments, b.id))
        throw new AdminError(404, `role assignment '${b.id}' not found`);
      return { ok: true };
    }
    case "POST /_admin/deny-assignments/add": {
      const principal = z.object({ id: z.string().min(1), type: z.string().optional() });
      const b = parseBody(
        z.object({
          name: z.string().optional(),
          denyAssignmentName: z.string().optional(),
          description: z.string().optional(),
          scope: z.string().startsWith("/"),
          actions: z.array(z.string()).optional(),
          notActions: z.array(z.string()).optional(),
          dataActions: z.array(z.string()).optional(),
          notDataActions: z.array(z.string()).optional(),
          principals: z.array(principal).min(1),
          excludePrincipals: z.array(principal).optional(),
          doNotApplyToChildScopes: z.boolean().optional(),
          isSystemProtected: z.boolean().optional(),
        }),
        body,
        "addDenyAssignment",
      );
      const da = makeDenyAssignment(b);
      state.denyAssignments.set(da.id.toLowerCase(), da);
      return { id: da.id };
    }
    case "POST /_admin/deny-assignments/remove": {
      const b = parseBody(idBody, body, "removeDenyAssignment");
      if (!deleteByIdOrName(state.denyAssignments, b.id))
        throw new AdminError(404, `deny assignment '${b.id}' not found`);
      return { ok: true };
    }
    case "POST /_admin/managed-clusters/patch": {
      const b = parseBody(
        z.object({ id: z.string(), patch: z.record(z.string(), z.unknown()) }),
        body,
        "patchManagedCluster",
      );
      const p = parseResourceId(b.id);
      if (p === undefined || p.kind !== "managedCluster")
        throw new AdminError(400, `'${b.id}' is not a managed cluster ID`);
      const { rg } = findRg(state, b.id);
      const mc = rg.clusters.get(p.name.toLowerCase());
      if (mc === undefined) throw new AdminError(404, `managed cluster '${p.name}' not found`);
      // Accept the flattened (SDK-like) shape: properties.* at the top, like `{ networkProfile: {...} }`.
      const props = isPlainObject(mc.body["properties"]) ? mc.body["properties"] : {};
      mc.body["properties"] = props;
      for (const [k, v] of Object.entries(b.patch)) {
        if (k === "properties" && isPlainObject(v)) mergePatch(props, v);
        else if (TOP_LEVEL_CLUSTER_KEYS.has(k)) mergePatch(mc.body, { [k]: v });
        else mergePatch(props, { [k]: v });
      }
      return { ok: true };
    }
    case "GET /_admin/faults":
      return core.faults.status();
    case "PUT /_admin/faults": {
      const b = parseBody(z.object({ faults: z.array(z.unknown()) }), body, "setFaults");
      try {
        core.faults.set(b.faults);
      } catch (err) {
        throw new AdminError(400, `setFaults: ${err instanceof Error ? err.message : String(err)}`);
      }
      return core.faults.status();
    }
    case "DELETE /_admin/faults":
      core.faults.clear();
      return { ok: true };
    case "PUT /_admin/topology": {
      const b = parseBody(
        z.object({ yaml: z.string().optional(), topology: z.unknown().optional() }),
        body,
        "replaceTopology",
      );
      try {
        const parsed = b.yaml !== undefined ? loadTopology(b.yaml) : validateTopology(b.topology);
        core.state = buildState(parsed);
      } catch (err) {
        throw new AdminError(400, err instanceof Error ? err.message : String(err));
      }
      return { ok: true };
    }
    case "GET /_admin/read-bucket":
      return core.buckets.settings;
    case "PUT /_admin/read-bucket": {
      const b = parseBody(
        z.object({ capacity: z.number().min(1), refillPerSecond: z.number().min(0) }),
        body,
        "setReadBucket",
      );
      core.buckets.configure(b);
      return core.buckets.settings;
    }
    case "PUT /_admin/page-size": {
      const b = parseBody(z.object({ pageSize: z.number().int().min(1) }), body, "setPageSize");
      state.pageSize = b.pageSize;
      return { pageSize: state.pageSize };
    }
    default:
      throw new AdminError(404, `no admin endpoint ${method} ${path}`);
  }
}

function deleteByIdOrName<T extends { id: string; name: string }>(map: Map<string, T>, idOrName: string): boolean {
  const key = idOrName.toLowerCase();
  if (map.delete(key)) return true;
  for (const [k, v] of map) {
    if (v.name.toLowerCase() === key) {
      map.delete(k);
      return true;
    }
  }
  return false;
}
