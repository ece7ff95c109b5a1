/**
 * Gathers everything one evaluation needs: the nodeclass as read, the cluster's network, the subnet it
 * resolves to, the VNet and access observations of that subnet (from caches shared per VNet and per
 * subnet), its peers, its nodes and the previous state. Azure is asked only about a strictly parsed
 * subnet ID in an allowed subscription.
 */
import type { Clock } from "../clock.js";
import { accessObservation, type AccessReadsObservation } from "../health/access/observe.js";
import { peersFor } from "../health/peers.js";
import { resolvedRef, resolveSubnet, subscriptionAllowed } from "../health/resolve-subnet.js";
import { needsNatGatewayRead } from "../health/connectivity/outbound.js";
import type { NatGatewayData, NsgData, ResourceObservation, RouteTableData } from "../health/connectivity/types.js";
import { networkFromObservation } from "../health/evaluate.js";
import { clusterOutboundType } from "../health/cluster-facts.js";
import type {
  AccessObservation,
  ConnectivityObservations,
  ClusterNetworkObservation,
  EvaluationInput,
  EvaluationSettings,
  NodeAddress,
  PeerSubnet,
  SubnetHealthStatus,
  SubnetRef,
  VNetObservation,
} from "../health/types.js";
import { nodeClassInput, previousState, type NodeClassObject } from "./nodeclass.js";

export interface VNetSource {
  get(ref: SubnetRef, opts?: { maxAgeMs?: number }): Promise<VNetObservation>;
  retain?(vnets: Iterable<string>): unknown;
}
/** Shares Azure's RBAC reads per (principal, subnet); the verdict is judged here, by src/health. */
export interface AccessSource {
  get(ref: SubnetRef, opts?: { maxAgeMs?: number }): Promise<AccessReadsObservation>;
  retain?(subnets: Iterable<string>): unknown;
}
export interface NetworkSource {
  get(): Promise<ClusterNetworkObservation>;
}
/** NSGs, route tables and NAT gateways by resource ID (src/azure/network-resource-cache.ts). */
export interface NetworkResourceSource {
  networkSecurityGroup(id: string, opts?: NetworkResourceGetOptions): Promise<ResourceObservation<NsgData>>;
  routeTable(id: string, opts?: NetworkResourceGetOptions): Promise<ResourceObservation<RouteTableData>>;
  natGateway(id: string, opts?: NetworkResourceGetOptions): Promise<ResourceObservation<NatGatewayData>>;
  retain?(ids: Iterable<string>): unknown;
}
export interface NetworkResourceGetOptions {
  maxAgeMs?: number;
  allowedSubscriptions?: readonly string[] | undefined;
}
export interface NodeSource {
  addressesFor(nodeclass: string): NodeAddress[];
  /**
   * Resolves once every node is known (the first full node list). Verdicts about nodes wait for it, so
   * that no nodeclass is told "no node outside the subnet" from a partial list at start.
   */
  waitForSync?(): Promise<void>;
}

export interface Sources {
  vnets: VNetSource;
  access: AccessSource | undefined;
  network: NetworkSource;
  nodes: NodeSource | undefined;
  /** absent: connectivity is judged without the NSG, route table and NAT gateway (Unknown where they matter) */
  networkResources?: NetworkResourceSource | undefined;
}

export interface GatherContext {
  /** read after the cluster's network: the managed cluster may name the default subnet */
  settings: () => EvaluationSettings;
  clock: Pick<Clock, "now">;
  /** when the current resync pass began: Azure data older than that is not served to it */
  passStartedAt: number;
  vnetMaxAgeMs: number;
  peers: Iterable<PeerSubnet>;
  /** status.subnetHealth as this process last evaluated it (the CRD may prune the object's copy) */
  remembered: SubnetHealthStatus | undefined;
}

