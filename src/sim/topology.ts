/**
 * The simulator's world, as a YAML (or JSON/object) topology file: subscriptions, resource groups,
 * VNets, subnets, managed clusters, and the RBAC data (role definitions, role and deny assignments).
 * Validated with zod so a typo fails loudly with the path of the bad field.
 */
import { existsSync, readFileSync } from "node:fs";
import ipaddr from "ipaddr.js";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  BUILT_IN_ROLES as AZURE_BUILT_IN_ROLES,
  CONTRIBUTOR_ROLE_ID,
  NETWORK_CONTRIBUTOR_ROLE_ID,
  OWNER_ROLE_ID,
  READER_ROLE_ID,
} from "../health/access/built-in-roles.js";

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const guid = z.string().regex(GUID_RE, { message: "must be a GUID like 00000000-0000-0000-0000-000000000000" });
const cidr = z
  .string()
  .refine((s) => ipaddr.isValidCIDR(s), { message: "must be a CIDR like 10.0.0.0/24 or fd00::/64" });
const nameSegment = z
  .string()
  .min(1)
  .refine((s) => !s.includes("/"), { message: "must not contain '/'" });
/** An ARM scope: "/" or a path starting with "/" */
const scope = z
  .string()
  .regex(/^\/.*/, { message: "must be an ARM scope starting with '/', e.g. /subscriptions/{id}" });

const delegation = z.union([
  z.string().min(1).describe("service name, e.g. Microsoft.ContainerInstance/containerGroups"),
  z.strictObject({ name: z.string().min(1).optional(), serviceName: z.string().min(1) }),
]);

export const SubnetSchema = z
  .strictObject({
    name: nameSegment,
    addressPrefix: cidr.optional(),
    addressPrefixes: z.array(cidr).min(1).optional(),
    /** IP configurations in use (Azure's usage currentValue) */
    usedIPs: z.number().int().min(0).default(0),
    provisioningState: z.enum(["Succeeded", "Updating", "Deleting", "Failed"]).default("Succeeded"),
    delegations: z.array(delegation).default([]),
    networkSecurityGroupId: z.string().min(1).optional(),
    routeTableId: z.string().min(1).optional(),
    natGatewayId: z.string().min(1).optional(),
    /** usage reported as -1/-1, like GatewaySubnet or dynamically used subnets */
    usageNotReported: z.boolean().default(false),
    /** list one ipConfigurations entry per used IP in Subnets_Get (default true) */
    listIpConfigurations: z.boolean().default(true),
  })
  .refine((s) => s.addressPrefix !== undefined || s.addressPrefixes !== undefined, {
    message: "a subnet needs addressPrefix and/or addressPrefixes",
    path: ["addressPrefix"],
  });

export const VirtualNetworkSchema = z.strictObject({
  name: nameSegment,
  location: z.string().min(1).optional(),
  addressSpace: z.array(cidr).min(1),
  subnets: z.array(SubnetSchema).default([]),
});

const networkProfile = z.strictObject({
  networkPlugin: z.string().optional(),
  networkPluginMode: z.string().optional(),
  networkPolicy: z.string().optional(),
  networkDataplane: z.string().optional(),
  podCidr: cidr.optional(),
  podCidrs: z.array(cidr).optional(),
  serviceCidr: cidr.optional(),
  serviceCidrs: z.array(cidr).optional(),
  dnsServiceIP: z
    .string()
    .refine((s) => ipaddr.isValid(s), { message: "must be an IP address" })
    .optional(),
  loadBalancerSku: z.string().optional(),
  outboundType: z.string().optional(),
  ipFamilies: z.array(z.enum(["IPv4", "IPv6"])).optional(),
});

const agentPool = z.strictObject({
  name: z.string().min(1),
  mode: z.enum(["System", "User", "Gateway"]).default("System"),
  count: z.number().int().min(0).default(3),
  maxPods: z.number().int().min(1).optional(),
  vmSize: z.string().default("Standard_D4ds_v5"),
  osType: z.enum(["Linux", "Windows"]).default("Linux"),
  vnetSubnetID: z.string().optional(),
  podSubnetID: z.string().optional(),
  podIPAllocationMode: z.enum(["DynamicIndividual", "StaticBlock"]).optional(),
});

const identityRef = z.strictObject({
  resourceId: z.string().optional(),
  clientId: z.string().optional(),
  objectId: z.string().optional(),
});

