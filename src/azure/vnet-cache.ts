/**
 * Per-VNet snapshots shared by every nodeclass whose subnet lives in that VNet.
 *
 * One refresh = 1 VirtualNetworks_Get (every subnet embedded: prefixes, state, delegations, NSG, route
 * table, NAT gateway, ipConfigurations) + the VirtualNetworks_ListUsage pages (free IPs per subnet). ARM
 * cost grows with the number of VNets, never with the number of nodeclasses.
 *
 * Outcomes follow the rule of src/health/types.ts: definite answers (404 with an Azure error code, 403)
 * replace the entry; transport errors and throttling give `unavailable` carrying the last good snapshot
 * (its `fetchedAt` tells how old it is). Concurrent callers for one VNet share one fetch.
 */
import type { Subnet, VirtualNetwork, VirtualNetworkUsage } from "@azure/arm-network";
import type { AzureFailure, SubnetProperties, SubnetRef, VNetObservation, VNetSnapshot } from "../health/types.js";
import { classifyAzureError, type ErrorClassification } from "./errors.js";
import type { NetworkReader, VNetNames } from "./network-reader.js";
import { ObservedCache } from "./observed-cache.js";

export interface VNetRef extends VNetNames {
  /** lower-case VNet ID */
  vnetCanonical: string;
}

/** What the cache adds to VNetSnapshot; the core only reads the VNetSnapshot fields. */
export interface CachedVNetSnapshot extends VNetSnapshot {
  /**
   * "virtual-network": from VirtualNetworks_Get (every subnet). "subnets": VirtualNetworks_Get was
   * forbidden, so only the subnets nodeclasses asked for were read one by one (Subnets_Get), and
   * `addressSpace` is empty.
   */
  source: "virtual-network" | "subnets";
  /** human note when source is "subnets" */
  note?: string;
}

export interface VNetCacheOptions {
  reader: NetworkReader;
  /** how long a fetched answer (snapshot or definite error) is served; default 60 s */
  ttlMs?: number;
  /** how long an `unavailable` answer is served before the next try; default 15 s (or Retry-After) */
  failureTtlMs?: number;
  now?: () => number;
}

export interface VNetGetOptions {
  /** serve a cached answer only if younger than this (default: the cache TTL) */
  maxAgeMs?: number;
  /** ignore any cached answer (joins a fetch already running) */
  force?: boolean;
}

/** What the cache knows of a VNet beyond its observation: the subnets a read must cover. */
interface Wanted {
  ref: VNetRef;
  /** subnets nodeclasses asked for, lower-case name → name as given (for the Subnets_Get fallback) */
  names: Map<string, string>;
  /** lower-case subnet name → sequence number of the first request for it */
  since: Map<string, number>;
}

type DefiniteVNet = Extract<
  VNetObservation,
  { kind: "resource-group-not-found" | "vnet-not-found" | "subscription-not-found" | "forbidden" }
>;

function lower(s: string | undefined): string | undefined {
  return s?.toLowerCase();
}

/** Merges addressPrefix and addressPrefixes (and IPAM allocations when there are none), de-duplicated. */
function prefixesOf(subnet: Subnet): string[] {
  const out: string[] = [];
  const add = (p: string | undefined): void => {
    const t = p?.trim();
    if (t && !out.some((x) => x.toLowerCase() === t.toLowerCase())) out.push(t);
  };
  add(subnet.addressPrefix);
  for (const p of subnet.addressPrefixes ?? []) add(p);
  if (out.length === 0) {
    for (const alloc of subnet.ipamPoolPrefixAllocations ?? [])
      for (const p of alloc.allocatedAddressPrefixes ?? []) add(p);
  }
  return out;
}