export async function gatherInput(
  obj: NodeClassObject,
  sources: Sources,
  ctx: GatherContext,
): Promise<EvaluationInput> {
  const nodeClass = nodeClassInput(obj);
  // first: the managed cluster names the default subnet and Karpenter's identity, both needed below
  const network = await sources.network.get();
  const settings = ctx.settings();
  const resolution = resolveSubnet(nodeClass, settings);
  const ref = resolvedRef(resolution);
  let vnet: VNetObservation | undefined;
  let access: AccessObservation = sources.access ? { kind: "pending" } : { kind: "disabled" };
  if (ref && !subscriptionAllowed(ref, settings.allowedSubscriptions)) {
    vnet = { kind: "not-allowed", message: `subscription ${ref.subscriptionId} is not in --allowed-subscriptions` };
  } else if (ref) {
    // a resync pass re-reads Azure: data fetched before the pass began is not served to it, while
    // everything fetched since is shared (one read per VNet and per (principal, subnet) per pass)
    const sincePass = Math.max(1, ctx.clock.now() - ctx.passStartedAt);
    [vnet, access] = await Promise.all([
      sources.vnets.get(ref, { maxAgeMs: Math.min(ctx.vnetMaxAgeMs, sincePass) }),
      sources.access
        ? sources.access.get(ref, { maxAgeMs: sincePass }).then(accessObservation)
        : Promise.resolve<AccessObservation>({ kind: "disabled" }),
    ]);
  }
  const connectivity =
    ref && sources.networkResources
      ? await readConnectivity(
          sources.networkResources,
          vnet,
          ref,
          clusterOutboundType(settings, networkFromObservation(network)),
          {
            maxAgeMs: Math.max(1, ctx.clock.now() - ctx.passStartedAt),
            allowedSubscriptions: settings.allowedSubscriptions,
          },
        )
      : undefined;
  // the Azure reads above ran while the nodes were still being listed; what nodes say waits for all of them
  // (a watch stopped before its first list rejects: the caller sees that the nodes are still unknown)
  if (sources.nodes?.waitForSync) await sources.nodes.waitForSync().catch(() => undefined);
  return {
    nodeClass,
    settings,
    resolution,
    vnet,
    access,
    ...(connectivity !== undefined ? { connectivity } : {}),
    network,
    peers: peersFor(nodeClass.name, ref, ctx.peers),
    nodes: sources.nodes?.addressesFor(nodeClass.name) ?? [],
    previous: previousState(obj, ctx.remembered),
    now: ctx.clock.now(),
  };
}

/**
 * The NSG, route table and NAT gateway the subnet points at (from the VNet read, or its last good copy),
 * each read once per resync pass and shared by every nodeclass whose subnet points at it. The NAT
 * gateway is read only when the cluster's outbound type makes its properties matter.
 */
async function readConnectivity(
  source: NetworkResourceSource,
  vnet: VNetObservation | undefined,
  ref: SubnetRef,
  outboundType: string | undefined,
  opts: NetworkResourceGetOptions,
): Promise<ConnectivityObservations | undefined> {
  const snapshot = vnet?.kind === "ok" ? vnet.snapshot : vnet?.kind === "unavailable" ? vnet.lastGood : undefined;
  const subnet = snapshot?.subnets.get(ref.subnet.toLowerCase());
  if (subnet === undefined) return undefined;
  const nsgId = subnet.networkSecurityGroupId;
  const rtId = subnet.routeTableId;
  const natId = needsNatGatewayRead(outboundType) ? subnet.natGatewayId : undefined;
  const [nsg, routeTable, natGateway] = await Promise.all([
    nsgId !== undefined ? source.networkSecurityGroup(nsgId, opts) : undefined,
    rtId !== undefined ? source.routeTable(rtId, opts) : undefined,
    natId !== undefined ? source.natGateway(natId, opts) : undefined,
  ]);
  return {
    ...(nsg !== undefined ? { nsg } : {}),
    ...(routeTable !== undefined ? { routeTable } : {}),
    ...(natGateway !== undefined ? { natGateway } : {}),
  };
}
