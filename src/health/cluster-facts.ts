/**
 * Facts about the cluster that the placement and connectivity checks need, where flags win over the
 * managed cluster: an operator that cannot read the cluster, or reads a stale one, can be corrected.
 */
import type { ClusterNetwork, EvaluationSettings } from "./types.js";

/** The cluster's outbound type and node resource group: the flags, else what the managed cluster says. */
export function clusterOutboundType(
  settings: EvaluationSettings,
  network: ClusterNetwork | undefined,
): string | undefined {
  return settings.outboundType ?? network?.outboundType;
}
export function clusterNodeResourceGroup(
  settings: EvaluationSettings,
  network: ClusterNetwork | undefined,
): string | undefined {
  return settings.nodeResourceGroup ?? network?.nodeResourceGroup;
}
