/** Builders for the health unit tests (plain data, no I/O). */
import { parseSubnetId } from "./subnet-id.js";
import type {
  CapacityThresholds,
  ClusterNetwork,
  SubnetProperties,
  SubnetRef,
  VNetObservation,
  VNetSnapshot,
} from "./types.js";

export const SUB = "00000000-0000-0000-0000-000000000001";
export const subnetId = (subnet = "nodes", vnet = "vnet1", rg = "rg1", sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;

export function ref(id: string): SubnetRef {
  const p = parseSubnetId(id);
  if (!p.ok) throw new Error(`fixture subnet ID does not parse: ${p.error}`);
  return p.ref;
}

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

export function subnetProps(name: string, over: Partial<SubnetProperties> = {}): SubnetProperties {
  return {
    id: subnetId(name),
    name,
    addressPrefixes: ["10.1.0.0/24"],
    provisioningState: "Succeeded",
    delegations: [],
    ipConfigurationCount: undefined,
    usage: { limit: 251, used: 10 },
    ...over,
  };
}

export function snapshot(subnets: SubnetProperties[], over: Partial<VNetSnapshot> = {}): VNetSnapshot {
  const first = subnets[0];
  const vnetCanonical = first !== undefined ? ref(first.id).vnetCanonical : ref(subnetId()).vnetCanonical;
  return {
    vnetCanonical,
    addressSpace: ["10.0.0.0/8"],
    subnets: new Map(subnets.map((s) => [s.name.toLowerCase(), s])),
    fetchedAt: T0,
    ...over,
  };
}

export const okVnet = (subnets: SubnetProperties[], over: Partial<VNetSnapshot> = {}): VNetObservation => ({
  kind: "ok",
  snapshot: snapshot(subnets, over),
});

export const THRESHOLDS: CapacityThresholds = {
  freeRatioWarning: 0.2,
  freeRatioCritical: 0.05,
  nodeHeadroomWarning: 10,
  nodeHeadroomCritical: 2,
};

export function network(over: Partial<ClusterNetwork> = {}): ClusterNetwork {
  return {
    source: "managed-cluster",
    networkPlugin: "azure",
    networkPluginMode: "overlay",
    networkPolicy: "cilium",
    networkDataplane: "cilium",
    podCidrs: ["10.244.0.0/16"],
    serviceCidrs: ["10.0.0.0/16"],
    dnsServiceIP: "10.0.0.10",
    loadBalancerSku: "standard",
    defaultMaxPods: undefined,
    agentPools: [],
    ...over,
  };
}
