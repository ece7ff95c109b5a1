/**
 * The peer rule for cross-nodeclass CIDR checks: which nodeclasses' subnets a nodeclass is compared
 * with. Subnets of one VNet cannot overlap in Azure, so only subnets in other VNets count, one entry
 * per subnet (many classes share few subnets, and each entry costs CIDR comparisons).
 */
import type { EvaluationResult, PeerSubnet, SubnetRef } from "./types.js";

/** What a nodeclass offers others' checks: its subnet's prefixes, once the subnet was seen valid. */
export function peerOf(nodeclass: string, result: EvaluationResult): PeerSubnet | undefined {
  const prefixes = result.subnetHealth.lastPrefixes;
  if (!result.subnet || !prefixes || prefixes.length === 0) return undefined;
  if (result.subnetHealth.lastValidSubnetID !== result.subnet.canonical) return undefined;
  return {
    nodeclass,
    subnetCanonical: result.subnet.canonical,
    vnetCanonical: result.subnet.vnetCanonical,
    addressPrefixes: prefixes,
  };
}

/** The peers `nodeclass` (resolved to `ref`) is checked against. */
export function peersFor(nodeclass: string, ref: SubnetRef | undefined, all: Iterable<PeerSubnet>): PeerSubnet[] {
  const bySubnet = new Map<string, PeerSubnet>();
  for (const p of all) {
    if (p.nodeclass === nodeclass || p.vnetCanonical === ref?.vnetCanonical || bySubnet.has(p.subnetCanonical))
      continue;
    bySubnet.set(p.subnetCanonical, p);
  }
  return [...bySubnet.values()];
}
