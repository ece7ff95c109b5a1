/**
 * Types of the functional core. Everything here is plain data: the evaluators in src/health are
 * pure functions from these inputs to conditions, a status summary, metric values and event intents.
 * The imperative shell (src/azure, src/kube, src/operator) gathers the inputs.
 */
import type { OurConditionType } from "../domain.js";
import type { SubnetPlan } from "./capacity-plan/subnet-plan.js";
import type { NodePoolInput } from "./capacity-plan/types.js";
import type {
  ConnectivityCheckName,
  ConnectivityCheckResult,
  NatGatewayData,
  NsgData,
  ResourceObservation,
  RouteTableData,
} from "./connectivity/types.js";
import type { SubnetResolution } from "./resolve-subnet.js";

export type ConditionStatus = "True" | "False" | "Unknown";

/** A condition as the evaluators produce it (no timestamps: the status writer owns those). */
export interface ConditionResult {
  type: OurConditionType;
  status: ConditionStatus;
  /** Matches the CRD's reason pattern ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$ */
  reason: string;
  /** Tells the user what is wrong and what to do. Never carries fast-moving numbers. */
  message: string;
}

/** A condition as stored on the object. */
export interface StoredCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A strictly parsed subnet ARM ID. Names keep the case given; `canonical` is lower-case. */
export interface SubnetRef {
  subscriptionId: string;
  resourceGroup: string;
  vnet: string;
  subnet: string;
  /** "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{v}/subnets/{n}" with names as given */
  id: string;
  /** id lower-cased: the key for caches, metrics and comparisons (ARM IDs are case-insensitive) */
  canonical: string;
  /** canonical ID of the parent VNet */
  vnetCanonical: string;
}

export type SubnetSource = "spec" | "default";

/** The part of an AKSNodeClass the core looks at. */
export interface NodeClassInput {
  name: string;
  uid: string;
  generation: number;
  /** spec.vnetSubnetID as given, undefined when unset */
  vnetSubnetID: string | undefined;
  /** spec.maxPods, undefined when unset */
  maxPods: number | undefined;
}

/** Why an Azure read did not give an answer. Never a reason to say "missing". */
export interface AzureFailure {
  kind: "throttled" | "unreachable" | "server-error" | "timeout" | "auth" | "other";
  /** HTTP status if any */
  statusCode?: number;
  /** Azure error code if any, e.g. SubscriptionRequestsThrottled */
  code?: string;
  message: string;
  /** seconds, from Retry-After */
  retryAfterSeconds?: number;
}

/** IP usage of a subnet as VirtualNetworks_ListUsage reports it. */
export interface SubnetUsage {
  /** usable IPs (Azure's `limit`, already excludes the 5 reserved); <= 0 means not reported */
  limit: number;
  /** IPs in use (Azure's `currentValue`) */
  used: number;
}

export interface SubnetProperties {
  /** ARM ID as Azure returned it */
  id: string;
  name: string;
  /** addressPrefix and addressPrefixes merged, de-duplicated, IPv4 and IPv6 */
  addressPrefixes: string[];
  provisioningState: string | undefined;
  delegations: string[];
  networkSecurityGroupId?: string;
  routeTableId?: string;
  natGatewayId?: string;
  /** number of ipConfigurations Azure listed (fallback when usage is not reported) */
  ipConfigurationCount: number | undefined;
  /** undefined when usages were not available */
  usage: SubnetUsage | undefined;
}

/** What one VNet fetch knows; shared by every nodeclass in the VNet. */
export interface VNetSnapshot {
  /** canonical (lower-case) VNet ID */
  vnetCanonical: string;
  addressSpace: string[];
  /** keyed by lower-case subnet name */
  subnets: ReadonlyMap<string, SubnetProperties>;
  /** usages could not be read (e.g. 403 on usages): capacity falls back or becomes Unknown */
  usageFailure?: AzureFailure | { kind: "forbidden"; message: string };
  /** epoch ms of the successful fetch */
  fetchedAt: number;
}

/**
 * Outcome of resolving a VNet. Definite answers (not-found, forbidden) come only from Azure's own
 * error responses; transport errors and throttling are `unavailable`, carrying the last good snapshot.
 */
export type VNetObservation =
  | { kind: "ok"; snapshot: VNetSnapshot }
  | { kind: "resource-group-not-found"; message: string; observedAt: number }
  | { kind: "vnet-not-found"; message: string; observedAt: number }
  | { kind: "subscription-not-found"; message: string; observedAt: number }
  | { kind: "forbidden"; message: string; observedAt: number }
  | { kind: "not-allowed"; message: string }
  | { kind: "unavailable"; failure: AzureFailure; lastGood?: VNetSnapshot; since: number }
  | { kind: "pending" };

