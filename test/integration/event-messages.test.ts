/**
 * What `kubectl describe aksnodeclass` shows for every example scenario (examples/nodeclasses.yaml) against
 * the ARM simulator: Warning Events only for what blocks or will block, the documented access approaches
 * reported as plainly Ready, and messages that fit an Event (1,024 bytes) with any `az` command whole.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS, type ExampleScenario } from "../../src/sim/example-ids.js";
import { parseSubnetId } from "../../src/health/subnet-id.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const SCENARIOS = Object.keys(EXAMPLE_SUBNET_IDS) as ExampleScenario[];
const MAX_EVENT_MESSAGE = 1024;

/** Scenarios that block new nodes or will soon, with the Warning each must raise (the positive controls). */
const WARNS: Partial<Record<ExampleScenario, string>> = {
  full: "SubnetFull",
  "missing-subnet": "SubnetNotFound",
  "reader-only": "JoinDenied",
  "deny-assignment": "DeniedByDenyAssignment",
};

/** Scenarios the AKS documentation supports as they are: nothing to say, so SubnetReady's reason is SubnetReady. */
const PLAIN_READY: ExampleScenario[] = [
  "healthy",
  "approach-a",
  // approach-b-custom-role and approach-b-conditioned live in vnet-workloads, which Karpenter refuses
  // (not the cluster subnet's VNet): their access is plainly AccessGranted, their SubnetReady is False
  "default-subnet",
];

