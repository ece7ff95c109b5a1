/**
 * The NSGs, route tables and NAT gateways subnets point at, read by resource ID and shared: one
 * NetworkSecurityGroups_Get / RouteTables_Get / NatGateways_Get per resource per resync pass, whatever
 * the number of nodeclasses (and subnets) behind it.
 *
 * Same rules as the VNet cache (./vnet-cache.ts): requests only for strictly parsed IDs, only in allowed
 * subscriptions; Azure's own 404 and 403 are definite; throttling and outages are `unavailable` with the
 * last good data; concurrent callers share one fetch; a failure is retried after its own window
 * (failure TTL or Retry-After).
 */
import type { NatGateway, NetworkSecurityGroup, RouteTable, SecurityRule } from "@azure/arm-network";
import {
  parseNetworkResourceId,
  type NetworkResourceRef,
  type NetworkResourceType,
} from "../health/connectivity/resource-id.js";
import type {
  NatGatewayData,
  NsgData,
  ResourceObservation,
  RouteTableData,
  SecurityRuleData,
} from "../health/connectivity/types.js";
import type { ArmLimiter } from "./arm-limiter.js";
import type { AzureClients } from "./clients.js";
import { classifyAzureError } from "./errors.js";

export interface NetworkResourceReader {
  getNetworkSecurityGroup(ref: NetworkResourceRef): Promise<NetworkSecurityGroup>;
  getRouteTable(ref: NetworkResourceRef): Promise<RouteTable>;
  getNatGateway(ref: NetworkResourceRef): Promise<NatGateway>;
}

export function armNetworkResourceReader(
  clients: AzureClients,
  limiter: ArmLimiter,
  opts: { timeoutMs?: number } = {},
): NetworkResourceReader {
  const sched = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const net = (ref: NetworkResourceRef) => clients.forSubscription(ref.subscriptionId).network;
  return {
    getNetworkSecurityGroup: (ref) =>
      limiter.schedule(
        "NetworkSecurityGroups_Get",
        (abortSignal) => net(ref).networkSecurityGroups.get(ref.resourceGroup, ref.name, { abortSignal }),
        sched,
      ),
    getRouteTable: (ref) =>
      limiter.schedule(
        "RouteTables_Get",
        (abortSignal) => net(ref).routeTables.get(ref.resourceGroup, ref.name, { abortSignal }),
        sched,
      ),
    getNatGateway: (ref) =>
      limiter.schedule(
        "NatGateways_Get",
        (abortSignal) => net(ref).natGateways.get(ref.resourceGroup, ref.name, { abortSignal }),
        sched,
      ),
  };
}

const list = (one: string | undefined, many: string[] | undefined): string[] =>
  many !== undefined && many.length > 0 ? [...many] : one !== undefined && one !== "" ? [one] : [];

export function securityRuleFromSdk(r: SecurityRule): SecurityRuleData | undefined {
  if (r.priority === undefined || (r.direction !== "Inbound" && r.direction !== "Outbound")) return undefined;
  if (r.access !== "Allow" && r.access !== "Deny") return undefined;
  return {
    name: r.name ?? `priority-${r.priority}`,
    priority: r.priority,
    direction: r.direction,
    access: r.access,
    protocol: r.protocol ?? "*",
    sourceAddressPrefixes: list(r.sourceAddressPrefix, r.sourceAddressPrefixes),
    destinationAddressPrefixes: list(r.destinationAddressPrefix, r.destinationAddressPrefixes),
    sourcePortRanges: list(r.sourcePortRange, r.sourcePortRanges),
    destinationPortRanges: list(r.destinationPortRange, r.destinationPortRanges),
    sourceApplicationSecurityGroups: (r.sourceApplicationSecurityGroups ?? []).length > 0,
    destinationApplicationSecurityGroups: (r.destinationApplicationSecurityGroups ?? []).length > 0,
  };
}

/** The custom rules only: Azure's default rules are fixed, the evaluator adds them. */
export function nsgDataFromSdk(nsg: NetworkSecurityGroup, ref: NetworkResourceRef): NsgData {
  return {
    id: nsg.id ?? ref.id,
    name: nsg.name ?? ref.name,
    securityRules: (nsg.securityRules ?? [])
      .map(securityRuleFromSdk)
      .filter((r): r is SecurityRuleData => r !== undefined),
  };
}

export function routeTableDataFromSdk(rt: RouteTable, ref: NetworkResourceRef): RouteTableData {
  return {
    id: rt.id ?? ref.id,
    name: rt.name ?? ref.name,
    routes: (rt.routes ?? []).flatMap((r) =>
      r.addressPrefix !== undefined && r.nextHopType !== undefined
        ? [
            {
              name: r.name ?? r.addressPrefix,
              addressPrefix: r.addressPrefix,
              nextHopType: r.nextHopType,
              ...(r.nextHopIpAddress !== undefined ? { nextHopIpAddress: r.nextHopIpAddress } : {}),
            },
          ]
        : [],
    ),
  };
}

export function natGatewayDataFromSdk(nat: NatGateway, ref: NetworkResourceRef): NatGatewayData {
  return {
    id: nat.id ?? ref.id,
    name: nat.name ?? ref.name,
    provisioningState: nat.provisioningState,
    publicIpCount: (nat.publicIpAddresses ?? []).length + (nat.publicIpPrefixes ?? []).length,
  };
}

type AnyData = NsgData | RouteTableData | NatGatewayData;

interface Entry {
  observation?: ResourceObservation<AnyData>;
  observedAt: number;
  servedForMs: number;
  lastGood?: AnyData;
  unavailableSince?: number;
  inflight?: Promise<ResourceObservation<AnyData>>;
}

