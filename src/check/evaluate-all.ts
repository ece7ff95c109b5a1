/**
 * One pass over a set of nodeclasses with the operator's evaluation (`evaluateNodeClass`): fetch what
 * Azure knows per VNet and per subnet (shared, through the same caches as the operator), derive each
 * nodeclass's peers for the overlap checks, evaluate. Nothing is written anywhere.
 */
import { evaluateNodeClass } from "../health/evaluate.js";
import { resolveSubnet } from "../health/resolve-subnet.js";
import type {
  AccessObservation,
  ClusterNetworkObservation,
  EvaluationResult,
  EvaluationSettings,
  NodeAddress,
  PeerSubnet,
  PreviousState,
  SubnetRef,
  VNetObservation,
} from "../health/types.js";
import { nodeClassInput, type NodeClassObject } from "../operator/nodeclass.js";

export interface CheckSources {
  settings: EvaluationSettings;
  network: ClusterNetworkObservation;
  vnet(ref: SubnetRef): Promise<VNetObservation>;
  access(ref: SubnetRef): Promise<AccessObservation>;
}

export interface CheckSubject {
  object: NodeClassObject;
  /** status already on the object (live cluster); empty for a manifest */
  previous: PreviousState;
  nodes: NodeAddress[];
}

export interface CheckedNodeClass {
  name: string;
  result: EvaluationResult;
  vnet: VNetObservation | undefined;
  access: AccessObservation;
}

const EMPTY_PREVIOUS: PreviousState = { conditions: [], subnetHealth: undefined };

export function manifestSubject(object: NodeClassObject): CheckSubject {
  return { object, previous: EMPTY_PREVIOUS, nodes: [] };
}

/** The subnet's prefixes as Azure reports them, when the VNet read succeeded and holds the subnet. */
function prefixesOf(vnet: VNetObservation | undefined, ref: SubnetRef): string[] | undefined {
  if (vnet?.kind !== "ok") return undefined;
  const subnet = vnet.snapshot.subnets.get(ref.subnet.toLowerCase());
  return subnet && subnet.addressPrefixes.length > 0 ? subnet.addressPrefixes : undefined;
}

export async function evaluateAll(
  subjects: readonly CheckSubject[],
  sources: CheckSources,
  now: () => number = Date.now,
): Promise<CheckedNodeClass[]> {
  const { settings } = sources;
  const gathered = await Promise.all(
    subjects.map(async (s) => {
      const nodeClass = nodeClassInput(s.object);
      const resolution = resolveSubnet(nodeClass, settings);
      const ref = resolution.parsed?.ok ? resolution.parsed.ref : undefined;
      let vnet: VNetObservation | undefined;
      // as the operator: an access source is always configured (self-check at least), so a nodeclass
      // whose ID does not parse has an access answer still pending
      let access: AccessObservation = { kind: "pending" };
      if (ref) {
        const allowed =
          settings.allowedSubscriptions === undefined ||
          settings.allowedSubscriptions.includes(ref.subscriptionId.toLowerCase());
        if (!allowed) {
          vnet = {
            kind: "not-allowed",
            message: `subscription ${ref.subscriptionId} is not in --allowed-subscriptions`,
          };
        } else {
          // Azure requests only ever for a strictly parsed ID
          [vnet, access] = await Promise.all([sources.vnet(ref), sources.access(ref)]);
        }
      }
      return { subject: s, nodeClass, ref, vnet, access };
    }),
  );
  // every other nodeclass's subnet, once per subnet, for the cross-VNet overlap checks
  const peers: PeerSubnet[] = [];
  for (const g of gathered) {
    if (!g.ref) continue;
    const prefixes = prefixesOf(g.vnet, g.ref);
    if (!prefixes) continue;
    peers.push({
      nodeclass: g.nodeClass.name,
      subnetCanonical: g.ref.canonical,
      vnetCanonical: g.ref.vnetCanonical,
      addressPrefixes: prefixes,
    });
  }
  return gathered.map((g) => {
    const mine = new Map<string, PeerSubnet>();
    for (const p of peers) {
      if (p.nodeclass === g.nodeClass.name || p.vnetCanonical === g.ref?.vnetCanonical) continue;
      if (!mine.has(p.subnetCanonical)) mine.set(p.subnetCanonical, p);
    }
    const result = evaluateNodeClass({
      nodeClass: g.nodeClass,
      settings,
      vnet: g.vnet,
      access: g.access,
      network: sources.network,
      peers: [...mine.values()],
      nodes: g.subject.nodes,
      previous: g.subject.previous,
      now: now(),
    });
    return { name: g.nodeClass.name, result, vnet: g.vnet, access: g.access };
  });
}
