/**
 * The one place that names our API surface on shared objects. Every condition type we write
 * carries this prefix so Karpenter (which owns AKSNodeClass) never confuses ours with its own.
 */
export const CONDITION_DOMAIN = "aks-subnet-health.io";
export const CONDITION_PREFIX = `${CONDITION_DOMAIN}/`;

export const ConditionType = {
  /** Summary: False for blocking problems, True (maybe with an advisory reason) otherwise. */
  SubnetReady: `${CONDITION_PREFIX}SubnetReady`,
  /** The ID parses; subnet, VNet and resource group exist and are readable. */
  SubnetFound: `${CONDITION_PREFIX}SubnetFound`,
  /** Free IPs and node headroom against thresholds. */
  SubnetCapacity: `${CONDITION_PREFIX}SubnetCapacity`,
  /** Karpenter's identity may read and join the subnet. */
  SubnetAccess: `${CONDITION_PREFIX}SubnetAccess`,
  /** No CIDR conflicts; the cluster's networking is a supported NAP configuration. */
  NetworkPlan: `${CONDITION_PREFIX}NetworkPlan`,
  /** Nodes created in the subnet can join: outbound path, NSG, routes, parity with the cluster subnet. */
  SubnetConnectivity: `${CONDITION_PREFIX}SubnetConnectivity`,
  /** True when the nodeclass's subnet is stable (no migration, no Azure-side change, no strays). */
  SubnetStable: `${CONDITION_PREFIX}SubnetStable`,
} as const;
export type OurConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const AKSNODECLASS = {
  group: "karpenter.azure.com",
  version: "v1beta1",
  plural: "aksnodeclasses",
  kind: "AKSNodeClass",
} as const;

/** Karpenter's NodePool: the capacity plan reads its limits, replicas and requirements. */
export const NODEPOOL = {
  group: "karpenter.sh",
  version: "v1",
  plural: "nodepools",
  kind: "NodePool",
} as const;

/** Label Karpenter puts on NodeClaims and Nodes naming their AKSNodeClass. */
export const NODECLASS_LABEL = "karpenter.azure.com/aksnodeclass";

/** aks-subnet-health's own resources: the views `kubectl get aks-subnet-health` lists (crds/). */
export const VIEWS = {
  group: CONDITION_DOMAIN,
  version: "v1alpha1",
  nodeClassKind: "NodeClassHealth",
  nodeClassPlural: "nodeclasshealths",
  subnetKind: "SubnetHealth",
  subnetPlural: "subnethealths",
  category: "aks-subnet-health",
} as const;
