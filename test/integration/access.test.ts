/**
 * Issue 5, access: what a platform team sees about Karpenter's right to read and join its subnet, for
 * each RBAC setup the NAP documentation describes, against the ARM simulator's real RBAC data.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import path from "node:path";
import {
  EXAMPLE_CLUSTER_ID,
  EXAMPLE_SUBNET_IDS,
  EXAMPLE_WORKLOADS_VNET_ID,
  KARPENTER_PRINCIPAL_ID,
  KARPENTER_SUBNET_ACCESS_ROLE_ID,
  OPERATOR_PRINCIPAL_ID,
} from "../../src/sim/example-ids.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const ASSIGNMENTS = "/providers/Microsoft.Authorization/roleAssignments/";
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Polls the metric until it has the value. */
async function metricIs(
  stack: Stack,
  name: string,
  labels: Record<string, string>,
  value: number | undefined,
): Promise<void> {
  await eventually(async () => ((await stack.metric(name, labels)) === value ? true : undefined), {
    what: `${name}${JSON.stringify(labels)} = ${String(value)}`,
  });
}

/**
 * Karpenter accepts only subnets in the cluster subnet's VNet (vnet-aks); the per-subnet RBAC scenarios
 * live in vnet-workloads, so SubnetReady leads with that refusal and lists the access verdict after it.
 */
function expectRefusedListing(stack: Stack, obj: Parameters<Stack["condition"]>[0], access: string | undefined): void {
  const ready = stack.condition(obj, "SubnetReady");
  expect(ready).toMatchObject({ status: "False", reason: "SubnetOutsideClusterVNet" });
  if (access === undefined) expect(str(ready?.message)).not.toContain("SubnetAccess");
  else expect(str(ready?.message)).toContain(`SubnetAccess ${access}:`);
}

async function accessMetrics(stack: Stack, nodeclass: string, read: string, join: string): Promise<void> {
  await metricIs(stack, "aks_subnet_health_nodeclass_access", { nodeclass, action: "read", result: read }, 1);
  await metricIs(stack, "aks_subnet_health_nodeclass_access", { nodeclass, action: "join", result: join }, 1);
  // one series per action, for its current verdict only
  for (const other of ["granted", "denied", "conditional", "unknown"].filter((r) => r !== join)) {
    expect(
      await stack.metric("aks_subnet_health_nodeclass_access", { nodeclass, action: "join", result: other }),
    ).toBeUndefined();
  }
}

