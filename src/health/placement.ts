/**
 * Placement: would Karpenter accept this subnet at all? Karpenter's `SubnetsReady` (nodeclass status
 * controller, `validateVNETSubnetID`) refuses with `SubnetIDInvalid`, before it reads anything from Azure:
 *
 * 1. when the nodeclass's subnet ID differs (as a string) from the cluster subnet (`VNET_SUBNET_ID`) and
 *    the cluster subnet is in an AKS-managed VNet (`aks-vnet-<8 digits>`, subnet `aks-subnet`, in the
 *    node resource group) and the subnet is in that same VNet;
 * 2. when the subscription, resource group or VNet differ from the cluster subnet's. Karpenter compares
 *    these **exactly, letter case included**, although ARM names are case-insensitive: a resource group
 *    spelled `RG-Network` instead of `rg-network` is the same resource to Azure and refused by Karpenter.
 *
 * A custom subnet in the managed VNet also fails rule 2 when it is in another VNet, so with the managed
 * VNet every custom subnet is refused. We repeat Karpenter's comparison exactly so that we are never Ready
 * where it refuses, and say which rule and what to change.
 */
import { parseSubnetId } from "./subnet-id.js";
import type { SubnetResolution } from "./resolve-subnet.js";
import type { SubnetRef } from "./types.js";

/** Reasons of the SubnetFound condition (existence.ts owns their severity). */
export const PlacementReason = {
  SubnetOutsideClusterVNet: "SubnetOutsideClusterVNet",
  SubnetCaseMismatch: "SubnetCaseMismatch",
  CustomSubnetInManagedVNet: "CustomSubnetInManagedVNet",
} as const;

export type PlacementVerdict =
  | { kind: "accepted" }
  /** nothing to compare with: no cluster subnet known, or the IDs do not parse (existence reports those) */
  | { kind: "not-checked"; why: string }
  | { kind: "refused"; reason: (typeof PlacementReason)[keyof typeof PlacementReason]; message: string };

/** Karpenter's managed-VNet name pattern (`(?i)^aks-vnet-\d{8}$`, Go's inline flag as a JS flag). */
const MANAGED_VNET = /^aks-vnet-\d{8}$/i;
const MANAGED_SUBNET = "aks-subnet";

/**
 * Karpenter's `IsAKSManagedVNET`. When the node resource group is unknown we judge by the names alone:
 * `aks-vnet-<8 digits>/aks-subnet` is what AKS creates, and guessing "managed" can only make us stricter.
 */
export function isAksManagedVNet(clusterSubnet: SubnetRef, nodeResourceGroup: string | undefined): boolean {
  return (
    MANAGED_VNET.test(clusterSubnet.vnet) &&
    clusterSubnet.subnet.toLowerCase() === MANAGED_SUBNET &&
    (nodeResourceGroup === undefined || nodeResourceGroup.toLowerCase() === clusterSubnet.resourceGroup.toLowerCase())
  );
}

/** Karpenter's `IsSameVNET`: subscription, resource group and VNet name, compared exactly. */
export function isSameVNetExact(a: SubnetRef, b: SubnetRef): boolean {
  return a.subscriptionId === b.subscriptionId && a.resourceGroup === b.resourceGroup && a.vnet === b.vnet;
}

function differences(own: SubnetRef, cluster: SubnetRef): string[] {
  const out: string[] = [];
  if (own.subscriptionId !== cluster.subscriptionId)
    out.push(`subscription ${own.subscriptionId} (cluster: ${cluster.subscriptionId})`);
  if (own.resourceGroup !== cluster.resourceGroup)
    out.push(`resource group ${own.resourceGroup} (cluster: ${cluster.resourceGroup})`);
  if (own.vnet !== cluster.vnet) out.push(`virtual network ${own.vnet} (cluster: ${cluster.vnet})`);
  return out;
}

export function evaluatePlacement(
  resolution: SubnetResolution,
  clusterSubnetID: string | undefined,
  nodeResourceGroup: string | undefined,
): PlacementVerdict {
  if (resolution.raw === undefined || resolution.parsed === undefined || !resolution.parsed.ok)
    return { kind: "not-checked", why: "the subnet ID does not parse" };
  // Karpenter's own condition: only a subnet ID that differs from the cluster subnet, as a string, is checked
  if (clusterSubnetID !== undefined && resolution.raw === clusterSubnetID) return { kind: "accepted" };
  if (clusterSubnetID === undefined || clusterSubnetID === "")
    return { kind: "not-checked", why: "the cluster subnet (--vnet-subnet-id) is not known" };
  const clusterParse = parseSubnetId(clusterSubnetID);
  if (!clusterParse.ok) return { kind: "not-checked", why: "the cluster subnet ID does not parse" };
  const own = resolution.parsed.ref;
  const cluster = clusterParse.ref;
  if (isAksManagedVNet(cluster, nodeResourceGroup)) {
    return {
      kind: "refused",
      reason: PlacementReason.CustomSubnetInManagedVNet,
      message: `Remove spec.vnetSubnetID (nodes then use the cluster subnet), or move the cluster to a virtual network of your own: the cluster uses the AKS-managed virtual network ${cluster.vnet}, and Karpenter refuses every custom subnet while the cluster uses it (SubnetsReady=False, SubnetIDInvalid), so no node of this class is created in ${own.id}.`,
    };
  }
  if (isSameVNetExact(own, cluster)) return { kind: "accepted" };

  const caseOnly =
    own.subscriptionId.toLowerCase() === cluster.subscriptionId.toLowerCase() &&
    own.resourceGroup.toLowerCase() === cluster.resourceGroup.toLowerCase() &&
    own.vnet.toLowerCase() === cluster.vnet.toLowerCase();
  if (caseOnly) {
    const fixed = `/subscriptions/${cluster.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${cluster.vnet}/subnets/${own.subnet}`;
    return {
      kind: "refused",
      reason: PlacementReason.SubnetCaseMismatch,
      message: `Set spec.vnetSubnetID to ${fixed}, spelled as in the cluster subnet's ID: Karpenter compares subscription, resource group and virtual network letter case exactly and refuses this ID (SubnetsReady=False, SubnetIDInvalid), although Azure treats it as the same network. Differs only in letter case: ${differences(own, cluster).join(", ")}.`,
    };
  }
  return {
    kind: "refused",
    reason: PlacementReason.SubnetOutsideClusterVNet,
    message: `Use a subnet in the cluster's virtual network ${cluster.vnet} (resource group ${cluster.resourceGroup}, subscription ${cluster.subscriptionId}): Karpenter refuses subnets in any other virtual network, peered or not (SubnetsReady=False, SubnetIDInvalid), so no node of this class is created. Differs: ${differences(own, cluster).join(", ")}.`,
  };
}

/** A subnet delegated to a service holds only that service's resources: no node NIC can be placed there. */
export function delegationMessage(ref: SubnetRef, services: readonly string[]): string {
  const list = services.join(", ");
  return `Use a subnet without delegations, or remove the delegation to ${list} from subnet ${ref.subnet} (\`az network vnet subnet update --ids ${ref.id} --remove delegations\`): Azure places only ${list} resources in a delegated subnet, so node network interfaces cannot be created there.`;
}
