/**
 * Plain data of the capacity plan: what the shell reads from NodePools (karpenter.sh/v1) and what the
 * plan says per NodePool, per nodeclass and per subnet.
 */

export type RequirementOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" | "Gte" | "Lte";

export interface NodePoolRequirement {
  key: string;
  operator: RequirementOperator;
  values: string[];
}

/** The part of a NodePool the plan looks at; the NodePool watch keeps only this. */
export interface NodePoolInput {
  name: string;
  /** spec.template.spec.nodeClassRef.name when the ref is an AKSNodeClass; undefined for other kinds */
  nodeClass: string | undefined;
  /** spec.limits as given: quantities (strings or integers) keyed by resource name */
  limits: Record<string, string | number>;
  /** spec.replicas: set only on static NodePools */
  replicas: number | undefined;
  requirements: NodePoolRequirement[];
}

/** The smallest instance a NodePool's requirements allow, dimension by dimension. */
export interface SmallestInstance {
  vcpu: number;
  /** where the vCPU figure comes from */
  vcpuBasis: "karpenter-minimum" | "sku-cpu" | "instance-names";
  /** SKU memory in MiB (the sku-memory label's unit) */
  memoryMiB: number;
  memoryBasis: "karpenter-minimum" | "sku-memory";
}

export type InstanceBounds =
  | { kind: "some"; smallest: SmallestInstance; capacityTypes: string[] }
  /** the requirements allow no instance type Karpenter for Azure can launch */
  | { kind: "none"; why: string };

/** Which limit bounds the worst case. */
export type BoundBy = "nodes" | "cpu" | "memory" | "pods" | "replicas" | "cluster-maximum";

/** How many nodes a NodePool may reach at worst. */
export type NodePoolNodes =
  | { kind: "bounded"; nodes: number; by: BoundBy; /** e.g. "limits.cpu 1000 / 2 vCPU" */ detail: string }
  | { kind: "unbounded"; why: string }
  | { kind: "no-instance"; why: string };

export interface NodePoolDemand {
  nodePool: string;
  nodeClass: string;
  worstCase: NodePoolNodes;
  bounds: InstanceBounds;
  /** IPs one node of this NodePool takes from the node subnet; undefined when the CNI mode is unknown */
  ipsPerNode: number | undefined;
  /** worst-case nodes × IPs per node; undefined when unbounded or IPs per node are unknown */
  ipsAtLimits: number | undefined;
  /** limits the plan could not use (invalid quantities, resources that do not bound nodes) */
  notes: string[];
}