describe("Karpenter's identity, discovered from the managed cluster", () => {
  let stack: Stack;
  beforeAll(async () => {
    // no --karpenter-principal-id: the cluster's control-plane identity (11111111-…) is what NAP uses
    stack = await startStack({ topology: TOPOLOGY, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test.each([
    {
      setup: "Approach A (Network Contributor on the VNet)",
      subnet: EXAMPLE_SUBNET_IDS["approach-a"],
      assignment: "1a1a1a1a-0000-4000-8000-000000000001",
      reason: "AccessGranted",
      says: "Approach A: Network Contributor on the VNet",
    },
    {
      setup: "Approach B with a custom role",
      subnet: EXAMPLE_SUBNET_IDS["approach-b-custom-role"],
      assignment: "1a1a1a1a-0000-4000-8000-000000000003",
      reason: "AccessGranted",
      says: "Approach B: a custom role on the subnet",
    },
    {
      setup: "Approach B with a conditioned Network Contributor",
      subnet: EXAMPLE_SUBNET_IDS["approach-b-conditioned"],
      assignment: "1a1a1a1a-0000-4000-8000-000000000004",
      reason: "AccessGranted",
      says: "Approach B: Network Contributor on the subnet with subnets/write and subnets/delete excluded by a condition",
    },
  ])("$setup: granted, classified, and the granting assignment named", async ({ subnet, assignment, reason, says }) => {
    const name = uniqueName("access");
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.status === "True" && c.reason === reason);
    const message = str(stack.condition(obj, "SubnetAccess")?.message);
    expect(message).toContain(
      `Karpenter's identity (principal ${KARPENTER_PRINCIPAL_ID}) may read and join the subnet`,
    );
    expect(message).toContain(says);
    expect(message).toMatch(new RegExp(`granted by role assignment [^;]*${ASSIGNMENTS}${assignment}`, "i"));
    expect(message).not.toContain("operator's own identity");
    // granted (even broadly) never blocks the nodeclass
    if (subnet.includes("/virtualNetworks/vnet-aks/")) expect(stack.condition(obj, "SubnetReady")?.status).toBe("True");
    else expectRefusedListing(stack, obj, undefined);
    await accessMetrics(stack, name, "granted", "granted");
  });

  test("Approach A is documented and supported: AccessGranted, SubnetReady's reason SubnetReady, no Warning event", async () => {
    const name = uniqueName("broad");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "AccessGranted");
    const message = str(stack.condition(obj, "SubnetAccess")?.message);
    expect(message).toContain("Approach B (read and join on the subnet only) is the least-privilege alternative.");
    expect(message).not.toContain("az role assignment");
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "True", reason: "SubnetReady" });
    // the healthy first pass records no event at all; a later pass must not either
    await stack.waitForCondition(name, "SubnetReady", (c) => c.reason === "SubnetReady");
    expect((await stack.events(name)).filter((e) => e.type === "Warning")).toEqual([]);
  });

  test("Reader only: read granted, join denied, SubnetReady False", async () => {
    const name = uniqueName("reader");
    const subnet = EXAMPLE_SUBNET_IDS["reader-only"];
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "JoinDenied");
    const c = stack.condition(obj, "SubnetAccess");
    expect(c?.status).toBe("False");
    expect(str(c?.message)).toContain("may not join the subnet");
    expect(str(c?.message)).toContain(`--scope ${subnet} `);
    expect(str(c?.message)).toContain("Microsoft.Network/virtualNetworks/subnets/join/action is not granted");
    expect(str(c?.message)).toContain("az role assignment create");
    expectRefusedListing(stack, obj, "JoinDenied");
    await accessMetrics(stack, name, "granted", "denied");
    const events = await eventually(
      async () => {
        const evs = await stack.events(name);
        return evs.some((e) => e.reason === "JoinDenied") ? evs : undefined;
      },
      { what: "JoinDenied event" },
    );
    expect(events.find((e) => e.reason === "JoinDenied")?.type).toBe("Warning");
    // the cluster's identity is known before the first check: never a verdict about the operator's own
    expect(events.every((e) => !e.message.includes("operator's own identity"))).toBe(true);
  });

  test("a deny assignment blocks join although a role grants it; the deny assignment is named", async () => {
    const name = uniqueName("deny");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["deny-assignment"] });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "DeniedByDenyAssignment");
    const c = stack.condition(obj, "SubnetAccess");
    expect(c?.status).toBe("False");
    expect(str(c?.message)).toMatch(/denyAssignments\/9d9d9d9d-0000-4000-8000-000000000001/i);
    expect(str(c?.message)).toContain("Fix: remove or change the deny assignment where it was created");
    expect(str(c?.message)).toContain("deny assignments override every role assignment");
    expectRefusedListing(stack, obj, "DeniedByDenyAssignment");
    await accessMetrics(stack, name, "granted", "denied");
  });

  test("an ABAC attribute condition is Indeterminate (Unknown), said as such, never granted or denied", async () => {
    const name = uniqueName("abac");
    const subnet = `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/abac-${name.slice(-8)}`;
    await stack.sim.admin.putSubnet(subnet, { addressPrefix: "10.240.10.0/24", usedIPs: 1 });
    const condition =
      "((!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/join/action'})) OR (@Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'karpenter'))";
    const id = await stack.sim.admin.addRoleAssignment({
      principalId: KARPENTER_PRINCIPAL_ID,
      scope: subnet,
      roleDefinitionId: KARPENTER_SUBNET_ACCESS_ROLE_ID,
      condition,
      conditionVersion: "2.0",
    });
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    const obj = await stack.waitForCondition(
      name,
      "SubnetAccess",
      (c) => c.status === "Unknown" && c.reason === "AccessConditional",
    );
    const message = str(stack.condition(obj, "SubnetAccess")?.message);
    expect(message).toMatch(/^Indeterminate: /);
    expect(message).toContain(`attribute condition on assignment ${id} cannot be evaluated offline`);
    expect(message).toContain(
      "It depends on @Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'karpenter'",
    );
    // read is not conditioned (ActionMatches decides it): only join is indeterminate
    await accessMetrics(stack, name, "granted", "conditional");
    expectRefusedListing(stack, obj, "AccessConditional");
  });

  test("removing the granting role assignment in Azure flips the condition within one resync", async () => {
    const name = uniqueName("revoke");
    const subnet = `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/revoke-${name.slice(-8)}`;
    await stack.sim.admin.putSubnet(subnet, { addressPrefix: "10.240.11.0/24", usedIPs: 1 });
    const id = await stack.sim.admin.addRoleAssignment({
      principalId: KARPENTER_PRINCIPAL_ID,
      scope: subnet,
      roleDefinitionId: KARPENTER_SUBNET_ACCESS_ROLE_ID,
    });
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "AccessGranted");

    const resyncsBefore = stack.operator.controller.stats.resyncs;
    await stack.sim.admin.removeRoleAssignment(id);
    // counted in resync passes, not seconds: the first pass after the removal must report it
    const obj = await stack.waitForCondition(
      name,
      "SubnetAccess",
      (c) => c.reason === "ReadAndJoinDenied",
      "access revoked",
    );
    expect(stack.operator.controller.stats.resyncs - resyncsBefore).toBeLessThanOrEqual(1);
    expect(stack.condition(obj, "SubnetAccess")?.status).toBe("False");
    expectRefusedListing(stack, obj, "ReadAndJoinDenied");
    await accessMetrics(stack, name, "denied", "denied");
    await eventually(
      async () =>
        (await stack.events(name)).some((e) => e.type === "Warning" && e.reason === "ReadAndJoinDenied")
          ? true
          : undefined,
      {
        what: "Warning event for the lost access",
      },
    );
  });
});

