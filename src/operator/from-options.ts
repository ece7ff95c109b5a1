/**
 * What `run` and `check` derive alike from the validated options: the Azure credential, the network
 * plan given by flags, Karpenter's maxPods rule and the evaluation settings. One place, so the
 * preflight and the operator can never judge the same nodeclass differently.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { ManagedCluster } from "@azure/arm-containerservice";
import { DefaultAzureCredential } from "@azure/identity";
import { defaultSubnetFromCluster, networkFromFlags, withFlagOverrides } from "../azure/cluster-source.js";
import { FileTokenCredential } from "../azure/static-token-credential.js";
import type { Options } from "../config/options.js";
import type { ClusterNetwork, ClusterNetworkObservation, EvaluationSettings } from "../health/types.js";

export function credentialFor(o: Options, authorityHost: string): TokenCredential {
  if (o.azureTokenFile) return new FileTokenCredential(o.azureTokenFile);
  return new DefaultAzureCredential({ authorityHost });
}

/** The cluster's network as the flags describe it, when any network flag is set. */
export function networkFromOptions(o: Options): ClusterNetwork | undefined {
  return networkFromFlags({
    networkPlugin: o.networkPlugin,
    networkPluginMode: o.networkPluginMode,
    networkPolicy: o.networkPolicy,
    networkDataplane: o.networkDataplane,
    podCidrs: o.podCidr,
    serviceCidrs: o.serviceCidr,
    dnsServiceIP: o.dnsServiceIp,
    loadBalancerSku: o.loadBalancerSku,
    defaultMaxPods: o.maxPods,
  });
}

/**
 * Karpenter does not take maxPods from the cluster's agent pools: without spec.maxPods it uses its own
 * defaults (30 on the Azure CNI node subnet, 250 with overlay or BYO CNI, 110 otherwise), which the
 * capacity evaluator applies when no default is given. Only an explicit --max-pods overrides them.
 */
export function withKarpenterMaxPods(
  obs: ClusterNetworkObservation,
  flag: number | undefined,
): ClusterNetworkObservation {
  if (obs.kind === "ok") return { ...obs, network: { ...obs.network, defaultMaxPods: flag } };
  if (obs.kind === "unavailable" && obs.last) return { ...obs, last: { ...obs.last, defaultMaxPods: flag } };
  return obs;
}

/**
 * The managed cluster's network as the checks use it: Karpenter's maxPods rule, and every network flag
 * that is set winning over what the cluster says.
 */
export function managedClusterNetwork(
  obs: ClusterNetworkObservation,
  o: Options,
  flagNetwork: ClusterNetwork | undefined,
): ClusterNetworkObservation {
  const adjusted = withKarpenterMaxPods(obs, o.maxPods);
  return adjusted.kind === "ok" ? { ...adjusted, network: withFlagOverrides(adjusted.network, flagNetwork) } : adjusted;
}

/** Default subnet (flag, else the managed cluster's), allowed subscriptions and capacity thresholds. */
export function evaluationSettings(o: Options, managedCluster: ManagedCluster | undefined): EvaluationSettings {
  return {
    defaultSubnetID: o.vnetSubnetId || (managedCluster ? defaultSubnetFromCluster(managedCluster) : undefined),
    allowedSubscriptions:
      o.allowedSubscriptions.length > 0 ? o.allowedSubscriptions.map((s) => s.toLowerCase()) : undefined,
    outboundType: o.outboundType,
    nodeResourceGroup: o.nodeResourceGroup,
    thresholds: {
      freeRatioWarning: o.freeRatioWarning,
      freeRatioCritical: o.freeRatioCritical,
      nodeHeadroomWarning: o.headroomWarning,
      nodeHeadroomCritical: o.headroomCritical,
    },
  };
}
