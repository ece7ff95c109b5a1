/**
 * Which subnet a nodeclass uses, the way Karpenter decides it: `spec.vnetSubnetID` when the field is
 * present, else the default subnet (`--vnet-subnet-id`).
 *
 * A present but empty `spec.vnetSubnetID` counts as set (Karpenter checks for nil, not for "") and is
 * therefore invalid, not a fallback to the default. The CRD pattern makes "" impossible through the API
 * server, so this only matters for hand-made inputs.
 */
import { echoSubnetId, parseSubnetId, type SubnetIdParse } from "./subnet-id.js";
import type { EvaluationSettings, NodeClassInput, SubnetRef, SubnetSource } from "./types.js";

export interface SubnetResolution {
  source: SubnetSource;
  /**
   * the ID as configured, shortened (`echoSubnetId`) when longer than Azure allows, so that no message,
   * status field or metric label carries a hostile length; undefined when nothing names a subnet
   */
  raw: string | undefined;
  /** undefined exactly when raw is undefined */
  parsed: SubnetIdParse | undefined;
}

export function resolveSubnet(nodeClass: NodeClassInput, settings: EvaluationSettings): SubnetResolution {
  if (nodeClass.vnetSubnetID !== undefined) {
    const raw = nodeClass.vnetSubnetID;
    return { source: "spec", raw: echoSubnetId(raw), parsed: parseSubnetId(raw) };
  }
  const fallback = settings.defaultSubnetID;
  if (fallback !== undefined && fallback !== "") {
    return { source: "default", raw: fallback, parsed: parseSubnetId(fallback) };
  }
  return { source: "default", raw: undefined, parsed: undefined };
}

/** The key drift memory uses for a resolution: canonical when parsed, the raw text otherwise. */
export function resolutionKey(resolution: SubnetResolution): string | undefined {
  if (resolution.parsed?.ok) return resolution.parsed.ref.canonical;
  return resolution.raw;
}

/** The strictly parsed subnet of a resolution, if any: the only thing Azure is ever asked about. */
export function resolvedRef(resolution: SubnetResolution): SubnetRef | undefined {
  return resolution.parsed?.ok ? resolution.parsed.ref : undefined;
}

/** Whether the operator may read the subnet's subscription (`--allowed-subscriptions`, lower-case). */
export function subscriptionAllowed(ref: SubnetRef, allowedSubscriptions: readonly string[] | undefined): boolean {
  return allowedSubscriptions === undefined || allowedSubscriptions.includes(ref.subscriptionId.toLowerCase());
}
