/**
 * The Azure data layer: SDK clients behind one ARM limiter, and the caches that turn ARM reads into the
 * observations of src/health/types.ts. `createAzureDataLayer` wires the usual set.
 */
import { AccessCache, type AccessCacheOptions } from "./access-cache.js";
import { ArmLimiter, type ArmLimiterOptions } from "./arm-limiter.js";
import { armAuthorizationReader } from "./authorization-reader.js";
import { createAzureClients, type AzureClientOptions, type AzureClients } from "./clients.js";
import { ClusterSource, armManagedClusterReader, type ClusterRef } from "./cluster-source.js";
import { NetworkResourceCache, armNetworkResourceReader } from "./network-resource-cache.js";
import { armNetworkReader } from "./network-reader.js";
import { VNetCache } from "./vnet-cache.js";

export * from "./access-cache.js";
export * from "./arm-limiter.js";
export * from "./authorization-reader.js";
export * from "./clients.js";
export * from "./cluster-source.js";
export * from "./errors.js";
export * from "./network-reader.js";
export * from "./network-resource-cache.js";
export * from "./operations.js";
export * from "./request-guard.js";
export * from "./vnet-cache.js";

export interface AzureDataLayerOptions {
  clients: Omit<AzureClientOptions, "limiter">;
  limiter?: ArmLimiterOptions;
  /** per-call deadline for ARM reads (ms); default: the limiter's (60 s) */
  callTimeoutMs?: number;
  vnetTtlMs?: number;
  vnetFailureTtlMs?: number;
  access?: Omit<AccessCacheOptions, "reader" | "now">;
  /** when set, ManagedClusters_Get is read from this cluster */
  cluster?: ClusterRef;
  clusterTtlMs?: number;
  clusterFailureTtlMs?: number;
  now?: () => number;
}

export interface AzureDataLayer {
  limiter: ArmLimiter;
  clients: AzureClients;
  vnets: VNetCache;
  access: AccessCache;
  /** NSGs, route tables and NAT gateways by resource ID */
  networkResources: NetworkResourceCache;
  cluster: ClusterSource | undefined;
}

export function createAzureDataLayer(opts: AzureDataLayerOptions): AzureDataLayer {
  const limiter = new ArmLimiter(opts.limiter);
  const clients = createAzureClients({ ...opts.clients, limiter });
  const timeout = opts.callTimeoutMs === undefined ? {} : { timeoutMs: opts.callTimeoutMs };
  const now = opts.now ? { now: opts.now } : {};
  const vnets = new VNetCache({
    reader: armNetworkReader(clients, limiter, timeout),
    ...(opts.vnetTtlMs === undefined ? {} : { ttlMs: opts.vnetTtlMs }),
    ...(opts.vnetFailureTtlMs === undefined ? {} : { failureTtlMs: opts.vnetFailureTtlMs }),
    ...now,
  });
  const access = new AccessCache({
    reader: armAuthorizationReader(clients, limiter, timeout),
    ...(opts.access ?? {}),
    ...now,
  });
  const cluster = opts.cluster
    ? new ClusterSource({
        reader: armManagedClusterReader(clients, limiter, timeout),
        cluster: opts.cluster,
        ...(opts.clusterTtlMs === undefined ? {} : { ttlMs: opts.clusterTtlMs }),
        ...(opts.clusterFailureTtlMs === undefined ? {} : { failureTtlMs: opts.clusterFailureTtlMs }),
        ...now,
      })
    : undefined;
  const networkResources = new NetworkResourceCache({
    reader: armNetworkResourceReader(clients, limiter, timeout),
    ...(opts.vnetTtlMs === undefined ? {} : { ttlMs: opts.vnetTtlMs }),
    ...(opts.vnetFailureTtlMs === undefined ? {} : { failureTtlMs: opts.vnetFailureTtlMs }),
    ...now,
  });
  return { limiter, clients, vnets, access, networkResources, cluster };
}
