/** A small Azure world for the data-layer tests against the in-process ARM simulator. */
import { parseSubnetId } from "../../src/health/subnet-id.js";
import type { SubnetRef } from "../../src/health/types.js";
import type { Topology } from "../../src/sim/index.js";

export const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
export const OPERATOR = "0a0a0a0a-0000-4000-8000-000000000001";
export const NOBODY = "0b0b0b0b-0000-4000-8000-000000000002";
export const SUBNET_ONLY_READER = "0c0c0c0c-0000-4000-8000-000000000003";
export const KARPENTER_A = "1a1a1a1a-0000-4000-8000-00000000000a";
export const KARPENTER_B = "1b1b1b1b-0000-4000-8000-00000000000b";
export const KARPENTER_B_CONDITIONED = "1c1c1c1c-0000-4000-8000-00000000000c";
export const KARPENTER_READER = "1d1d1d1d-0000-4000-8000-00000000000d";
export const CLUSTER_IDENTITY = "2e2e2e2e-0000-4000-8000-00000000000e";
export const KUBELET_IDENTITY = "2f2f2f2f-0000-4000-8000-00000000000f";
export const CUSTOM_ROLE = "c0ffee00-0000-4000-8000-00000000abcd";
export const SUBNET_READ_ROLE = "c0ffee00-0000-4000-8000-00000000abce";

export const RG = `/subscriptions/${SUB}/resourceGroups/net-rg`;
export const VNET = `${RG}/providers/Microsoft.Network/virtualNetworks/aks-vnet`;
export const VNET_B = `${RG}/providers/Microsoft.Network/virtualNetworks/other-vnet`;
export const CLUSTER_ID = `/subscriptions/${SUB}/resourceGroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/prod`;

export const NAP_CONDITION =
  "((!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/write'})) AND (!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/delete'})))";

export function subnet(id: string): SubnetRef {
  const r = parseSubnetId(id);
  if (!r.ok) throw new Error(r.error);
  return r.ref;
}

export const NODES = `${VNET}/subnets/nodes`;
export const GATEWAY = `${VNET}/subnets/GatewaySubnet`;
export const DELEGATED = `${VNET}/subnets/aci`;

export function topology(): Topology {
  return {
    pageSize: 2,
    principals: [{ id: OPERATOR, displayName: "aks-subnet-health" }],
    subscriptions: [
      {
        id: SUB,
        resourceGroups: [
          {
            name: "net-rg",
            virtualNetworks: [
              {
                name: "aks-vnet",
                addressSpace: ["10.0.0.0/8"],
                subnets: [
                  {
                    name: "nodes",
                    addressPrefix: "10.1.0.0/24",
                    usedIPs: 10,
                    networkSecurityGroupId: `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg`,
                  },
                  { name: "GatewaySubnet", addressPrefix: "10.2.0.0/27", usageNotReported: true },
                  {
                    name: "aci",
                    addressPrefixes: ["10.3.0.0/28"],
                    usedIPs: 3,
                    delegations: ["Microsoft.ContainerInstance/containerGroups"],
                  },
                ],
              },
              {
                name: "other-vnet",
                addressSpace: ["172.16.0.0/16"],
                subnets: [{ name: "nodes", addressPrefix: "172.16.0.0/24" }],
              },
            ],
          },
          {
            name: "aks-rg",
            managedClusters: [
              {
                name: "prod",
                networkProfile: {
                  networkPlugin: "azure",
                  networkPluginMode: "overlay",
                  networkPolicy: "cilium",
                  networkDataplane: "cilium",
                  podCidr: "10.244.0.0/16",
                  podCidrs: ["10.244.0.0/16"],
                  serviceCidr: "10.96.0.0/16",
                  serviceCidrs: ["10.96.0.0/16"],
                  dnsServiceIP: "10.96.0.10",
                  loadBalancerSku: "standard",
                },
                agentPoolProfiles: [
                  { name: "user1", mode: "User", maxPods: 110, vnetSubnetID: `${VNET}/subnets/aci` },
                  { name: "system", mode: "System", maxPods: 30, vnetSubnetID: NODES },
                ],
                nodeProvisioningProfile: { mode: "Auto" },
                identity: { type: "SystemAssigned", principalId: CLUSTER_IDENTITY },
                identityProfile: { kubeletidentity: { objectId: KUBELET_IDENTITY } },
              },
            ],
          },
        ],
      },
    ],
    roleDefinitions: [
      {
        name: CUSTOM_ROLE,
        roleName: "Karpenter Subnet Access",
        permissions: [
          {
            actions: [
              "Microsoft.Network/virtualNetworks/subnets/read",
              "Microsoft.Network/virtualNetworks/subnets/join/action",
            ],
          },
        ],
      },
      {
        name: SUBNET_READ_ROLE,
        roleName: "Subnet Reader",
        permissions: [{ actions: ["Microsoft.Network/virtualNetworks/subnets/read"] }],
      },
    ],
    roleAssignments: [
      { principalId: OPERATOR, scope: `/subscriptions/${SUB}`, role: "Reader" },
      { principalId: SUBNET_ONLY_READER, scope: NODES, roleDefinitionId: SUBNET_READ_ROLE },
      // Approach A: Network Contributor on the VNet, inherited by the subnet
      { principalId: KARPENTER_A, scope: VNET, role: "Network Contributor" },
      // Approach B: a custom read + join role on the subnet itself
      { principalId: KARPENTER_B, scope: NODES, roleDefinitionId: CUSTOM_ROLE },
      // Approach B (NAP docs): Network Contributor on the subnet with write/delete excluded by a condition
      {
        principalId: KARPENTER_B_CONDITIONED,
        scope: NODES,
        role: "Network Contributor",
        condition: NAP_CONDITION,
        conditionVersion: "2.0",
      },
      // read but no join, inherited from the resource group
      { principalId: KARPENTER_READER, scope: RG, role: "Reader" },
      // NAP: the cluster identity holds Network Contributor on the VNet
      { principalId: CLUSTER_IDENTITY, scope: VNET, role: "Network Contributor" },
    ],
  };
}
