/**
 * Issue 15, capacity plan, against the real API server with Karpenter's NodePool CRD and the ARM
 * simulator: NodePools whose limits exceed what their subnet can hold give an advisory on
 * SubnetCapacity with the shortfall and the driving NodePool; lowering the limit or raising the
 * subnet's prefix in the simulator clears it within one resync.
 *
 * The cluster runs Azure CNI with pods on the node subnet (the example cluster, patched before the
 * first nodeclass makes the operator read it), so each node takes 1 + maxPods IPs.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NODEPOOL } from "../../src/domain.js";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const SUBNET = EXAMPLE_SUBNET_IDS["approach-a"]; // karpenter-a: 10.225.0.0/20, 4091 usable, 12 used
const base = { group: NODEPOOL.group, version: NODEPOOL.version, plural: NODEPOOL.plural };
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

function nodePool(name: string, nodeClass: string, limits: Record<string, string | number>) {
  return {
    apiVersion: `${NODEPOOL.group}/${NODEPOOL.version}`,
    kind: NODEPOOL.kind,
    metadata: { name },
    spec: {
      limits,
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.azure.com", kind: "AKSNodeClass", name: nodeClass },
          requirements: [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] }],
        },
      },
    },
  };
}

describe("capacity plan: NodePools at their limits against the subnet", () => {
  let stack: Stack;
  let api: CustomObjectsApi;
  const ncA = uniqueName("plan-a");
  const ncB = uniqueName("plan-b");
  const wide = uniqueName("wide");
  const small = uniqueName("small");

  beforeAll(async () => {
    stack = await startStack({ topology: "examples/topology.yaml", flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    await stack.sim.admin.patchManagedCluster(EXAMPLE_CLUSTER_ID, {
      networkProfile: { networkPluginMode: null, podCidr: null, podCidrs: null },
    });
    api = stack.kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    for (const name of [wide, small]) await api?.deleteClusterCustomObject({ ...base, name }).catch(() => undefined);
    await stack?.stop();
  });

  test("limits beyond the subnet: advisory with the shortfall and the driver; a lower limit or a bigger prefix clears it within one resync", async () => {
    // two nodeclasses share the subnet: A at Karpenter's default maxPods (31 IPs a node), B at maxPods 50 (51)
    await stack.createNodeClass(ncA, { vnetSubnetID: SUBNET });
    await stack.createNodeClass(ncB, { vnetSubnetID: SUBNET, maxPods: 50 });
    // wide: cpu 300 / 2 vCPU = 150 nodes × 31 = 4650 IPs; small: 10 nodes × 51 = 510 IPs; room 4091 − 12 = 4079
    await api.createClusterCustomObject({ ...base, body: nodePool(wide, ncA, { cpu: "300" }) });
    await api.createClusterCustomObject({ ...base, body: nodePool(small, ncB, { nodes: 10 }) });

    for (const nc of [ncA, ncB]) {
      const obj = await stack.waitForCondition(nc, "SubnetCapacity", (c) => c.reason === "CapacityShortAtLimits");
      const capacity = stack.condition(obj, "SubnetCapacity");
      expect(capacity?.status).toBe("True");
      expect(str(capacity?.message)).toContain(
        `Set limits.nodes to at most 115 on NodePool ${wide}, give subnet karpenter-a a /19 prefix or move the cluster to Azure CNI Overlay (1 IP per node: 160 IPs): at their limits the NodePools using subnet karpenter-a need 5160 IPs (${wide} 4650, ${small} 510), 1081 more than it can hold. Subnet karpenter-a has enough free IPs.`,
      );
      // advisory: the subnet still launches nodes today
      expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "True", reason: "CapacityShortAtLimits" });
    }
    const subnetLabels = { subnet: "karpenter-a", vnet: "vnet-aks" };
    await eventually(
      async () =>
        (await stack.metric("aks_subnet_health_subnet_ips_needed_at_limits", subnetLabels)) === 5160 ? true : undefined,
      { what: "IPs needed at limits = 5160" },
    );
    expect(await stack.metric("aks_subnet_health_subnet_ips_short_at_limits", subnetLabels)).toBe(1081);
    expect(
      await stack.metric("aks_subnet_health_nodepool_worst_case_nodes", {
        nodepool: wide,
        nodeclass: ncA,
        limit: "cpu",
      }),
    ).toBe(150);
    expect((await stack.events(ncA)).some((e) => e.type === "Warning" && e.reason === "CapacityShortAtLimits")).toBe(
      true,
    );

    // lower the limit: 100 nodes × 31 + 510 = 3610 ≤ 4079
    const controller = stack.operator.controller;
    let resyncsAtChange = controller.stats.resyncs;
    await api.patchClusterCustomObject({ ...base, name: wide, body: { spec: { limits: { cpu: "200" } } } }, merge);
    await stack.waitForCondition(
      ncA,
      "SubnetCapacity",
      (c) => c.reason === "CapacitySufficient",
      "cleared by a lower limit",
    );
    await stack.waitForCondition(
      ncB,
      "SubnetCapacity",
      (c) => c.reason === "CapacitySufficient",
      "cleared for the sibling",
    );
    // the NodePool watch brings the change: no more than the pass in flight and one full pass after it
    expect(controller.stats.resyncs - resyncsAtChange).toBeLessThanOrEqual(2);

    // back to the short limit, then give the subnet a /19 in Azure: 8187 usable
    await api.patchClusterCustomObject({ ...base, name: wide, body: { spec: { limits: { cpu: "300" } } } }, merge);
    await stack.waitForCondition(ncA, "SubnetCapacity", (c) => c.reason === "CapacityShortAtLimits", "short again");
    resyncsAtChange = controller.stats.resyncs;
    await stack.sim.admin.setSubnetPrefixes(SUBNET, ["10.225.0.0/19"]);
    const cleared = await stack.waitForCondition(
      ncA,
      "SubnetCapacity",
      (c) => c.reason === "CapacitySufficient",
      "cleared by a bigger prefix",
    );
    expect(controller.stats.resyncs - resyncsAtChange).toBeLessThanOrEqual(2);
    expect(str(stack.condition(cleared, "SubnetCapacity")?.message)).toContain(
      "The NodePools using subnet karpenter-a fit at their limits (5160 IPs needed).",
    );
    await eventually(
      async () =>
        (await stack.metric("aks_subnet_health_subnet_ips_short_at_limits", subnetLabels)) === 0 ? true : undefined,
      { what: "no shortfall" },
    );
  });
});
