/**
 * The cluster's network plan, from ManagedClusters_Get (--cluster-resource-id) or from explicit flags,
 * plus what the managed cluster tells us about Karpenter's identity and default subnet.
 */
import type { ManagedCluster, ManagedClusterAgentPoolProfile } from "@azure/arm-containerservice";
import type { ClusterNetwork, ClusterNetworkObservation } from "../health/types.js";
import type { ArmLimiter } from "./arm-limiter.js";
import type { AzureClients } from "./clients.js";
import { classifyAzureError } from "./errors.js";
import { ObservedCache, type Fetched } from "./observed-cache.js";

export interface ClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** canonical spelling of keywords, names as given */
  id: string;
  /** id lower-cased */
  canonical: string;
}

export type ClusterIdParse = { ok: true; ref: ClusterRef } | { ok: false; error: string };

const CLUSTER_ID_EXAMPLE =
  "/subscriptions/{subscription-guid}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[A-Za-z0-9_\-().]{1,90}$/;
// AKS cluster names: 1-63 letters, digits, '_' and '-', starting and ending with a letter or digit.
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
const KEYWORDS: ReadonlyArray<readonly [number, string]> = [
  [0, "subscriptions"],
  [2, "resourceGroups"],
  [4, "providers"],
  [5, "Microsoft.ContainerService"],
  [6, "managedClusters"],
];

