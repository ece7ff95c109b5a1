/**
 * The three Microsoft.Network reads the VNet cache needs, behind a small interface so the cache's logic
 * (fallbacks, usage matching, single-flight) is unit-tested without HTTP. `armNetworkReader` is the real
 * one: SDK calls under the ARM limiter.
 */
import type { Subnet, VirtualNetwork, VirtualNetworkUsage } from "@azure/arm-network";
import type { ArmLimiter } from "./arm-limiter.js";
import type { AzureClients } from "./clients.js";
import { withListingBudget } from "./request-guard.js";

export interface VNetNames {
  subscriptionId: string;
  resourceGroup: string;
  vnet: string;
}

export interface NetworkReader {
  getVirtualNetwork(ref: VNetNames): Promise<VirtualNetwork>;
  /** all pages */
  listUsage(ref: VNetNames): Promise<VirtualNetworkUsage[]>;
  getSubnet(ref: VNetNames, subnet: string): Promise<Subnet>;
}

export function armNetworkReader(
  clients: AzureClients,
  limiter: ArmLimiter,
  opts: { timeoutMs?: number } = {},
): NetworkReader {
  const timeout = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const vnetId = (ref: VNetNames): string =>
    `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${ref.vnet}`;
  return {
    getVirtualNetwork: (ref) =>
      limiter.schedule(
        "VirtualNetworks_Get",
        (abortSignal) =>
          clients
            .forSubscription(ref.subscriptionId)
            .network.virtualNetworks.get(ref.resourceGroup, ref.vnet, { abortSignal }),
        { ...timeout, target: vnetId(ref) },
      ),
    listUsage: (ref) =>
      limiter.schedule(
        "VirtualNetworks_ListUsage",
        (abortSignal) =>
          withListingBudget("VirtualNetworks_ListUsage", clients.maxPages, async () => {
            const items: VirtualNetworkUsage[] = [];
            const pages = clients
              .forSubscription(ref.subscriptionId)
              .network.virtualNetworks.listUsage(ref.resourceGroup, ref.vnet, { abortSignal });
            for await (const item of pages) items.push(item);
            return items;
          }),
        { ...timeout, target: vnetId(ref) },
      ),
    getSubnet: (ref, subnet) =>
      limiter.schedule(
        "Subnets_Get",
        (abortSignal) =>
          clients
            .forSubscription(ref.subscriptionId)
            .network.subnets.get(ref.resourceGroup, ref.vnet, subnet, { abortSignal }),
        { ...timeout, target: `${vnetId(ref)}/subnets/${subnet}` },
      ),
  };
}