export function subnetPropertiesFromSdk(subnet: Subnet, fallbackName: string): SubnetProperties {
  const props: SubnetProperties = {
    id: subnet.id ?? "",
    name: subnet.name ?? fallbackName,
    addressPrefixes: prefixesOf(subnet),
    provisioningState: subnet.provisioningState,
    delegations: (subnet.delegations ?? []).map((d) => d.serviceName ?? d.name ?? "").filter((s) => s.length > 0),
    // Azure omits empty arrays, so an absent ipConfigurations list means none.
    ipConfigurationCount: subnet.ipConfigurations?.length ?? 0,
    usage: undefined,
  };
  if (subnet.networkSecurityGroup?.id) props.networkSecurityGroupId = subnet.networkSecurityGroup.id;
  if (subnet.routeTable?.id) props.routeTableId = subnet.routeTable.id;
  if (subnet.natGateway?.id) props.natGatewayId = subnet.natGateway.id;
  return props;
}

/** Attaches usage items to subnets by ID (case-insensitive); items naming no known subnet are ignored. */
export function applyUsages(
  subnets: Map<string, SubnetProperties>,
  usages: VirtualNetworkUsage[],
  vnetCanonical: string,
): void {
  const byId = new Map<string, SubnetProperties>();
  for (const s of subnets.values()) {
    byId.set((s.id || `${vnetCanonical}/subnets/${s.name}`).toLowerCase(), s);
  }
  for (const u of usages) {
    const id = lower(u.id);
    if (!id) continue;
    const target = byId.get(id.replace(/\/+$/, ""));
    if (!target) continue;
    if (typeof u.limit !== "number" && typeof u.currentValue !== "number") continue;
    // -1/-1 (GatewaySubnet, dynamically used) and 0 stay as reported: limit <= 0 means "not reported"
    target.usage = { limit: u.limit ?? -1, used: u.currentValue ?? -1 };
  }
}

type FetchResult =
  | { kind: "ok"; snapshot: CachedVNetSnapshot }
  | { kind: "definite"; observation: DefiniteVNet }
  | { kind: "failure"; failure: AzureFailure };

