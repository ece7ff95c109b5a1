/**
 * IDs used by examples/topology.yaml and examples/nodeclasses.yaml, for tests, demos and docs.
 * Keep in sync with those files (test/sim/examples.test.ts checks it).
 */
export const EXAMPLE_TENANT_ID = "00000000-0000-0000-0000-0000000000f0";
export const EXAMPLE_SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000a1";
/** A second subscription where the operator has no role: the `unreadable` scenario. */
export const EXAMPLE_RESTRICTED_SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000b2";

/** The identity Karpenter (NAP) uses to create NICs: the cluster's control-plane identity. */
export const KARPENTER_PRINCIPAL_ID = "11111111-1111-1111-1111-111111111111";
/** The operator's own identity: Reader on the main subscription. */
export const OPERATOR_PRINCIPAL_ID = "22222222-2222-2222-2222-222222222222";
/** The cluster's kubelet identity (not used for NICs). */
export const KUBELET_PRINCIPAL_ID = "44444444-4444-4444-4444-444444444444";
/** A principal excluded from the deny assignment (e.g. a platform admin). */
export const PLATFORM_ADMIN_PRINCIPAL_ID = "55555555-5555-5555-5555-555555555555";

/** Custom role "Karpenter Subnet Access": subnets/read + subnets/join/action. */
export const KARPENTER_SUBNET_ACCESS_ROLE_ID = "6c3e9f7a-2b1d-4c8e-9f0a-1d2e3f4a5b6c";

const sub = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}`;
export const EXAMPLE_NETWORK_RG_ID = `${sub}/resourceGroups/rg-network`;
export const EXAMPLE_AKS_VNET_ID = `${EXAMPLE_NETWORK_RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-aks`;
export const EXAMPLE_WORKLOADS_VNET_ID = `${EXAMPLE_NETWORK_RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-workloads`;
export const EXAMPLE_CLUSTER_ID = `${sub}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-demo`;

/** vnetSubnetID per scenario, exactly as in examples/nodeclasses.yaml (undefined: no vnetSubnetID). */
export const EXAMPLE_SUBNET_IDS = {
  healthy: `${EXAMPLE_AKS_VNET_ID}/subnets/aks-default`,
  "nearly-full": `${EXAMPLE_AKS_VNET_ID}/subnets/nearly-full`,
  full: `${EXAMPLE_AKS_VNET_ID}/subnets/full`,
  "missing-subnet": `${EXAMPLE_AKS_VNET_ID}/subnets/does-not-exist`,
  "missing-vnet": `${EXAMPLE_NETWORK_RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-gone/subnets/nodes`,
  "missing-rg": `${sub}/resourceGroups/rg-gone/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/nodes`,
  unreadable: `/subscriptions/${EXAMPLE_RESTRICTED_SUBSCRIPTION_ID}/resourceGroups/rg-restricted/providers/Microsoft.Network/virtualNetworks/vnet-restricted/subnets/nodes`,
  "reader-only": `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/reader-only`,
  "approach-a": `${EXAMPLE_AKS_VNET_ID}/subnets/karpenter-a`,
  "approach-b-custom-role": `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/approach-b-custom-role`,
  "approach-b-conditioned": `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/approach-b-conditioned`,
  "deny-assignment": `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/deny-assignment`,
  "pod-cidr-overlap": `${EXAMPLE_AKS_VNET_ID}/subnets/pod-cidr-overlap`,
  "service-cidr-overlap": `${EXAMPLE_AKS_VNET_ID}/subnets/service-cidr-overlap`,
  "dual-stack": `${EXAMPLE_AKS_VNET_ID}/subnets/dual-stack`,
  "usage-not-reported": `${EXAMPLE_AKS_VNET_ID}/subnets/usage-not-reported`,
  "nsg-deny-443": `${EXAMPLE_AKS_VNET_ID}/subnets/nsg-deny-443`,
  "route-blackhole": `${EXAMPLE_AKS_VNET_ID}/subnets/route-blackhole`,
  "aci-delegated": `${EXAMPLE_AKS_VNET_ID}/subnets/aci-delegated`,
  "parity-differs": `${EXAMPLE_AKS_VNET_ID}/subnets/parity-differs`,
  "case-mismatch": `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}/resourceGroups/RG-Network/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/karpenter-a`,
  "malformed-id": `/subscriptions/not-a-guid/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-aks/subnets/aks-default`,
  "default-subnet": undefined,
} as const satisfies Record<string, string | undefined>;

export type ExampleScenario = keyof typeof EXAMPLE_SUBNET_IDS;

/** Karpenter's default subnet (--vnet-subnet-id), used by the `default-subnet` nodeclass. */
export const EXAMPLE_DEFAULT_SUBNET_ID = EXAMPLE_SUBNET_IDS.healthy;