/** Strict parser for --cluster-resource-id: exactly the managed-cluster shape, nothing after the name. */
export function parseClusterResourceId(raw: string): ClusterIdParse {
  const fail = (error: string): ClusterIdParse => ({
    ok: false,
    error: `invalid cluster resource ID '${raw}': ${error}; expected ${CLUSTER_ID_EXAMPLE}`,
  });
  if (raw.length === 0 || raw.length > 1024) return fail("empty or too long");
  if (/[\s\p{Cc}\p{Cf}%?#]/u.test(raw)) return fail("contains whitespace, control characters, '%', '?' or '#'");
  if (!raw.startsWith("/") || raw.endsWith("/")) return fail("must start with '/subscriptions/' and not end with '/'");
  const segments = raw.slice(1).split("/");
  if (segments.length !== 8) return fail(`has ${segments.length} segments, expected 8`);
  for (const [pos, word] of KEYWORDS) {
    if (segments[pos]?.toLowerCase() !== word.toLowerCase()) return fail(`segment ${pos + 1} must be '${word}'`);
  }
  const [, subscriptionId = "", , resourceGroup = "", , , , name = ""] = segments;
  if (!GUID.test(subscriptionId)) return fail(`subscription '${subscriptionId}' is not a GUID`);
  if (!RESOURCE_GROUP.test(resourceGroup) || resourceGroup.endsWith("."))
    return fail(`resource group '${resourceGroup}' is not a valid name`);
  if (!CLUSTER_NAME.test(name)) return fail(`cluster name '${name}' is not a valid AKS cluster name`);
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return { ok: true, ref: { subscriptionId, resourceGroup, name, id, canonical: id.toLowerCase() } };
}

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim().length > 0 ? v.trim() : undefined);

function uniq(values: Array<string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = nonEmpty(v);
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

function isSystemPool(p: ManagedClusterAgentPoolProfile): boolean {
  return (p.mode ?? "").toLowerCase() === "system";
}

/**
 * maxPods for nodes whose class sets none. We take the largest maxPods of the agent pools: it is the
 * conservative choice for headroom (more IPs per node in node-subnet mode → fewer nodes fit), and with a
 * single pool it is that pool's value.
 */
function defaultMaxPods(pools: ManagedClusterAgentPoolProfile[]): number | undefined {
  const values = pools.map((p) => p.maxPods).filter((n): n is number => typeof n === "number" && n > 0);
  return values.length > 0 ? Math.max(...values) : undefined;
}

export function clusterNetworkFromManagedCluster(mc: ManagedCluster): ClusterNetwork {
  const np = mc.networkProfile ?? {};
  const pools = mc.agentPoolProfiles ?? [];
  return {
    source: "managed-cluster",
    networkPlugin: nonEmpty(np.networkPlugin),
    networkPluginMode: nonEmpty(np.networkPluginMode),
    networkPolicy: nonEmpty(np.networkPolicy),
    networkDataplane: nonEmpty(np.networkDataplane),
    // the plural fields are authoritative when present (dual-stack); the singular is the IPv4 one
    podCidrs: np.podCidrs && np.podCidrs.length > 0 ? uniq(np.podCidrs) : uniq([np.podCidr]),
    serviceCidrs: np.serviceCidrs && np.serviceCidrs.length > 0 ? uniq(np.serviceCidrs) : uniq([np.serviceCidr]),
    dnsServiceIP: nonEmpty(np.dnsServiceIP),
    loadBalancerSku: nonEmpty(np.loadBalancerSku),
    outboundType: nonEmpty(np.outboundType),
    nodeResourceGroup: nonEmpty(mc.nodeResourceGroup),
    defaultMaxPods: defaultMaxPods(pools),
    agentPools: pools.map((p) => {
      const pool: ClusterNetwork["agentPools"][number] = { name: p.name };
      const podSubnetID = nonEmpty(p.podSubnetID);
      const vnetSubnetID = nonEmpty(p.vnetSubnetID);
      const mode = nonEmpty(p.podIPAllocationMode);
      if (podSubnetID) pool.podSubnetID = podSubnetID;
      if (mode) pool.podIPAllocationMode = mode;
      if (vnetSubnetID) pool.vnetSubnetID = vnetSubnetID;
      if (typeof p.maxPods === "number") pool.maxPods = p.maxPods;
      return pool;
    }),
  };
}

export interface ClusterPrincipal {
  principalId: string;
  source: "cluster-identity" | "cluster-user-assigned-identity";
  detail: string;
}

/**
 * The identity to check for subnet read + join when Karpenter is AKS node auto-provisioning (NAP).
 *
 * NAP's Karpenter runs in the AKS-managed control plane and creates NICs with the cluster (control-plane)
 * identity, which is why the NAP custom-VNet docs grant Network Contributor to `identity.principalId`.
 * The kubelet identity (`identityProfile.kubeletidentity`) is what nodes use to pull images; it never
 * creates NICs, so checking it would answer the wrong question. A self-hosted Karpenter uses its own
 * workload identity, which the managed cluster does not name: configure --karpenter-principal-id then.
 * Returns undefined for service-principal clusters (the profile gives an app ID, not an object ID) and for
 * user-assigned setups with more than one identity (ambiguous).
 */
export function principalFromCluster(mc: ManagedCluster): ClusterPrincipal | undefined {
  const identity = mc.identity;
  if (!identity) return undefined;
  const type = (identity.type ?? "").toLowerCase();
  const systemAssigned = nonEmpty(identity.principalId);
  if (type === "systemassigned" && systemAssigned) {
    return {
      principalId: systemAssigned,
      source: "cluster-identity",
      detail: "system-assigned control-plane identity (identity.principalId)",
    };
  }
  if (type === "userassigned") {
    const entries = Object.entries(identity.userAssignedIdentities ?? {}).flatMap(([resourceId, v]) => {
      const principalId = nonEmpty(v.principalId);
      return principalId ? [{ resourceId, principalId }] : [];
    });
    const only = entries.length === 1 ? entries[0] : undefined;
    if (only) {
      return {
        principalId: only.principalId,
        source: "cluster-user-assigned-identity",
        detail: `user-assigned control-plane identity ${only.resourceId}`,
      };
    }
  }
  return undefined;
}

/** The subnet the cluster's nodes use by default: the system pool's vnetSubnetID (else the first pool's). */
export function defaultSubnetFromCluster(mc: ManagedCluster): string | undefined {
  const pools = mc.agentPoolProfiles ?? [];
  const withSubnet = pools.filter((p) => nonEmpty(p.vnetSubnetID));
  const pick = withSubnet.find(isSystemPool) ?? withSubnet[0];
  return nonEmpty(pick?.vnetSubnetID);
}

export interface NetworkFlags {
  networkPlugin?: string;
  networkPluginMode?: string;
  networkPolicy?: string;
  networkDataplane?: string;
  /** comma-separated lists are accepted */
  podCidrs?: string[] | string;
  serviceCidrs?: string[] | string;
  dnsServiceIP?: string;
  loadBalancerSku?: string;
  defaultMaxPods?: number;
}

function list(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : [v];
  return uniq(items.flatMap((s) => s.split(",")));
}

/** A ClusterNetwork from explicit settings, or undefined when nothing was set. */
export function networkFromFlags(opts: NetworkFlags): ClusterNetwork | undefined {
  const network: ClusterNetwork = {
    source: "flags",
    networkPlugin: nonEmpty(opts.networkPlugin),
    networkPluginMode: nonEmpty(opts.networkPluginMode),
    networkPolicy: nonEmpty(opts.networkPolicy),
    networkDataplane: nonEmpty(opts.networkDataplane),
    podCidrs: list(opts.podCidrs),
    serviceCidrs: list(opts.serviceCidrs),
    dnsServiceIP: nonEmpty(opts.dnsServiceIP),
    loadBalancerSku: nonEmpty(opts.loadBalancerSku),
    defaultMaxPods: opts.defaultMaxPods,
    agentPools: [],
  };
  const anything =
    network.networkPlugin ??
    network.networkPluginMode ??
    network.networkPolicy ??
    network.networkDataplane ??
    network.dnsServiceIP ??
    network.loadBalancerSku;
  if (
    anything === undefined &&
    network.podCidrs.length === 0 &&
    network.serviceCidrs.length === 0 &&
    network.defaultMaxPods === undefined
  )
    return undefined;
  return network;
}

/**
 * The managed cluster's network with each explicitly set flag winning over what the cluster says:
 * explicit settings override only where they are set (the source stays "managed-cluster").
 */
export function withFlagOverrides(net: ClusterNetwork, flags: ClusterNetwork | undefined): ClusterNetwork {
  if (!flags) return net;
  return {
    ...net,
    networkPlugin: flags.networkPlugin ?? net.networkPlugin,
    networkPluginMode: flags.networkPluginMode ?? net.networkPluginMode,
    networkPolicy: flags.networkPolicy ?? net.networkPolicy,
    networkDataplane: flags.networkDataplane ?? net.networkDataplane,
    podCidrs: flags.podCidrs.length > 0 ? flags.podCidrs : net.podCidrs,
    serviceCidrs: flags.serviceCidrs.length > 0 ? flags.serviceCidrs : net.serviceCidrs,
    dnsServiceIP: flags.dnsServiceIP ?? net.dnsServiceIP,
    loadBalancerSku: flags.loadBalancerSku ?? net.loadBalancerSku,
  };
}

export interface ManagedClusterReader {
  getManagedCluster(ref: ClusterRef): Promise<ManagedCluster>;
}

export function armManagedClusterReader(
  clients: AzureClients,
  limiter: ArmLimiter,
  opts: { timeoutMs?: number } = {},
): ManagedClusterReader {
  const sched = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  return {
    getManagedCluster: (ref) =>
      limiter.schedule(
        "ManagedClusters_Get",
        (abortSignal) =>
          clients
            .forSubscription(ref.subscriptionId)
            .containerService.managedClusters.get(ref.resourceGroup, ref.name, { abortSignal }),
        {
          ...sched,
          target: `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${ref.name}`,
        },
      ),
  };
}

export interface ClusterSourceOptions {
  reader: ManagedClusterReader;
  cluster: ClusterRef;
  /** default 10 min: the network profile changes rarely */
  ttlMs?: number;
  /** default 30 s (or Retry-After) */
  failureTtlMs?: number;
  now?: () => number;
}

/** ManagedClusters_Get through the observed cache (TTL, single flight, last good answer through failures). */
export class ClusterSource {
  private readonly reader: ManagedClusterReader;
  readonly cluster: ClusterRef;
  private readonly now: () => number;
  private readonly cache: ObservedCache<
    { mc: ManagedCluster; network: ClusterNetwork },
    never,
    ClusterNetworkObservation
  >;

  constructor(opts: ClusterSourceOptions) {
    this.reader = opts.reader;
    this.cluster = opts.cluster;
    this.now = opts.now ?? Date.now;
    this.cache = new ObservedCache({
      ttlMs: opts.ttlMs ?? 600_000,
      failureTtlMs: opts.failureTtlMs ?? 30_000,
      definiteForgetsLastGood: false,
      clock: { now: this.now },
      shape: {
        ok: (v, at): ClusterNetworkObservation => ({ kind: "ok", network: v.network, fetchedAt: at }),
        definite: (never) => never,
        unavailable: (failure, since, last): ClusterNetworkObservation => ({
          kind: "unavailable",
          failure,
          since,
          ...(last ? { last: last.network } : {}),
        }),
      },
    });
  }

  /** The last managed cluster read successfully (for principalFromCluster / defaultSubnetFromCluster). */
  get managedCluster(): ManagedCluster | undefined {
    return this.cache.lastGood(CLUSTER_KEY)?.mc;
  }

  peek(): ClusterNetworkObservation {
    return this.cache.peek(CLUSTER_KEY) ?? { kind: "unknown" };
  }

  get(opts: { maxAgeMs?: number; force?: boolean } = {}): Promise<ClusterNetworkObservation> {
    return this.cache.get(CLUSTER_KEY, () => this.fetch(), opts);
  }

  private async fetch(): Promise<Fetched<{ mc: ManagedCluster; network: ClusterNetwork }, never>> {
    try {
      const mc = await this.reader.getManagedCluster(this.cluster);
      return { kind: "ok", value: { mc, network: clusterNetworkFromManagedCluster(mc) } };
    } catch (err) {
      const c = classifyAzureError(err, { operation: "ManagedClusters_Get", resource: this.cluster.id }, this.now());
      // a missing or unreadable cluster is a configuration problem, but the network plan is still unknown
      const failure =
        c.outcome === "failure"
          ? c.failure
          : {
              kind: "other" as const,
              statusCode: c.statusCode,
              ...(c.code ? { code: c.code } : {}),
              message: c.message,
            };
      return { kind: "failure", failure };
    }
  }
}

const CLUSTER_KEY = "cluster";
