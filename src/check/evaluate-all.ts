/**
 * One pass over a set of nodeclasses with the operator's own gathering (`gatherInput`) and evaluation
 * (`evaluateNodeClass`): Azure is read per VNet and per subnet through the same caches, each nodeclass
 * is compared with the others' subnets by the operator's peer rule, and nothing is written anywhere.
 */
import { evaluateNodeClass } from "../health/evaluate.js";
import { peersFor } from "../health/peers.js";
import { resolvedRef } from "../health/resolve-subnet.js";
import type {
  AccessObservation,
  EvaluationInput,
  EvaluationResult,
  EvaluationSettings,
  PeerSubnet,
  VNetObservation,
} from "../health/types.js";
import type { NodePoolInput } from "../health/capacity-plan/types.js";
import { gatherInput, type Sources } from "../operator/gather.js";
import { capacityPlanInputs } from "./nodepools.js";
import type { NodeClassObject } from "../operator/nodeclass.js";

export interface CheckedNodeClass {
  name: string;
  result: EvaluationResult;
  vnet: VNetObservation | undefined;
  access: AccessObservation;
}

/** The subnet's prefixes as Azure reports them, when the VNet read succeeded and holds the subnet. */
function peerFrom(input: EvaluationInput): PeerSubnet | undefined {
  const ref = input.resolution ? resolvedRef(input.resolution) : undefined;
  if (!ref || input.vnet?.kind !== "ok") return undefined;
  const subnet = input.vnet.snapshot.subnets.get(ref.subnet.toLowerCase());
  if (!subnet || subnet.addressPrefixes.length === 0) return undefined;
  return {
    nodeclass: input.nodeClass.name,
    subnetCanonical: ref.canonical,
    vnetCanonical: ref.vnetCanonical,
    addressPrefixes: subnet.addressPrefixes,
  };
}

export async function evaluateAll(
  objects: readonly NodeClassObject[],
  sources: Sources,
  settings: () => EvaluationSettings,
  now: () => number = Date.now,
  /** Karpenter's NodePools, for the capacity plan; undefined: no plan */
  nodePools?: readonly NodePoolInput[],
): Promise<CheckedNodeClass[]> {
  // passStartedAt 0: everything fetched during this one pass is shared, each VNet is read once
  const ctx = { settings, clock: { now }, passStartedAt: 0, vnetMaxAgeMs: 10 * 60_000, remembered: undefined };
  const inputs = await Promise.all(objects.map((o) => gatherInput(o, sources, { ...ctx, peers: [] })));
  // the operator learns its peers from earlier evaluations; a single pass takes them from this one's reads
  const peers = inputs.map(peerFrom).filter((p): p is PeerSubnet => p !== undefined);
  const plans = nodePools !== undefined ? capacityPlanInputs(inputs, nodePools) : undefined;
  return inputs.map((input) => {
    const ref = input.resolution ? resolvedRef(input.resolution) : undefined;
    const capacityPlan = plans?.get(input.nodeClass.name);
    const result = evaluateNodeClass({
      ...input,
      peers: peersFor(input.nodeClass.name, ref, peers),
      ...(capacityPlan !== undefined ? { capacityPlan } : {}),
    });
    return { name: input.nodeClass.name, result, vnet: input.vnet, access: input.access };
  });
}