export const ManagedClusterSchema = z.strictObject({
  name: nameSegment,
  location: z.string().min(1).optional(),
  kubernetesVersion: z.string().default("1.33.2"),
  dnsPrefix: z.string().optional(),
  nodeResourceGroup: z.string().optional(),
  networkProfile: networkProfile.default({}),
  agentPoolProfiles: z.array(agentPool).default([]),
  nodeProvisioningProfile: z
    .strictObject({ mode: z.enum(["Manual", "Auto"]), defaultNodePools: z.enum(["None", "Auto"]).optional() })
    .optional(),
  identity: z
    .strictObject({
      type: z.enum(["SystemAssigned", "UserAssigned", "None"]),
      principalId: z.string().optional(),
      tenantId: z.string().optional(),
      userAssignedIdentities: z
        .record(z.string(), z.strictObject({ principalId: z.string().optional(), clientId: z.string().optional() }))
        .optional(),
    })
    .optional(),
  /** e.g. kubeletidentity: { objectId } — the identity Karpenter/NAP uses for NICs */
  identityProfile: z.record(z.string(), identityRef).optional(),
});

const portRange = z
  .string()
  .regex(/^(\*|\d{1,5}(-\d{1,5})?)$/, { message: "must be '*', a port like '443' or a range like '1000-2000'" });
/** An address prefix as NSG rules take it: '*', a CIDR, an IP or a service tag. */
const rulePrefix = z.string().min(1);

export const SecurityRuleSchema = z
  .strictObject({
    name: nameSegment,
    description: z.string().optional(),
    priority: z.number().int().min(100).max(4096),
    direction: z.enum(["Inbound", "Outbound"]),
    access: z.enum(["Allow", "Deny"]),
    protocol: z.enum(["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"]).default("*"),
    sourceAddressPrefix: rulePrefix.optional(),
    sourceAddressPrefixes: z.array(rulePrefix).optional(),
    destinationAddressPrefix: rulePrefix.optional(),
    destinationAddressPrefixes: z.array(rulePrefix).optional(),
    sourcePortRange: portRange.optional(),
    sourcePortRanges: z.array(portRange).optional(),
    destinationPortRange: portRange.optional(),
    destinationPortRanges: z.array(portRange).optional(),
    /** application security group IDs on either side */
    sourceApplicationSecurityGroups: z.array(z.string().min(1)).optional(),
    destinationApplicationSecurityGroups: z.array(z.string().min(1)).optional(),
  })
  .refine((r) => !(r.sourceAddressPrefix !== undefined && r.sourceAddressPrefixes !== undefined), {
    message: "give sourceAddressPrefix or sourceAddressPrefixes, not both",
  })
  .refine((r) => !(r.destinationAddressPrefix !== undefined && r.destinationAddressPrefixes !== undefined), {
    message: "give destinationAddressPrefix or destinationAddressPrefixes, not both",
  });

export const NetworkSecurityGroupSchema = z.strictObject({
  name: nameSegment,
  location: z.string().min(1).optional(),
  securityRules: z.array(SecurityRuleSchema).default([]),
});