export interface NetworkResourceCacheOptions {
  reader: NetworkResourceReader;
  /** how long an answer is served; default 60 s (a resync pass asks for fresher data anyway) */
  ttlMs?: number;
  /** how long an `unavailable` answer is served; default 15 s (or Retry-After) */
  failureTtlMs?: number;
  now?: () => number;
}

export interface NetworkResourceGetOptions {
  /** serve a cached answer if younger than this (default: the TTL) */
  maxAgeMs?: number;
  /** lower-case subscription IDs the operator may read; undefined = all */
  allowedSubscriptions?: readonly string[] | undefined;
}

const OPERATION: Record<NetworkResourceType, string> = {
  networkSecurityGroups: "NetworkSecurityGroups_Get",
  routeTables: "RouteTables_Get",
  natGateways: "NatGateways_Get",
};

export class NetworkResourceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly reader: NetworkResourceReader;
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly now: () => number;

  constructor(opts: NetworkResourceCacheOptions) {
    this.reader = opts.reader;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.failureTtlMs = opts.failureTtlMs ?? 15_000;
    this.now = opts.now ?? Date.now;
  }

  networkSecurityGroup(id: string, opts: NetworkResourceGetOptions = {}): Promise<ResourceObservation<NsgData>> {
    return this.get(id, "networkSecurityGroups", opts) as Promise<ResourceObservation<NsgData>>;
  }

  routeTable(id: string, opts: NetworkResourceGetOptions = {}): Promise<ResourceObservation<RouteTableData>> {
    return this.get(id, "routeTables", opts) as Promise<ResourceObservation<RouteTableData>>;
  }

  natGateway(id: string, opts: NetworkResourceGetOptions = {}): Promise<ResourceObservation<NatGatewayData>> {
    return this.get(id, "natGateways", opts) as Promise<ResourceObservation<NatGatewayData>>;
  }

  /** Drops every resource not in `ids` (no subnet in use points at it any more). */
  retain(ids: Iterable<string>): void {
    const keep = new Set([...ids].map((i) => i.toLowerCase()));
    for (const key of this.entries.keys()) if (!keep.has(key)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private get(
    id: string,
    type: NetworkResourceType,
    opts: NetworkResourceGetOptions,
  ): Promise<ResourceObservation<AnyData>> {
    const parsed = parseNetworkResourceId(id, type);
    // never a request to a path not built from a strictly parsed ID
    if (!parsed.ok) return Promise.resolve({ kind: "invalid-id", message: parsed.error });
    const ref = parsed.ref;
    const allowed = opts.allowedSubscriptions;
    if (allowed !== undefined && !allowed.includes(ref.subscriptionId.toLowerCase())) {
      return Promise.resolve({
        kind: "not-allowed",
        message: `subscription ${ref.subscriptionId} is not in --allowed-subscriptions`,
      });
    }
    let entry = this.entries.get(ref.canonical);
    if (entry === undefined) {
      entry = { observedAt: 0, servedForMs: 0 };
      this.entries.set(ref.canonical, entry);
    }
    if (entry.observation !== undefined) {
      const age = this.now() - entry.observedAt;
      // a caller's own freshness bound (the time since its resync pass began) wins over the TTL, so a
      // slow pass still reads each resource once; failures wait out their own window whatever is asked
      const window = entry.observation.kind === "unavailable" ? entry.servedForMs : (opts.maxAgeMs ?? this.ttlMs);
      if (age < window) return Promise.resolve(entry.observation);
    }
    if (entry.inflight !== undefined) return entry.inflight;
    const e = entry;
    const run = this.refresh(e, ref).finally(() => {
      if (e.inflight === run) delete e.inflight;
    });
    e.inflight = run;
    return run;
  }

  private async read(ref: NetworkResourceRef): Promise<AnyData> {
    switch (ref.type) {
      case "networkSecurityGroups":
        return nsgDataFromSdk(await this.reader.getNetworkSecurityGroup(ref), ref);
      case "routeTables":
        return routeTableDataFromSdk(await this.reader.getRouteTable(ref), ref);
      case "natGateways":
        return natGatewayDataFromSdk(await this.reader.getNatGateway(ref), ref);
    }
  }

  private async refresh(entry: Entry, ref: NetworkResourceRef): Promise<ResourceObservation<AnyData>> {
    let observation: ResourceObservation<AnyData>;
    let servedForMs = this.ttlMs;
    try {
      const data = await this.read(ref);
      observation = { kind: "ok", data, fetchedAt: this.now() };
      entry.lastGood = data;
      delete entry.unavailableSince;
    } catch (err) {
      const c = classifyAzureError(err, { operation: OPERATION[ref.type], resource: ref.id }, this.now());
      if (c.outcome === "failure") {
        entry.unavailableSince ??= this.now();
        observation = {
          kind: "unavailable",
          failure: c.failure,
          since: entry.unavailableSince,
          ...(entry.lastGood !== undefined ? { last: entry.lastGood } : {}),
        };
        servedForMs = Math.max(this.failureTtlMs, (c.failure.retryAfterSeconds ?? 0) * 1000);
      } else {
        delete entry.lastGood;
        delete entry.unavailableSince;
        observation =
          c.kind === "forbidden"
            ? { kind: "forbidden", message: c.message }
            : { kind: "not-found", message: c.message };
      }
    }
    entry.observation = observation;
    entry.observedAt = this.now();
    entry.servedForMs = servedForMs;
    return observation;
  }
}