/** Per-action verdict for Karpenter's identity. */
export type AccessVerdict = "granted" | "denied" | "conditional" | "unknown";

export type AccessApproach =
  | "vnet-network-contributor" // Approach A
  | "subnet-custom-role" // Approach B, custom role with read + join
  | "subnet-conditioned-network-contributor" // Approach B, Network Contributor with write/delete excluded
  | "other"
  | "none";

export interface ActionAccess {
  action: string;
  verdict: AccessVerdict;
  /** role assignment IDs that grant it (when granted or conditional) */
  grantedBy: string[];
  /** deny assignment IDs that deny it */
  deniedBy: string[];
  /** human explanation, e.g. which condition made it conditional */
  detail: string;
  /** when conditional: the ABAC attribute expressions that could not be evaluated offline */
  undecidedConditions?: string[];
}

export interface AccessEvaluation {
  principalId: string | undefined;
  /** "karpenter-principal" when checking a configured principal, "operator-identity" for the permissions API self-check */
  mode: "karpenter-principal" | "operator-identity";
  read: ActionAccess;
  join: ActionAccess;
  approach: AccessApproach;
  /** grants broader than needed, e.g. subnets/write or virtualNetworks/delete: advisory only */
  broadGrants: string[];
}

export type AccessObservation =
  | { kind: "ok"; evaluation: AccessEvaluation; fetchedAt: number }
  | { kind: "unavailable"; failure: AzureFailure; last?: AccessEvaluation; since: number }
  | { kind: "forbidden"; message: string } // operator may not read role assignments
  | { kind: "disabled" } // no principal and no self-check configured
  | { kind: "pending" };

/** "azure" | "kubenet" | "none", or whatever else the cluster reports */
export type NetworkPlugin = string;

export interface ClusterNetwork {
  source: "managed-cluster" | "flags" | "discovered";
  networkPlugin: NetworkPlugin | undefined;
  networkPluginMode: string | undefined; // "overlay" | undefined
  networkPolicy: string | undefined; // none|calico|azure|cilium
  networkDataplane: string | undefined; // azure|cilium
  podCidrs: string[];
  serviceCidrs: string[];
  dnsServiceIP: string | undefined;
  loadBalancerSku: string | undefined; // standard|basic
  /** networkProfile.outboundType: loadBalancer | managedNATGateway | userAssignedNATGateway | userDefinedRouting | none | block */
  outboundType?: string | undefined;
  /** the node resource group (MC_…): Karpenter's managed-VNet rule compares the cluster subnet's group with it */
  nodeResourceGroup?: string | undefined;
  /** default maxPods for nodes of the cluster (agent pools), if known */
  defaultMaxPods: number | undefined;
  /** agent pools that use pod subnets or static block allocation */
  agentPools: Array<{
    name: string;
    podSubnetID?: string;
    podIPAllocationMode?: string;
    vnetSubnetID?: string;
    maxPods?: number;
  }>;
}

export type ClusterNetworkObservation =
  | { kind: "ok"; network: ClusterNetwork; fetchedAt: number }
  | { kind: "unavailable"; failure: AzureFailure; last?: ClusterNetwork; since: number }
  | { kind: "unknown" }; // nothing configured or discoverable

/** What the node watch keeps per node: no whole Node objects. */
export interface NodeAddress {
  name: string;
  internalIPs: string[];
}

/** Another nodeclass's subnet, for cross-VNet overlap checks. */
export interface PeerSubnet {
  nodeclass: string;
  subnetCanonical: string;
  vnetCanonical: string;
  addressPrefixes: string[];
}

export interface CapacityThresholds {
  /** free-IP ratio below which capacity is a warning (e.g. 0.2) */
  freeRatioWarning: number;
  /** free-IP ratio below which capacity is critical (e.g. 0.05) */
  freeRatioCritical: number;
  /** node headroom below which capacity is a warning (e.g. 10) */
  nodeHeadroomWarning: number;
  /** node headroom below which capacity is critical (e.g. 2) */
  nodeHeadroomCritical: number;
}

export interface EvaluationSettings {
  defaultSubnetID: string | undefined;
  allowedSubscriptions: string[] | undefined; // lower-case; undefined = all
  thresholds: CapacityThresholds;
  /** --outbound-type: wins over the managed cluster's networkProfile.outboundType */
  outboundType?: string | undefined;
  /** --node-resource-group: wins over the managed cluster's nodeResourceGroup */
  nodeResourceGroup?: string | undefined;
}