describe("--karpenter-principal-id: a self-hosted Karpenter's own identity, not the cluster's", () => {
  const SELF_HOSTED = "77777777-7777-4777-8777-777777777777";
  let stack: Stack;
  beforeAll(async () => {
    // the flag wins over the identity the managed cluster names
    stack = await startStack({
      topology: TOPOLOGY,
      flags: { clusterResourceId: EXAMPLE_CLUSTER_ID, karpenterPrincipalId: SELF_HOSTED },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("the configured principal's assignments are what count", async () => {
    const granted = uniqueName("flag-ok");
    const id = await stack.sim.admin.addRoleAssignment({
      principalId: SELF_HOSTED,
      scope: EXAMPLE_SUBNET_IDS["reader-only"],
      roleDefinitionId: KARPENTER_SUBNET_ACCESS_ROLE_ID,
    });
    await stack.createNodeClass(granted, { vnetSubnetID: EXAMPLE_SUBNET_IDS["reader-only"] });
    const ok = await stack.waitForCondition(granted, "SubnetAccess", (c) => c.reason === "AccessGranted");
    expect(str(stack.condition(ok, "SubnetAccess")?.message)).toContain(
      `Karpenter's identity (principal ${SELF_HOSTED}) may read and join`,
    );
    expect(str(stack.condition(ok, "SubnetAccess")?.message)).toContain(id);

    // Approach A is the cluster identity's grant, not this principal's
    const denied = uniqueName("flag-denied");
    await stack.createNodeClass(denied, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
    const no = await stack.waitForCondition(denied, "SubnetAccess", (c) => c.reason === "ReadAndJoinDenied");
    const message = str(stack.condition(no, "SubnetAccess")?.message);
    expect(message).toContain(`Karpenter's identity (principal ${SELF_HOSTED}) may neither read nor join the subnet`);
    expect(message).toContain("no role assignment of this principal at the subnet or above includes them");
    await accessMetrics(stack, denied, "denied", "denied");
  });
});

describe("no configured principal: the operator checks its own identity", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      topology: TOPOLOGY,
      flags: { networkPlugin: "azure", networkPluginMode: "overlay", networkDataplane: "cilium" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("Reader on the subscription: join denied, and the message says it checked the operator and assumes Karpenter is the same", async () => {
    const name = uniqueName("self");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-b-custom-role"] });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "JoinDenied");
    const message = str(stack.condition(obj, "SubnetAccess")?.message);
    expect(message).toContain("The operator's own identity may not join");
    expect(message).toContain("assumes Karpenter uses the same identity");
    expect(message).toContain("--karpenter-principal-id");
    await accessMetrics(stack, name, "granted", "denied");
    const counters = await stack.sim.admin.counters();
    // the permissions API, not role assignments of some other principal
    expect(counters.byCaller[OPERATOR_PRINCIPAL_ID]?.Permissions_ListForResource ?? 0).toBeGreaterThan(0);
    expect(counters.byOperation.RoleAssignments_ListForScope ?? 0).toBe(0);
  });

  test("granted to the operator: AccessGranted from its effective permissions, still saying the assumption", async () => {
    const name = uniqueName("self-ok");
    const subnet = `${EXAMPLE_WORKLOADS_VNET_ID}/subnets/self-${name.slice(-8)}`;
    await stack.sim.admin.putSubnet(subnet, { addressPrefix: "10.240.12.0/24", usedIPs: 1 });
    await stack.sim.admin.addRoleAssignment({
      principalId: OPERATOR_PRINCIPAL_ID,
      scope: subnet,
      roleDefinitionId: KARPENTER_SUBNET_ACCESS_ROLE_ID,
    });
    await stack.createNodeClass(name, { vnetSubnetID: subnet });
    const obj = await stack.waitForCondition(name, "SubnetAccess", (c) => c.reason === "AccessGranted");
    const message = str(stack.condition(obj, "SubnetAccess")?.message);
    expect(message).toContain("The operator's own identity may read and join");
    expect(message).toContain("from its effective permissions");
    expect(message).toContain("assumes Karpenter uses the same identity");
    await accessMetrics(stack, name, "granted", "granted");
  });
});