export const RouteSchema = z.strictObject({
  name: nameSegment,
  /** a CIDR or a service tag */
  addressPrefix: z.string().min(1),
  nextHopType: z.enum(["VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "None"]),
  nextHopIpAddress: z
    .string()
    .refine((s) => ipaddr.isValid(s), { message: "must be an IP address" })
    .optional(),
});

export const RouteTableSchema = z.strictObject({
  name: nameSegment,
  location: z.string().min(1).optional(),
  disableBgpRoutePropagation: z.boolean().default(false),
  routes: z.array(RouteSchema).default([]),
});

export const NatGatewaySchema = z.strictObject({
  name: nameSegment,
  location: z.string().min(1).optional(),
  provisioningState: z.enum(["Succeeded", "Updating", "Deleting", "Failed"]).default("Succeeded"),
  /** public IP address IDs or names (names become IDs in the NAT gateway's resource group) */
  publicIpAddresses: z.array(z.string().min(1)).default(["pip-nat"]),
  publicIpPrefixes: z.array(z.string().min(1)).default([]),
  idleTimeoutInMinutes: z.number().int().min(4).max(120).default(4),
});

export const ResourceGroupSchema = z.strictObject({
  name: z.string().regex(/^[-\w.()]{0,89}[-\w()]$/u, {
    message: "must be a valid resource group name (1-90 chars, no trailing '.')",
  }),
  location: z.string().min(1).default("eastus"),
  virtualNetworks: z.array(VirtualNetworkSchema).default([]),
  managedClusters: z.array(ManagedClusterSchema).default([]),
  networkSecurityGroups: z.array(NetworkSecurityGroupSchema).default([]),
  routeTables: z.array(RouteTableSchema).default([]),
  natGateways: z.array(NatGatewaySchema).default([]),
});

export const SubscriptionSchema = z.strictObject({
  id: nameSegment.describe("subscription ID, normally a GUID"),
  displayName: z.string().optional(),
  resourceGroups: z.array(ResourceGroupSchema).default([]),
});

const permission = z.strictObject({
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
});

export const RoleDefinitionSchema = z.strictObject({
  /** the role's GUID */
  name: guid,
  roleName: z.string().min(1),
  description: z.string().default(""),
  type: z.enum(["BuiltInRole", "CustomRole"]).default("CustomRole"),
  permissions: z.array(permission).min(1),
  assignableScopes: z.array(scope).default(["/"]),
});

export const RoleAssignmentSchema = z
  .strictObject({
    /** GUID name; generated (deterministically) when absent */
    name: guid.optional(),
    principalId: nameSegment,
    principalType: z.enum(["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"]).default("ServicePrincipal"),
    scope,
    /** role name, e.g. "Network Contributor" */
    role: z.string().min(1).optional(),
    /** role GUID or full role definition ID */
    roleDefinitionId: z.string().min(1).optional(),
    condition: z.string().min(1).optional(),
    conditionVersion: z.string().optional(),
    description: z.string().optional(),
  })
  .refine((a) => (a.role === undefined) !== (a.roleDefinitionId === undefined), {
    message: "give exactly one of role (name) or roleDefinitionId",
    path: ["role"],
  });

const principalRef = z.strictObject({
  id: nameSegment,
  type: z
    .enum(["User", "Group", "ServicePrincipal", "SystemDefined", "ForeignGroup", "Device"])
    .default("ServicePrincipal"),
});

export const EVERYONE_PRINCIPAL = "00000000-0000-0000-0000-000000000000";

export const DenyAssignmentSchema = z.strictObject({
  /** GUID name; generated (deterministically) when absent */
  name: guid.optional(),
  denyAssignmentName: z.string().optional(),
  description: z.string().default(""),
  scope,
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  dataActions: z.array(z.string()).default([]),
  notDataActions: z.array(z.string()).default([]),
  principals: z.array(principalRef).min(1),
  excludePrincipals: z.array(principalRef).default([]),
  doNotApplyToChildScopes: z.boolean().default(false),
  isSystemProtected: z.boolean().default(true),
});

export const PrincipalSchema = z.strictObject({
  id: nameSegment,
  displayName: z.string().optional(),
  /** application (client) ID used in AuthorizationFailed messages */
  appId: z.string().optional(),
  type: z.enum(["User", "Group", "ServicePrincipal"]).default("ServicePrincipal"),
});

export const TopologySchema = z
  .strictObject({
    tenantId: guid.default("00000000-0000-0000-0000-0000000000f0"),
    /** items per page for list operations (usages, role/deny assignments); small so paging is exercised */
    pageSize: z.number().int().min(1).default(2),
    principals: z.array(PrincipalSchema).default([]),
    subscriptions: z.array(SubscriptionSchema).min(1),
    roleDefinitions: z.array(RoleDefinitionSchema).default([]),
    roleAssignments: z.array(RoleAssignmentSchema).default([]),
    denyAssignments: z.array(DenyAssignmentSchema).default([]),
  })
  .superRefine((t, ctx) => {
    const roleNames = new Set(BUILT_IN_ROLES.map((r) => r.roleName.toLowerCase()));
    const roleIds = new Set(BUILT_IN_ROLES.map((r) => r.name.toLowerCase()));
    t.roleDefinitions.forEach((r, i) => {
      if (roleIds.has(r.name.toLowerCase())) {
        ctx.addIssue({
          code: "custom",
          path: ["roleDefinitions", i, "name"],
          message: `role definition ${r.name} is already defined (built-in roles are always present)`,
        });
      }
      roleIds.add(r.name.toLowerCase());
      roleNames.add(r.roleName.toLowerCase());
    });
    t.roleAssignments.forEach((a, i) => {
      if (a.role !== undefined && !roleNames.has(a.role.toLowerCase())) {
        ctx.addIssue({
          code: "custom",
          path: ["roleAssignments", i, "role"],
          message: `unknown role name '${a.role}'`,
        });
      }
      if (a.roleDefinitionId !== undefined) {
        const g = a.roleDefinitionId.split("/").pop() ?? "";
        if (!roleIds.has(g.toLowerCase())) {
          ctx.addIssue({
            code: "custom",
            path: ["roleAssignments", i, "roleDefinitionId"],
            message: `unknown role definition '${a.roleDefinitionId}'`,
          });
        }
      }
    });
    const subs = new Set<string>();
    t.subscriptions.forEach((s, i) => {
      const key = s.id.toLowerCase();
      if (subs.has(key))
        ctx.addIssue({ code: "custom", path: ["subscriptions", i, "id"], message: `duplicate subscription '${s.id}'` });
      subs.add(key);
      const rgs = new Set<string>();
      s.resourceGroups.forEach((rg, j) => {
        if (rgs.has(rg.name.toLowerCase())) {
          ctx.addIssue({
            code: "custom",
            path: ["subscriptions", i, "resourceGroups", j, "name"],
            message: `duplicate resource group '${rg.name}'`,
          });
        }
        rgs.add(rg.name.toLowerCase());
        const vnets = new Set<string>();
        rg.virtualNetworks.forEach((v, k) => {
          if (vnets.has(v.name.toLowerCase())) {
            ctx.addIssue({
              code: "custom",
              path: ["subscriptions", i, "resourceGroups", j, "virtualNetworks", k, "name"],
              message: `duplicate VNet '${v.name}'`,
            });
          }
          vnets.add(v.name.toLowerCase());
          const subnets = new Set<string>();
          v.subnets.forEach((sn, l) => {
            if (subnets.has(sn.name.toLowerCase())) {
              ctx.addIssue({
                code: "custom",
                path: ["subscriptions", i, "resourceGroups", j, "virtualNetworks", k, "subnets", l, "name"],
                message: `duplicate subnet '${sn.name}'`,
              });
            }
            subnets.add(sn.name.toLowerCase());
          });
        });
      });
    });
  });

/** What a topology author writes (defaults optional). */
export type Topology = z.input<typeof TopologySchema>;
/** A validated topology with defaults filled in. */
export type ParsedTopology = z.output<typeof TopologySchema>;
export type SubnetSpec = z.output<typeof SubnetSchema>;
export type SubnetInput = z.input<typeof SubnetSchema>;
export type RoleDefinitionSpec = z.output<typeof RoleDefinitionSchema>;
export type RoleAssignmentInput = z.input<typeof RoleAssignmentSchema>;
export type DenyAssignmentInput = z.input<typeof DenyAssignmentSchema>;
export type ManagedClusterSpec = z.output<typeof ManagedClusterSchema>;
export type SecurityRuleSpec = z.output<typeof SecurityRuleSchema>;
export type SecurityRuleInput = z.input<typeof SecurityRuleSchema>;
export type NetworkSecurityGroupSpec = z.output<typeof NetworkSecurityGroupSchema>;
export type NetworkSecurityGroupInput = z.input<typeof NetworkSecurityGroupSchema>;
export type RouteTableSpec = z.output<typeof RouteTableSchema>;
export type RouteTableInput = z.input<typeof RouteTableSchema>;
export type NatGatewaySpec = z.output<typeof NatGatewaySchema>;
export type NatGatewayInput = z.input<typeof NatGatewaySchema>;

export { CONTRIBUTOR_ROLE_ID, NETWORK_CONTRIBUTOR_ROLE_ID, OWNER_ROLE_ID, READER_ROLE_ID };

/** Built-in roles the simulator always knows, with their real permissions. */
export const BUILT_IN_ROLES: readonly RoleDefinitionSpec[] = AZURE_BUILT_IN_ROLES.map((r) => ({
  name: r.name,
  roleName: r.roleName,
  description: r.description,
  type: "BuiltInRole",
  permissions: [{ actions: [...r.actions], notActions: [...r.notActions], dataActions: [], notDataActions: [] }],
  assignableScopes: ["/"],
}));

export class TopologyError extends Error {
  readonly issues: readonly { path: string; message: string }[];
  constructor(source: string, issues: readonly { path: string; message: string }[]) {
    super(`invalid topology (${source}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`);
    this.name = "TopologyError";
    this.issues = issues;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

/** Validates an already-parsed value (object from YAML/JSON or code). */
export function validateTopology(value: unknown, source = "object"): ParsedTopology {
  const result = TopologySchema.safeParse(value);
  if (result.success) return result.data;
  throw new TopologyError(
    source,
    result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  );
}

/** Accepts a topology object, YAML/JSON text, or a path to a YAML/JSON file. */
export function loadTopology(input: Topology | string): ParsedTopology {
  if (typeof input !== "string") return validateTopology(input);
  const looksLikePath = !input.includes("\n") && !input.trimStart().startsWith("{") && existsSync(input);
  const text = looksLikePath ? readFileSync(input, "utf8") : input;
  const source = looksLikePath ? input : "YAML text";
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new TopologyError(source, [
      { path: "(root)", message: `not valid YAML: ${err instanceof Error ? err.message : String(err)}` },
    ]);
  }
  if (typeof value !== "object" || value === null) {
    throw new TopologyError(source, [
      {
        path: "(root)",
        message: looksLikePath
          ? "file does not hold a YAML mapping"
          : "expected a YAML mapping or an existing file path",
      },
    ]);
  }
  return validateTopology(value, source);
}

/** JSON Schema of the topology file (for editors and docs). */
export function topologyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TopologySchema, { io: "input", unrepresentable: "any" });
}
