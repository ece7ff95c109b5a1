/**
 * A generated world for scale tests and the benchmark: one subscription and resource group, N VNets of
 * M /24 subnets each, the operator with Reader on the subscription and Karpenter with Network
 * Contributor on every VNet (so access checks run and pass).
 */
import type { Topology } from "./topology.js";

export interface GeneratedTopologyOptions {
  subscriptionId: string;
  resourceGroup: string;
  vnets: readonly string[];
  subnetsPerVnet: number;
  pageSize: number;
  operatorPrincipalId: string;
  karpenterPrincipalId: string;
}

export interface GeneratedTopology {
  topology: Topology;
  vnetId(vnet: string): string;
  subnetId(vnet: string, index: number): string;
  /** every subnet ID, VNet by VNet */
  subnetIds: string[];
}

export function generatedTopology(o: GeneratedTopologyOptions): GeneratedTopology {
  const vnetId = (vnet: string): string =>
    `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
  const subnetId = (vnet: string, i: number): string => `${vnetId(vnet)}/subnets/nodes-${i}`;
  const topology: Topology = {
    pageSize: o.pageSize,
    subscriptions: [
      {
        id: o.subscriptionId,
        resourceGroups: [
          {
            name: o.resourceGroup,
            virtualNetworks: o.vnets.map((name, v) => ({
              name,
              addressSpace: [`10.${10 * (v + 1)}.0.0/16`],
              subnets: Array.from({ length: o.subnetsPerVnet }, (_, i) => ({
                name: `nodes-${i}`,
                addressPrefix: `10.${10 * (v + 1)}.${i}.0/24`,
                usedIPs: 10 + i,
              })),
            })),
          },
        ],
      },
    ],
    roleAssignments: [
      { principalId: o.operatorPrincipalId, scope: `/subscriptions/${o.subscriptionId}`, role: "Reader" },
      ...o.vnets.map((v) => ({ principalId: o.karpenterPrincipalId, scope: vnetId(v), role: "Network Contributor" })),
    ],
  };
  return {
    topology,
    vnetId,
    subnetId,
    subnetIds: o.vnets.flatMap((v) => Array.from({ length: o.subnetsPerVnet }, (_, i) => subnetId(v, i))),
  };
}

/** Operator flags describing the generated world's cluster network: NAP's recommended configuration. */
export const GENERATED_CLUSTER_NETWORK_FLAGS = {
  networkPlugin: "azure",
  networkPluginMode: "overlay",
  networkPolicy: "cilium",
  networkDataplane: "cilium",
  podCidr: "10.244.0.0/16",
  serviceCidr: "10.0.0.0/16",
  dnsServiceIp: "10.0.0.10",
} as const;