function vnetIdOf(ref: VNetNames): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${ref.vnet}`;
}

function definiteObservation(
  c: Extract<ErrorClassification, { outcome: "definite" }>,
  now: number,
): DefiniteVNet | undefined {
  switch (c.kind) {
    case "resource-group-not-found":
    case "subscription-not-found":
    case "vnet-not-found":
    case "forbidden":
      return { kind: c.kind, message: c.message, observedAt: now };
    case "not-found":
      return { kind: "vnet-not-found", message: c.message, observedAt: now };
    case "subnet-not-found":
      return undefined;
  }
}

/** Fetches one VNet (see the file comment). Never throws for Azure errors. */
export async function fetchVNetSnapshot(
  reader: NetworkReader,
  ref: VNetRef,
  wanted: Iterable<string>,
  now: () => number,
): Promise<FetchResult> {
  const vnetId = vnetIdOf(ref);
  let vnet: VirtualNetwork | undefined;
  let fallbackNote: string | undefined;
  try {
    vnet = await reader.getVirtualNetwork(ref);
  } catch (err) {
    const c = classifyAzureError(err, { operation: "VirtualNetworks_Get", resource: vnetId }, now());
    if (c.outcome === "failure") return { kind: "failure", failure: c.failure };
    if (c.kind !== "forbidden") {
      const obs = definiteObservation(c, now());
      return obs
        ? { kind: "definite", observation: obs }
        : { kind: "failure", failure: { kind: "other", message: c.message } };
    }
    fallbackNote = `reading virtual network ${vnetId} is forbidden (${c.message}); read the requested subnets one by one instead`;
  }

  const subnets = new Map<string, SubnetProperties>();
  let addressSpace: string[] = [];
  if (vnet) {
    addressSpace = (vnet.addressSpace?.addressPrefixes ?? []).slice();
    for (const s of vnet.subnets ?? []) {
      if (!s.name) continue;
      subnets.set(s.name.toLowerCase(), subnetPropertiesFromSdk(s, s.name));
    }
  } else {
    const names = [...wanted];
    const forbidden: string[] = [];
    // sequential: the fallback is rare and the limiter caps concurrency anyway
    for (const name of names) {
      try {
        const s = await reader.getSubnet(ref, name);
        subnets.set(name.toLowerCase(), subnetPropertiesFromSdk(s, name));
      } catch (err) {
        const c = classifyAzureError(err, { operation: "Subnets_Get", resource: `${vnetId}/subnets/${name}` }, now());
        if (c.outcome === "failure") return { kind: "failure", failure: c.failure };
        if (c.kind === "subnet-not-found") continue; // definite: absent from the map
        if (c.kind === "forbidden") {
          forbidden.push(name);
          continue;
        }
        const obs = definiteObservation(c, now());
        if (obs) return { kind: "definite", observation: obs };
      }
    }
    // A subnet we may not read must not look missing: report the whole VNet as forbidden.
    if (forbidden.length > 0 || names.length === 0) {
      const which = forbidden.length > 0 ? ` and subnet(s) ${forbidden.join(", ")}` : "";
      return {
        kind: "definite",
        observation: {
          kind: "forbidden",
          message: `the operator may not read virtual network ${vnetId}${which}: ${fallbackNote ?? ""}`,
          observedAt: now(),
        },
      };
    }
  }

  let usageFailure: VNetSnapshot["usageFailure"];
  try {
    const usages = await reader.listUsage(ref);
    applyUsages(subnets, usages, ref.vnetCanonical);
  } catch (err) {
    const c = classifyAzureError(err, { operation: "VirtualNetworks_ListUsage", resource: vnetId }, now());
    if (c.outcome === "failure") usageFailure = c.failure;
    else if (c.kind === "forbidden") usageFailure = { kind: "forbidden", message: c.message };
    else {
      // the VNet vanished between the two calls
      const obs = definiteObservation(c, now());
      if (obs) return { kind: "definite", observation: obs };
      usageFailure = { kind: "other", message: c.message };
    }
  }

  const snapshot: CachedVNetSnapshot = {
    vnetCanonical: ref.vnetCanonical,
    addressSpace,
    subnets,
    fetchedAt: now(),
    source: vnet ? "virtual-network" : "subnets",
    ...(usageFailure ? { usageFailure } : {}),
    ...(fallbackNote ? { note: fallbackNote } : {}),
  };
  return { kind: "ok", snapshot };
}

export function vnetRefOf(ref: SubnetRef | VNetRef): VNetRef {
  return {
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    vnet: ref.vnet,
    vnetCanonical: ref.vnetCanonical,
  };
}

export class VNetCache {
  private readonly cache: ObservedCache<CachedVNetSnapshot, DefiniteVNet, VNetObservation>;
  /** per VNet (same keys as the cache): the subnets asked for */
  private readonly wanted = new Map<string, Wanted>();
  private readonly reader: NetworkReader;
  private readonly now: () => number;

  constructor(opts: VNetCacheOptions) {
    this.reader = opts.reader;
    this.now = opts.now ?? Date.now;
    this.cache = new ObservedCache({
      ttlMs: opts.ttlMs ?? 60_000,
      failureTtlMs: opts.failureTtlMs ?? 15_000,
      // the VNet (or its resource group) is gone: its old numbers must not be served as "last known"
      definiteForgetsLastGood: true,
      clock: { now: this.now },
      shape: {
        ok: (snapshot): VNetObservation => ({ kind: "ok", snapshot }),
        definite: (observation): VNetObservation => observation,
        unavailable: (failure, since, lastGood): VNetObservation => ({
          kind: "unavailable",
          failure,
          since,
          ...(lastGood ? { lastGood } : {}),
        }),
      },
    });
  }

  private wantedFor(ref: SubnetRef | VNetRef): Wanted {
    const key = ref.vnetCanonical.toLowerCase();
    let w = this.wanted.get(key);
    if (!w) {
      w = { ref: vnetRefOf(ref), names: new Map(), since: new Map() };
      this.wanted.set(key, w);
    }
    if ("subnet" in ref && typeof ref.subnet === "string") {
      const name = ref.subnet.toLowerCase();
      w.names.set(name, ref.subnet);
      if (!w.since.has(name)) w.since.set(name, this.cache.nextSeq());
    }
    return w;
  }

  /** Whether `ref`'s subnet was first asked for after the fetch numbered `seq` started. */
  private askedAfter(w: Wanted, ref: SubnetRef | VNetRef, seq: number): boolean {
    if (!("subnet" in ref) || typeof ref.subnet !== "string") return false;
    const since = w.since.get(ref.subnet.toLowerCase());
    return since !== undefined && seq < since;
  }

  /**
   * A subnet absent from a snapshot fetched before anyone asked for it may simply be newer than the
   * snapshot (created together with its nodeclass) or, in the Subnets_Get fallback, was never read.
   * "Not found" from such a snapshot would be a false alarm: it is fetched once more.
   */
  private staleForSubnet(w: Wanted, ref: SubnetRef | VNetRef, obs: VNetObservation, seq: number): boolean {
    if (obs.kind !== "ok" || !("subnet" in ref) || typeof ref.subnet !== "string") return false;
    return !obs.snapshot.subnets.has(ref.subnet.toLowerCase()) && this.askedAfter(w, ref, seq);
  }

  /**
   * The VNet of `ref` (a SubnetRef registers its subnet for the Subnets_Get fallback). Serves a cached
   * answer younger than `maxAgeMs` (and its own serving time), otherwise fetches, sharing a running fetch.
   */
  get(ref: SubnetRef | VNetRef, opts: VNetGetOptions = {}): Promise<VNetObservation> {
    const w = this.wantedFor(ref);
    return this.cache.get(
      w.ref.vnetCanonical.toLowerCase(),
      async () => {
        const r = await fetchVNetSnapshot(this.reader, w.ref, w.names.values(), this.now);
        if (r.kind === "ok") return { kind: "ok", value: r.snapshot };
        if (r.kind === "failure") return { kind: "failure", failure: r.failure };
        return { kind: "definite", answer: r.observation };
      },
      {
        ...opts,
        reject: (obs, seq) => this.staleForSubnet(w, ref, obs, seq),
        // a fetch that started before this subnet was asked for may predate it: let it finish, then
        // decide again (which fetches once more only if the subnet is missing from its answer)
        outdates: (seq) => this.askedAfter(w, ref, seq),
      },
    );
  }

  /** Fetches again now, whatever is cached (shares a running fetch). */
  forceRefresh(ref: SubnetRef | VNetRef): Promise<VNetObservation> {
    return this.get(ref, { force: true });
  }

  /** The cached answer without fetching ({kind: "pending"} before the first fetch). */
  peek(vnetCanonical: string): VNetObservation {
    return this.cache.peek(vnetCanonical.toLowerCase()) ?? { kind: "pending" };
  }

  /** Forgets the cached answer (the last good snapshot stays, for `unavailable`): the next get fetches. */
  invalidate(vnetCanonical: string): void {
    this.cache.invalidate(vnetCanonical.toLowerCase());
  }

  /** Drops every VNet not in `vnetCanonicals` (no nodeclass uses it any more). Returns the evicted IDs. */
  retain(vnetCanonicals: Iterable<string>): string[] {
    const keep = new Set([...vnetCanonicals].map((v) => v.toLowerCase()));
    for (const key of this.wanted.keys()) if (!keep.has(key)) this.wanted.delete(key);
    return this.cache.retain((key) => keep.has(key));
  }

  /** Forgets subnets no nodeclass asks for any more (they are only used by the Subnets_Get fallback). */
  retainSubnets(vnetCanonical: string, subnetNames: Iterable<string>): void {
    const w = this.wanted.get(vnetCanonical.toLowerCase());
    if (!w) return;
    const keep = new Set([...subnetNames].map((s) => s.toLowerCase()));
    for (const k of w.names.keys()) if (!keep.has(k)) w.names.delete(k);
  }

  /** Number of VNets tracked. */
  get size(): number {
    return this.wanted.size;
  }

  /** VNets held, for tests that prove nothing outlives its nodeclass. */
  keys(): string[] {
    return [...this.wanted.keys()];
  }
}
