/**
 * Karpenter owns AKSNodeClass and writes its own conditions with JSON merge patches carrying
 * resourceVersion. Ours must survive its writes and its must survive ours, with our CRD and with
 * the upstream one, including while both write at the same time.
 */
import { describe, expect, test } from "vitest";
import path from "node:path";
import type { ApiException } from "@kubernetes/client-node";
import { EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { CRD_FLAVORS, eventually, nodeClassApi, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const KARPENTER_TYPES = ["KubernetesVersionReady", "ImagesReady", "SubnetsReady", "Ready"];

/** Writes like Karpenter's status controller: replace its own types, keep the rest, lock on resourceVersion. */
async function karpenterWrite(stack: Stack, name: string, reason: string): Promise<number> {
  const api = nodeClassApi(stack.kc);
  for (let attempt = 1; attempt <= 20; attempt++) {
    const obj = await api.get(name);
    const others = (obj.status?.conditions ?? []).filter((c) => !KARPENTER_TYPES.includes(String(c.type)));
    const now = new Date().toISOString();
    const mine = KARPENTER_TYPES.map((type) => ({
      type,
      status: "True",
      reason,
      message: "",
      lastTransitionTime: now,
      observedGeneration: obj.metadata.generation,
    }));
    try {
      await api.patchStatus(name, {
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        status: { conditions: [...others, ...mine] },
      });
      return attempt;
    } catch (err) {
      if ((err as ApiException<unknown>).code !== 409) throw err;
    }
  }
  throw new Error("karpenter writer gave up after 20 conflicts");
}

const types = (conds: Array<Record<string, unknown>> | undefined): string[] =>
  (conds ?? []).map((c) => String(c.type)).sort();

describe.each(CRD_FLAVORS)("coexisting with Karpenter's status writer (%s CRD)", (flavor) => {
  test("each writer's conditions survive the other's writes", async () => {
    const stack = await startStack({
      topology: TOPOLOGY,
      flavor,
      flags: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        karpenterPrincipalId: "11111111-1111-1111-1111-111111111111",
      },
    });
    try {
      const name = uniqueName("coexist");
      const id = EXAMPLE_SUBNET_IDS["approach-b-custom-role"];
      await stack.createNodeClass(name, { vnetSubnetID: id });
      await stack.waitForCondition(name, "SubnetReady", (c) => c.status === "True");

      await karpenterWrite(stack, name, "Ready");
      const afterKarpenter = await stack.get(name);
      const ours = afterKarpenter.status?.conditions?.filter((c) => String(c.type).startsWith("aks-subnet-health.io/"));
      expect(ours).toHaveLength(7);
      expect(types(afterKarpenter.status?.conditions)).toEqual(expect.arrayContaining(KARPENTER_TYPES));

      // make ours change: the subnet fills up
      await stack.sim.admin.setUsedIPs(id, 251);
      const full = await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "SubnetFull");
      const karpenterAfterOurs = full.status?.conditions?.filter((c) => KARPENTER_TYPES.includes(String(c.type)));
      expect(karpenterAfterOurs?.map((c) => c.reason)).toEqual(["Ready", "Ready", "Ready", "Ready"]);
      expect(karpenterAfterOurs).toEqual(
        afterKarpenter.status?.conditions?.filter((c) => KARPENTER_TYPES.includes(String(c.type))),
      );
      if (flavor === "upstream") expect(full.status?.subnetHealth).toBeUndefined();
      else expect(full.status?.subnetHealth).toMatchObject({ freeIPs: 0 });
    } finally {
      await stack.stop();
    }
  });

  test("interleaved writes while the subnet flips: nothing of either writer is lost", async () => {
    const stack = await startStack({
      topology: TOPOLOGY,
      flavor,
      flags: { networkPlugin: "azure", networkPluginMode: "overlay" },
    });
    try {
      const name = uniqueName("race");
      const id = EXAMPLE_SUBNET_IDS["nearly-full"];
      await stack.createNodeClass(name, { vnetSubnetID: id });
      await stack.waitForCondition(name, "SubnetReady", () => true);
      // while Karpenter writes 15 times, the subnet flips between full and not, so we write too
      for (let i = 0; i < 15; i++) {
        await stack.sim.admin.setUsedIPs(id, i % 2 === 0 ? 251 : 100);
        await karpenterWrite(stack, name, `Round${i}`);
      }
      await stack.sim.admin.setUsedIPs(id, 251);
      const final = await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "SubnetFull");
      const karpenter = final.status?.conditions?.filter((c) => KARPENTER_TYPES.includes(String(c.type)));
      expect(karpenter?.map((c) => c.reason)).toEqual(["Round14", "Round14", "Round14", "Round14"]);
      expect(final.status?.conditions?.filter((c) => String(c.type).startsWith("aks-subnet-health.io/"))).toHaveLength(
        7,
      );
      // the operator wrote between Karpenter's writes (every flip of the subnet)
      expect(stack.operator.controller.stats.writes).toBeGreaterThan(1);
    } finally {
      await stack.stop();
    }
  });
});

describe("leader election", () => {
  test("with two replicas only the leader writes; the other takes over when the leader stops", async () => {
    const lease = uniqueName("lease");
    const stack = await startStack({
      topology: TOPOLOGY,
      flags: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        leaderElect: true,
        leaderElectionNamespace: "default",
        leaderElectionId: lease,
      },
    });
    try {
      const second = await stack.startAnotherOperator();
      const name = uniqueName("leader");
      const id = EXAMPLE_SUBNET_IDS["dual-stack"];
      await stack.createNodeClass(name, { vnetSubnetID: id });
      await stack.waitForCondition(name, "SubnetReady", () => true);
      const [leader, standby] = stack.operator.isLeader() ? [stack.operator, second] : [second, stack.operator];
      expect(leader.isLeader()).toBe(true);
      expect(standby.isLeader()).toBe(false);
      expect(standby.controller.stats.writes).toBe(0);
      expect(standby.metrics.nodeClassCount()).toBe(0);
      const standbyMetrics = await (await fetch(standby.metricsUrl)).text();
      expect(standbyMetrics).toMatch(/^aks_subnet_health_leader 0$/m);
      expect(standbyMetrics).not.toContain(`nodeclass="${name}"`);
      const ready = await fetch(`${standby.healthUrl}/readyz`);
      expect(ready.status).toBe(200);

      await leader.stop();
      await eventually(() => (standby.isLeader() ? true : undefined), {
        what: "standby takes over",
        timeoutMs: 30_000,
      });
      await stack.sim.admin.setUsedIPs(id, 251);
      await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "SubnetFull", "new leader writes");
      expect(standby.controller.stats.writes).toBeGreaterThan(0);
    } finally {
      await stack.stop();
    }
  });
});
