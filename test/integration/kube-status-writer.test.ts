/**
 * Our status writer against the real kube-apiserver, with both CRDs: Karpenter's conditions survive
 * our writes (also when Karpenter writes between our GET and PATCH), spec is untouched, and an
 * unchanged desired state writes nothing (resourceVersion stays). With the upstream CRD, which
 * prunes status.subnetHealth, the writer must not rewrite forever.
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { ConditionType } from "../../src/domain.js";
import type { ConditionResult } from "../../src/health/types.js";
import { SubnetHealthMemory, writeConditions, type StatusApi } from "../../src/kube/status-writer.js";
import { CRD_FLAVORS, adminKubeConfig, nodeClassApi, uniqueName } from "../support/kube.js";

const SUBNET =
  "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes";

const karpenterConditions = [
  {
    type: "SubnetsReady",
    status: "True",
    reason: "SubnetsReady",
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
    observedGeneration: 1,
  },
  {
    type: "Ready",
    status: "False",
    reason: "UnhealthyDependents",
    message: "ImagesReady=False",
    lastTransitionTime: "2026-01-01T00:00:01Z",
    observedGeneration: 1,
  },
];

const found: ConditionResult = {
  type: ConditionType.SubnetFound,
  status: "True",
  reason: "SubnetFound",
  message: "subnet nodes exists",
};
const capacity: ConditionResult = {
  type: ConditionType.SubnetCapacity,
  status: "True",
  reason: "Sufficient",
  message: "",
};

function foreign(conditions: Array<Record<string, unknown>> | undefined): string[] {
  return (conditions ?? [])
    .filter((c) => !String(c.type).startsWith("aks-subnet-health.io/"))
    .map((c) => JSON.stringify(c));
}

describe.each(CRD_FLAVORS)("status writer with the %s CRD", (flavor) => {
  const kc = () => adminKubeConfig(flavor);

  async function karpenterLikeNodeClass(): Promise<{ name: string; nc: ReturnType<typeof nodeClassApi> }> {
    const nc = nodeClassApi(kc());
    const name = uniqueName("writer");
    const created = await nc.create(name, { vnetSubnetID: SUBNET });
    // Karpenter's own status write: merge patch with the optimistic lock
    await nc.patchStatus(name, {
      metadata: { resourceVersion: created.metadata.resourceVersion },
      status: { conditions: karpenterConditions },
    });
    return { name, nc };
  }

  test("merges our conditions next to Karpenter's, leaves spec alone, and does not rewrite an unchanged state", async () => {
    const { name, nc } = await karpenterLikeNodeClass();
    const before = await nc.get(name);
    const api = kc().makeApiClient(CustomObjectsApi);
    const memory = new SubnetHealthMemory();
    const desired = {
      conditions: [found, capacity],
      subnetHealth: { subnetID: SUBNET, source: "spec" },
      observedGeneration: before.metadata.generation ?? 1,
    };

    const first = await writeConditions(api, name, desired, { memory });
    expect(first).toMatchObject({ written: true, attempts: 1, conflicts: 0 });
    const after = await nc.get(name);
    expect(after.spec).toEqual(before.spec);
    expect(foreign(after.status?.conditions)).toEqual(foreign(before.status?.conditions));
    const ours = (after.status?.conditions ?? []).filter((c) => String(c.type).startsWith("aks-subnet-health.io/"));
    expect(ours).toEqual([
      expect.objectContaining({
        ...found,
        observedGeneration: desired.observedGeneration,
        lastTransitionTime: expect.stringMatching(/Z$/) as unknown,
      }),
      expect.objectContaining({ ...capacity, observedGeneration: desired.observedGeneration }),
    ]);

    const again = await writeConditions(api, name, desired, { memory });
    expect(again.written).toBe(false);
    expect((await nc.get(name)).metadata.resourceVersion).toBe(after.metadata.resourceVersion);

    // a status flip changes lastTransitionTime of that condition only
    const lost: ConditionResult = {
      ...found,
      status: "False",
      reason: "SubnetNotFound",
      message: "subnet nodes was deleted",
    };
    // a minute later (timestamps have one-second resolution)
    const later = {
      now: () => Date.now() + 60_000,
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
    };
    await writeConditions(api, name, { ...desired, conditions: [lost, capacity] }, { memory, clock: later });
    const flipped = await nc.get(name);
    const byType = new Map((flipped.status?.conditions ?? []).map((c) => [c.type, c]));
    const prevByType = new Map(ours.map((c) => [c.type, c]));
    expect(byType.get(found.type)?.lastTransitionTime).not.toBe(prevByType.get(found.type)?.lastTransitionTime);
    expect(byType.get(capacity.type)?.lastTransitionTime).toBe(prevByType.get(capacity.type)?.lastTransitionTime);
    await nc.remove(name);
  });

  test("a Karpenter write between our GET and PATCH gets us a 409, we re-read and both writes survive", async () => {
    const { name, nc } = await karpenterLikeNodeClass();
    const real = kc().makeApiClient(CustomObjectsApi);
    const karpenterLater = {
      type: "ImagesReady",
      status: "True",
      reason: "ImagesReady",
      message: "",
      lastTransitionTime: "2026-01-01T00:05:00Z",
    };
    let raced = false;
    const racing: StatusApi = {
      getClusterCustomObject: async (p) => {
        const obj: unknown = await real.getClusterCustomObject(p);
        if (!raced) {
          raced = true;
          const cur = await nc.get(name);
          await nc.patchStatus(name, {
            metadata: { resourceVersion: cur.metadata.resourceVersion },
            status: { conditions: [...(cur.status?.conditions ?? []), karpenterLater] },
          });
        }
        return obj;
      },
      patchClusterCustomObjectStatus: (p, o) => real.patchClusterCustomObjectStatus(p, o),
    };
    const r = await writeConditions(
      racing,
      name,
      { conditions: [found], observedGeneration: 1 },
      { memory: new SubnetHealthMemory() },
    );
    expect(r).toMatchObject({ written: true, attempts: 2, conflicts: 1 });
    const types = ((await nc.get(name)).status?.conditions ?? []).map((c) => c.type).sort();
    expect(types).toEqual(["ImagesReady", "Ready", "SubnetsReady", found.type].sort());
    await nc.remove(name);
  });

  test("a write costs one PATCH when the copy is current; a stale copy costs one 409, one GET and one retry", async () => {
    const { name, nc } = await karpenterLikeNodeClass();
    const real = kc().makeApiClient(CustomObjectsApi);
    const sent: string[] = [];
    const counting: StatusApi = {
      getClusterCustomObject: (p) => (sent.push("GET"), real.getClusterCustomObject(p)),
      patchClusterCustomObjectStatus: (p, o) => (sent.push("PATCH"), real.patchClusterCustomObjectStatus(p, o)),
    };
    const memory = new SubnetHealthMemory();
    // the copy an informer would hold
    const cached = await nc.get(name);
    const first = await writeConditions(
      counting,
      name,
      { conditions: [found], observedGeneration: 1 },
      {
        memory,
        current: cached,
      },
    );
    expect(first.written).toBe(true);
    expect(sent).toEqual(["PATCH"]);

    // nothing of ours changed: the returned object is current, and nothing is sent
    sent.length = 0;
    const same = await writeConditions(
      counting,
      name,
      { conditions: [found], observedGeneration: 1 },
      {
        memory,
        current: first.stored,
      },
    );
    expect(same.written).toBe(false);
    expect(sent).toEqual([]);

    // Karpenter writes after our copy was taken: the server refuses the stale resourceVersion
    const now = await nc.get(name);
    await nc.patchStatus(name, {
      metadata: { resourceVersion: now.metadata.resourceVersion },
      status: { conditions: [...(now.status?.conditions ?? []), { ...karpenterConditions[0], type: "ImagesReady" }] },
    });
    sent.length = 0;
    const retried = await writeConditions(
      counting,
      name,
      { conditions: [found, capacity], observedGeneration: 1 },
      {
        memory,
        current: first.stored,
      },
    );
    expect(retried).toMatchObject({ written: true, conflicts: 1 });
    expect(sent).toEqual(["PATCH", "GET", "PATCH"]);
    const types = ((await nc.get(name)).status?.conditions ?? []).map((c) => c.type).sort();
    expect(types).toEqual(["ImagesReady", "Ready", "SubnetsReady", found.type, capacity.type].sort());
    await nc.remove(name);
  });

  test("a deleted nodeclass is reported gone", async () => {
    const api = kc().makeApiClient(CustomObjectsApi);
    await expect(
      writeConditions(api, uniqueName("never-existed"), { conditions: [found], observedGeneration: 1 }),
    ).resolves.toMatchObject({ written: false, gone: true });
  });

  test(
    flavor === "upstream"
      ? "stops sending the pruned subnetHealth instead of writing every time"
      : "keeps subnetHealth and writes it only when it changes",
    async () => {
      const { name, nc } = await karpenterLikeNodeClass();
      const api = kc().makeApiClient(CustomObjectsApi);
      const memory = new SubnetHealthMemory();
      const desired = {
        conditions: [capacity],
        subnetHealth: { subnetID: SUBNET, source: "spec", freeIPs: 200 },
        observedGeneration: 1,
      };
      expect((await writeConditions(api, name, desired, { memory })).written).toBe(true);
      const rv = (await nc.get(name)).metadata.resourceVersion;
      expect((await writeConditions(api, name, desired, { memory })).written).toBe(false);
      expect((await nc.get(name)).metadata.resourceVersion).toBe(rv);
      const stored = (await nc.get(name)).status?.subnetHealth;
      if (flavor === "upstream") {
        expect(stored).toBeUndefined();
        expect(memory.droppedEntirely).toBe(true);
      } else {
        expect(stored).toEqual(desired.subnetHealth);
        expect(
          (
            await writeConditions(
              api,
              name,
              { ...desired, subnetHealth: { ...desired.subnetHealth, freeIPs: 150 } },
              { memory },
            )
          ).written,
        ).toBe(true);
      }
      await nc.remove(name);
    },
  );
});