/** A command is whole: quotes balanced, its scope the nodeclass's subnet (or that subnet's VNet), a condition complete. */
function checkCommand(cmd: string, subnetId: string | undefined, where: string): void {
  expect((cmd.match(/"/g) ?? []).length % 2, `${where}: unbalanced quotes in ${cmd}`).toBe(0);
  const scope = /--scope (\S+)/.exec(cmd)?.[1];
  if (scope !== undefined && subnetId !== undefined) {
    const vnet = subnetId.slice(0, subnetId.lastIndexOf("/subnets/"));
    expect([subnetId, vnet], where).toContain(scope);
  }
  if (scope !== undefined && scope.includes("/subnets/")) expect(parseSubnetId(scope).ok, where).toBe(true);
  if (cmd.includes("--condition ")) expect(cmd.endsWith("--condition-version 2.0"), where).toBe(true);
}

/** Every `az …` command of a message; each must be written between backticks so it reads as one command. */
function azCommands(message: string): string[] {
  return [...message.matchAll(/`(az [^`]*)`/g)].map((m) => m[1] ?? "");
}

describe("events and messages of the example scenarios", () => {
  let stack: Stack;
  const names = new Map<ExampleScenario, string>();

  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    for (const scenario of SCENARIOS) {
      const name = uniqueName(scenario.slice(0, 20));
      names.set(scenario, name);
      const id = EXAMPLE_SUBNET_IDS[scenario];
      await stack.createNodeClass(name, id === undefined ? {} : { vnetSubnetID: id });
    }
    // positive controls: the blocking scenarios' Warnings are out...
    for (const [scenario, reason] of Object.entries(WARNS)) {
      const name = names.get(scenario as ExampleScenario) ?? "";
      await eventually(async () => ((await stack.events(name)).some((e) => e.reason === reason) ? true : undefined), {
        what: `${scenario}: Warning ${reason}`,
        timeoutMs: 60_000,
      });
    }
    // ...and every nodeclass has been reconciled twice more since, so a missing event is not a late one
    const reconciles = async (): Promise<number> =>
      (await stack.metric("aks_subnet_health_reconcile_total", { result: "success" })) ?? 0;
    const after = (await reconciles()) + 2 * SCENARIOS.length;
    await eventually(async () => ((await reconciles()) >= after ? true : undefined), {
      what: "two more reconciles of every nodeclass",
      timeoutMs: 60_000,
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("the blocking scenarios raise their Warning", async () => {
    for (const [scenario, reason] of Object.entries(WARNS)) {
      const events = await stack.events(names.get(scenario as ExampleScenario) ?? "");
      expect(events.find((e) => e.reason === reason)?.type, scenario).toBe("Warning");
    }
  });

  test("Approach A (Network Contributor on the VNet) has no Warning event, and SubnetReady's reason is SubnetReady", async () => {
    const name = names.get("approach-a") ?? "";
    const obj = await stack.get(name);
    expect(stack.condition(obj, "SubnetAccess")).toMatchObject({ status: "True", reason: "AccessGranted" });
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "True", reason: "SubnetReady" });
    expect((await stack.events(name)).filter((e) => e.type === "Warning")).toEqual([]);
  });

  test("documented, supported configurations are plainly Ready, with no Warning event", async () => {
    for (const scenario of PLAIN_READY) {
      const name = names.get(scenario) ?? "";
      const obj = await stack.get(name);
      expect(stack.condition(obj, "SubnetReady"), scenario).toMatchObject({ status: "True", reason: "SubnetReady" });
      expect(
        (await stack.events(name)).filter((e) => e.type === "Warning"),
        scenario,
      ).toEqual([]);
    }
  });

  test("a subnet, VNet or resource group that does not exist gets no access verdict and no role-assignment advice", async () => {
    for (const scenario of ["missing-subnet", "missing-vnet", "missing-rg"] as const) {
      const name = names.get(scenario) ?? "";
      const obj = await stack.get(name);
      expect(stack.condition(obj, "SubnetFound")?.status, scenario).toBe("False");
      expect(stack.condition(obj, "SubnetAccess"), scenario).toMatchObject({ reason: "AccessNotCheckedNoSubnet" });
      const events = await stack.events(name);
      expect(
        events.some((e) => /Denied/.test(e.reason)),
        scenario,
      ).toBe(false);
      expect(
        events.some((e) => e.message.includes("az role assignment")),
        scenario,
      ).toBe(false);
      for (const action of ["read", "join"]) {
        expect(
          await stack.metric("aks_subnet_health_nodeclass_access", { nodeclass: name, action, result: "denied" }),
          `${scenario} ${action}`,
        ).toBeUndefined();
      }
    }
  });

  test("every event message fits in 1,024 bytes, names the subnet ID at most once, and keeps its az command whole", async () => {
    let messages = 0;
    let commands = 0;
    for (const scenario of SCENARIOS) {
      const events = await stack.events(names.get(scenario) ?? "");
      const subnetId = EXAMPLE_SUBNET_IDS[scenario];
      for (const e of events) {
        messages++;
        const where = `${scenario} ${e.reason}: ${e.message}`;
        expect(Buffer.byteLength(e.message, "utf8"), where).toBeLessThanOrEqual(MAX_EVENT_MESSAGE);
        expect(e.message.endsWith("..."), `${where} (cut by the recorder)`).toBe(false);
        if (subnetId !== undefined) expect(e.message.split(subnetId).length - 1, where).toBeLessThanOrEqual(1);
        // every az command is between backticks, and complete
        expect((e.message.match(/\baz (role|network|aks)\b/g) ?? []).length, where).toBe(azCommands(e.message).length);
        for (const cmd of azCommands(e.message)) {
          commands++;
          checkCommand(cmd, subnetId, where);
        }
      }
    }
    // conditions (what `kubectl describe` lists above the events) name the subnet's ID at most once each, too
    for (const scenario of SCENARIOS) {
      const obj = await stack.get(names.get(scenario) ?? "");
      const subnetId = EXAMPLE_SUBNET_IDS[scenario];
      for (const c of obj.status?.conditions ?? []) {
        const message = typeof c.message === "string" ? c.message : "";
        const where = `${scenario} ${typeof c.type === "string" ? c.type : ""}: ${message}`;
        if (subnetId !== undefined) expect(message.split(subnetId).length - 1, where).toBeLessThanOrEqual(1);
        expect((message.match(/\baz (role|network|aks)\b/g) ?? []).length, where).toBe(azCommands(message).length);
        for (const cmd of azCommands(message)) checkCommand(cmd, subnetId, where);
      }
    }
    // the check saw real messages and at least one command (reader-only's fix)
    expect(messages).toBeGreaterThan(SCENARIOS.length / 2);
    expect(commands).toBeGreaterThan(0);
  });
});