/** Memory we keep on the object (status.subnetHealth) and read back as "previous". */
export interface SubnetHealthStatus {
  subnetID: string | undefined;
  source: SubnetSource;
  freeIPs?: number;
  totalIPs?: number;
  usedIPs?: number;
  nodeHeadroom?: number;
  /** RFC3339 time the Azure data was fetched */
  dataTime?: string;
  /** last subnet this class resolved to that was valid (existed and was readable), canonical */
  lastValidSubnetID?: string;
  /** canonical ID of the last subnet resolved, valid or not */
  lastSubnetID?: string;
  /** whether lastSubnetID was valid */
  lastSubnetValid?: boolean;
  /** prefixes of lastValidSubnetID when last seen healthy */
  lastPrefixes?: string[];
  /** default subnet in force when this class last used it */
  lastDefaultSubnetID?: string;
}

export interface PreviousState {
  conditions: StoredCondition[];
  subnetHealth: SubnetHealthStatus | undefined;
}

export interface EvaluationInput {
  nodeClass: NodeClassInput;
  settings: EvaluationSettings;
  /** resolveSubnet(nodeClass, settings) when the caller already has it (it resolved to fetch Azure data) */
  resolution?: SubnetResolution;
  /** the VNet observation of the resolved subnet's VNet (undefined when the ID did not parse) */
  vnet: VNetObservation | undefined;
  access: AccessObservation;
  network: ClusterNetworkObservation;
  peers: PeerSubnet[];
  nodes: NodeAddress[];
  previous: PreviousState;
  now: number;
  /** what the capacity plan needs beyond this nodeclass; undefined while NodePools are not read (no plan) */
  capacityPlan?: CapacityPlanInput;
  /** the NSG, route table and NAT gateway the subnet points at, as read (absent: not read, or none) */
  connectivity?: ConnectivityObservations;
}

/** The capacity plan's view of the cluster around one nodeclass (src/health/capacity-plan). */
export interface CapacityPlanInput {
  /** every NodePool; the plan keeps those whose nodeclass resolves to this subnet */
  nodePools: readonly NodePoolInput[];
  /** the other nodeclasses that resolve to the same subnet */
  siblings: ReadonlyArray<{ name: string; maxPods: number | undefined; currentNodes: number }>;
  /**
   * Karpenter nodes of this nodeclass, counted when the subnet's usage was read: their IPs are part of
   * that usage, so counting them later would shift the plan between two reads of Azure.
   */
  currentNodes: number;
}

/** Observations of the resources a subnet points at; a key is absent when the subnet points at none. */
export interface ConnectivityObservations {
  nsg?: ResourceObservation<NsgData>;
  routeTable?: ResourceObservation<RouteTableData>;
  natGateway?: ResourceObservation<NatGatewayData>;
}

export type DriftKind =
  "migration" | "correction" | "prefix-changed" | "subnet-deleted" | "default-changed" | "nodes-outside";

export interface CidrConflict {
  /** "pod" | "service" | "reserved" | "nodeclass:<name>" */
  with: string;
  subnetPrefix: string;
  otherCidr: string;
}

export interface NodeClassMetrics {
  subnetCanonical: string | undefined;
  /** the subnet's IP numbers behind capacity, when known (live values: status holds throttled copies) */
  ips?: { total: number; used: number; available: number; /** epoch ms of the Azure read */ fetchedAt: number };
  source: SubnetSource;
  nodeHeadroom: number | undefined;
  /** per action ("read" | "join") → verdict */
  access: Partial<Record<"read" | "join", AccessVerdict>>;
  /** count of conflicts per `with` kind ("pod", "service", "reserved", "nodeclass") */
  cidrConflicts: Partial<Record<"pod" | "service" | "reserved" | "nodeclass", number>>;
  drift: Partial<Record<DriftKind, number>>;
  nodesOutsideSubnet: number | undefined;
  /** the capacity plan of the subnet (same for every nodeclass on it), when there is one */
  plan?: {
    neededAtLimits: number;
    shortAtLimits: number;
    nodePools: Array<{ nodePool: string; nodeClass: string; nodes: number; limit: string }>;
  };
  /** verdict per connectivity check (absent before the subnet could be read) */
  connectivity?: Partial<Record<ConnectivityCheckName, ConnectivityCheckResult>>;
}

export interface EventIntent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface EvaluationResult {
  conditions: ConditionResult[];
  subnetHealth: SubnetHealthStatus;
  metrics: NodeClassMetrics;
  events: EventIntent[];
  /** the resolved subnet, when it parsed */
  subnet: SubnetRef | undefined;
  /** the capacity plan of the subnet, when NodePools were read and the subnet's usage is known */
  capacityPlan?: SubnetPlan;
}
