/**
 * Hostile or broken answers in Azure's place, end to end: the real API server, the operator in-process,
 * the unmodified SDK clients over HTTPS to the simulator, and a second loopback host that must receive
 * nothing. What a user sees: Unknown with the cause, never False, no Warning event, a metric counting it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import path from "node:path";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import type { FaultSpec } from "../../src/sim/index.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");

describe("hostile Azure answers", () => {
  let stack: Stack;
  let recorder: RecordingServer;
  beforeAll(async () => {
    recorder = await startRecordingServer();
    stack = await startStack({
      topology: TOPOLOGY,
      flags: { clusterResourceId: EXAMPLE_CLUSTER_ID, armMaxPages: "20" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await recorder?.close();
  });

  /** waits until the simulator applied the (first) fault at least `n` times */
  const faultApplied = (n: number): Promise<true> =>
    eventually(async () => ((await stack.sim.admin.faults())[0]?.applied ?? 0) >= n || undefined, {
      what: `fault applied ${n} times`,
    });

  const refused = async (reason: string): Promise<number> => {
    const text = await stack.metricsText();
    let sum = 0;
    for (const m of text.matchAll(/^aks_subnet_health_azure_requests_refused_total\{([^}]*)\} (\S+)$/gm)) {
      if ((m[1] ?? "").includes(`reason="${reason}"`)) sum += Number(m[2]);
    }
    return sum;
  };

  test.each([["html"], ["error-body"]] as const)(
    "a VNet read answered 200 with %s: Unknown, no False, no Warning event",
    async (kind) => {
      const name = uniqueName(`shape-${kind}`);
      const id = EXAMPLE_SUBNET_IDS["dual-stack"];
      await stack.createNodeClass(name, { vnetSubnetID: id });
      // settled first: access and capacity known (an advisory Warning, e.g. a broad grant, comes with them)
      for (const type of ["SubnetFound", "SubnetAccess", "SubnetCapacity"]) {
        await stack.waitForCondition(name, type, (c) => c.status === "True");
      }
      // and the reconcile that made them True has recorded its Events: wait for two more reconciles to start
      const seen = stack.operator.controller.stats.reconciles;
      await eventually(() => Promise.resolve(stack.operator.controller.stats.reconciles >= seen + 2 || undefined), {
        what: "two more reconciles",
      });
      const warningsBefore = (await stack.events(name)).filter((e) => e.type === "Warning").length;

      await stack.sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind }]);
      try {
        const down = await stack.waitForCondition(name, "SubnetFound", (c) => c.status === "Unknown", "Unknown");
        expect(stack.condition(down, "SubnetFound")?.reason).toBe("AzureUnavailable");
        // several failure windows later: still Unknown, never False, and no Warning event
        await faultApplied(4);
        const later = await stack.get(name);
        for (const type of ["SubnetFound", "SubnetReady", "SubnetStable", "SubnetCapacity"]) {
          expect(stack.condition(later, type)?.status, type).not.toBe("False");
        }
        expect(later.status?.subnetHealth).toMatchObject({ totalIPs: 251 });
        const warnings = (await stack.events(name)).filter((e) => e.type === "Warning");
        expect(warnings.map((w) => `${w.reason}: ${w.message}`).slice(warningsBefore)).toEqual([]);
        expect(await refused(kind === "html" ? "content-type" : "error-body")).toBeGreaterThan(0);
      } finally {
        await stack.sim.admin.clearFaults();
      }
      await stack.waitForCondition(name, "SubnetFound", (c) => c.status === "True", "recovers");
    },
  );

  test.each<[FaultSpec["operation"], string | undefined]>([
    // usages failing leaves capacity to the VNet's ipConfigurations: nothing to see in conditions
    ["VirtualNetworks_ListUsage", undefined],
    ["RoleAssignments_ListForScope", "SubnetAccess"],
    ["DenyAssignments_ListForResource", "SubnetAccess"],
  ])(
    "a %s nextLink to another host: nothing reaches it, the call fails as Unknown, a metric counts it",
    async (op, cond) => {
      const name = uniqueName("foreign");
      // a subnet of the cluster's VNet: Karpenter refuses the others, so only here can SubnetReady be True
      const id = EXAMPLE_SUBNET_IDS["approach-a"];
      await stack.createNodeClass(name, { vnetSubnetID: id });
      await stack.waitForCondition(name, "SubnetReady", (c) => c.status === "True");
      const before = await refused("foreign-host");
      recorder.received.length = 0;

      await stack.sim.admin.setFaults([
        { operation: op, kind: "foreign-next-link", nextLink: `${recorder.url}/subscriptions/steal?api-version=1` },
      ]);
      try {
        await eventually(async () => (await refused("foreign-host")) > before || undefined, {
          what: "refusal counted",
        });
        if (cond) {
          const down = await stack.waitForCondition(name, cond, (c) => c.status === "Unknown", `${cond} Unknown`);
          expect(String(stack.condition(down, cond)?.message)).toMatch(/RequestToForeignHostRefused/);
        }
        await faultApplied(1);
        expect(recorder.received).toEqual([]);
        for (const type of ["SubnetReady", "SubnetAccess", "SubnetCapacity"]) {
          expect(stack.condition(await stack.get(name), type)?.status, type).not.toBe("False");
        }
      } finally {
        await stack.sim.admin.clearFaults();
      }
      // picked up again after the failure window (access: 30 s)
      await stack.waitForCondition(name, "SubnetReady", (c) => c.status === "True", "recovers", 90_000);
    },
  );

  test("a looping nextLink stops at the page cap; other reads go on", async () => {
    const looping = uniqueName("loop");
    const other = uniqueName("loop-other");
    const loopId = EXAMPLE_SUBNET_IDS["approach-b-custom-role"]; // vnet-workloads
    const otherId = EXAMPLE_SUBNET_IDS.healthy;
    await stack.createNodeClass(looping, { vnetSubnetID: loopId });
    // outside the cluster's VNet SubnetReady is False (Karpenter's placement rule): wait for the reads instead
    await stack.waitForCondition(looping, "SubnetAccess", (c) => c.status === "True");
    await stack.sim.admin.setFaults([
      { operation: "VirtualNetworks_ListUsage", kind: "looping-next-link", distinct: true },
    ]);
    try {
      await stack.sim.admin.resetCounters();
      await eventually(async () => (await refused("page-limit")) > 0 || undefined, { what: "a listing stopped" });
      // the other reads go on: a new nodeclass is found and its access checked meanwhile
      await stack.createNodeClass(other, { vnetSubnetID: otherId });
      await stack.waitForCondition(other, "SubnetFound", (c) => c.status === "True");
      await stack.waitForCondition(other, "SubnetAccess", (c) => c.status === "True");
      // every listing stopped at the cap (20 pages): pages served ≤ 20 × (listings stopped + one in flight)
      const stopped = await refused("page-limit");
      expect(stopped).toBeGreaterThan(0);
      const pages = (await stack.sim.admin.faults())[0]?.applied ?? 0;
      expect(pages).toBeLessThanOrEqual(20 * (stopped + 2));
    } finally {
      await stack.sim.admin.clearFaults();
    }
  });
});
