/**
 * The cluster's network as the cluster itself shows it, for when neither the managed cluster nor
 * flags describe it: ServiceCIDR objects (networking.k8s.io/v1) give the service ranges, nodes'
 * spec.podCIDRs the pod ranges in use. The CNI mode cannot be seen from inside, so it stays unknown.
 */
import { NetworkingV1Api, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import type { ClusterNetwork } from "../health/types.js";
import { listInPages, rawPageFetcher } from "./paged-list.js";

export async function discoverClusterNetwork(kc: KubeConfig): Promise<ClusterNetwork | undefined> {
  const serviceCidrs = new Set<string>();
  const podCidrs = new Set<string>();
  try {
    const list = await kc.makeApiClient(NetworkingV1Api).listServiceCIDR();
    for (const s of list.items) for (const c of s.spec?.cidrs ?? []) serviceCidrs.add(c);
  } catch {
    // ServiceCIDR is GA from Kubernetes 1.33; older servers or missing RBAC leave the set empty
  }
  try {
    // every node, in pages, keeping only its pod CIDRs (a whole node LIST of a large cluster is hundreds of MB parsed)
    await listInPages(rawPageFetcher<V1Node>(kc, "/api/v1/nodes"), (n) => {
      for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) podCidrs.add(c);
      return undefined;
    });
  } catch {
    // without node list permission the pod ranges stay unknown
  }
  if (serviceCidrs.size === 0 && podCidrs.size === 0) return undefined;
  return {
    source: "discovered",
    networkPlugin: undefined,
    networkPluginMode: undefined,
    networkPolicy: undefined,
    networkDataplane: undefined,
    podCidrs: [...podCidrs].sort(),
    serviceCidrs: [...serviceCidrs].sort(),
    dnsServiceIP: undefined,
    loadBalancerSku: undefined,
    defaultMaxPods: undefined,
    agentPools: [],
  };
}
