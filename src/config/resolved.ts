/**
 * What the operator resolved at start, and from where: logged once so that a user who set only
 * CLUSTER_RESOURCE_ID sees which default subnet, Karpenter identity and network it will check with,
 * and that nothing set by hand silently overrides the managed cluster.
 */
import type { ManagedCluster } from "@azure/arm-containerservice";
import { defaultSubnetFromCluster, principalFromCluster } from "../azure/cluster-source.js";
import type { AzureFailure, ClusterNetwork } from "../health/types.js";
import { NETWORK_OPTION_KEYS, type OptionSources, type Options } from "./options.js";

export type SettingSource =
  "flag" | "environment" | "managed cluster" | "in-cluster discovery" | "operator's own identity" | "not set";

export interface ResolvedSetting {
  value?: string;
  from: SettingSource;
  detail?: string;
}

export interface ResolvedSettings {
  clusterResourceId: ResolvedSetting & { readError?: string };
  defaultSubnet: ResolvedSetting;
  karpenterPrincipal: ResolvedSetting;
  network: ResolvedSetting & { overridden?: string[] };
}

const given = (o: Options, key: keyof OptionSources): SettingSource =>
  o.sources?.[key] ?? (o[key] !== undefined ? "flag" : "not set");

/**
 * @param mc the managed cluster as last read (undefined when not configured or not readable yet)
 * @param network the cluster network in use (undefined when unknown)
 * @param clusterFailure why the managed cluster could not be read, when it could not
 */
export function resolvedSettings(
  o: Options,
  mc: ManagedCluster | undefined,
  network: ClusterNetwork | undefined,
  clusterFailure?: AzureFailure,
): ResolvedSettings {
  const clusterResourceId: ResolvedSettings["clusterResourceId"] = o.clusterResourceId
    ? {
        value: o.clusterResourceId,
        from: given(o, "clusterResourceId"),
        ...(clusterFailure ? { readError: clusterFailure.message } : {}),
      }
    : { from: "not set" };

  const fromCluster = mc ? defaultSubnetFromCluster(mc) : undefined;
  const defaultSubnet: ResolvedSetting = o.vnetSubnetId
    ? { value: o.vnetSubnetId, from: given(o, "vnetSubnetId") }
    : fromCluster
      ? { value: fromCluster, from: "managed cluster", detail: "system pool's vnetSubnetID" }
      : {
          from: "not set",
          detail: o.clusterResourceId
            ? "the managed cluster is not readable yet; retried every resync"
            : "nodeclasses without spec.vnetSubnetID cannot be checked: set CLUSTER_RESOURCE_ID or VNET_SUBNET_ID",
        };

  const principal = mc ? principalFromCluster(mc) : undefined;
  const karpenterPrincipal: ResolvedSetting = o.karpenterPrincipalId
    ? { value: o.karpenterPrincipalId, from: given(o, "karpenterPrincipalId") }
    : principal
      ? { value: principal.principalId, from: "managed cluster", detail: principal.detail }
      : {
          from: "operator's own identity",
          detail: o.clusterResourceId
            ? "until the managed cluster is readable; then its control-plane identity"
            : "assumes Karpenter uses the operator's identity: set CLUSTER_RESOURCE_ID or KARPENTER_PRINCIPAL_ID",
        };

  const overridden = NETWORK_OPTION_KEYS.filter((k) => {
    const v = o[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== "";
  });
  const networkFrom: SettingSource =
    network?.source === "managed-cluster"
      ? "managed cluster"
      : network?.source === "discovered"
        ? "in-cluster discovery"
        : network?.source === "flags"
          ? (o.sources?.networkPlugin ?? "flag")
          : "not set";
  const networkSetting: ResolvedSettings["network"] = {
    from: networkFrom,
    ...(network
      ? {
          value: [network.networkPlugin ?? "unknown plugin", network.networkPluginMode, network.networkDataplane]
            .filter(Boolean)
            .join("/"),
        }
      : { detail: "unknown: CIDR and CNI checks say Unknown until it is known" }),
    ...(network?.source === "managed-cluster" && overridden.length > 0 ? { overridden: [...overridden] } : {}),
  };

  return { clusterResourceId, defaultSubnet, karpenterPrincipal, network: networkSetting };
}
