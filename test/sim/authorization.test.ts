/** RBAC APIs through the classic @azure/arm-authorization client: filters, inheritance, paging, errors. */
import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  EXAMPLE_AKS_VNET_ID,
  EXAMPLE_RESTRICTED_SUBSCRIPTION_ID,
  EXAMPLE_SUBNET_IDS,
  EXAMPLE_SUBSCRIPTION_ID,
  EXAMPLE_WORKLOADS_VNET_ID,
  KARPENTER_PRINCIPAL_ID,
  KARPENTER_SUBNET_ACCESS_ROLE_ID,
  OPERATOR_PRINCIPAL_ID,
} from "../../src/sim/example-ids.js";
import {
  NETWORK_CONTRIBUTOR_ROLE_ID,
  READER_ROLE_ID,
  SimTokenCredential,
  startSimulator,
  type RunningSimulator,
} from "../../src/sim/index.js";
import { authorizationClient, collect, networkClient, rejection } from "./helpers.js";

const EXAMPLE_TOPOLOGY = new URL("../../examples/topology.yaml", import.meta.url).pathname;
const operator = new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID });
const karpenter = new SimTokenCredential({ oid: KARPENTER_PRINCIPAL_ID });
const sub = `/subscriptions/${EXAMPLE_SUBSCRIPTION_ID}`;
/** the SDK's scope parameter must not start with "/" (it would send `//subscriptions`) */
const noSlash = (id: string): string => id.replace(/^\//, "");

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ topology: EXAMPLE_TOPOLOGY });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await sim.admin.replaceTopology(EXAMPLE_TOPOLOGY);
  await sim.admin.resetCounters();
});

describe("RoleAssignments_ListForScope", () => {
  it("atScope() and assignedTo() returns the principal's assignments at and above the scope, not siblings", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const filter = `atScope() and assignedTo('${KARPENTER_PRINCIPAL_ID}')`;
    const atDefault = await collect(auth.roleAssignments.listForScope(noSlash(EXAMPLE_SUBNET_IDS.healthy), { filter }));
    expect(atDefault.map((a) => a.scope)).toEqual([EXAMPLE_AKS_VNET_ID]); // inherited from the VNet
    expect(atDefault[0]?.roleDefinitionId).toBe(
      `${sub}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR_ROLE_ID}`,
    );

    const custom = await collect(
      auth.roleAssignments.listForScope(noSlash(EXAMPLE_SUBNET_IDS["approach-b-custom-role"]), { filter }),
    );
    expect(custom.map((a) => a.roleDefinitionId?.split("/").pop())).toEqual([KARPENTER_SUBNET_ACCESS_ROLE_ID]);
    // the sibling subnets' assignments (reader-only, conditioned, deny-assignment) are not listed
    expect(custom).toHaveLength(1);
  });

  it("returns condition and conditionVersion", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const [a] = await collect(
      auth.roleAssignments.listForScope(noSlash(EXAMPLE_SUBNET_IDS["approach-b-conditioned"]), {
        filter: `atScope() and assignedTo('${KARPENTER_PRINCIPAL_ID}')`,
      }),
    );
    expect(a?.condition).toContain("ActionMatches{'Microsoft.Network/virtualNetworks/subnets/write'}");
    expect(a?.conditionVersion).toBe("2.0");
  });

  it("no filter lists at, above and below; principalId eq filters directly; pages use $skipToken", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const all = await collect(auth.roleAssignments.listForScope(noSlash(EXAMPLE_WORKLOADS_VNET_ID)));
    // operator's Reader above + 4 Karpenter assignments below
    expect(all.map((a) => a.name).sort()).toEqual(
      [
        "2a2a2a2a-0000-4000-8000-000000000001",
        "1a1a1a1a-0000-4000-8000-000000000002",
        "1a1a1a1a-0000-4000-8000-000000000003",
        "1a1a1a1a-0000-4000-8000-000000000004",
        "1a1a1a1a-0000-4000-8000-000000000005",
      ].sort(),
    );
    const atScope = await collect(
      auth.roleAssignments.listForScope(noSlash(EXAMPLE_WORKLOADS_VNET_ID), { filter: "atScope()" }),
    );
    expect(atScope.map((a) => a.principalId)).toEqual([OPERATOR_PRINCIPAL_ID]);
    const direct = await collect(
      auth.roleAssignments.listForScope(noSlash(EXAMPLE_WORKLOADS_VNET_ID), {
        filter: `principalId eq '${KARPENTER_PRINCIPAL_ID}'`,
      }),
    );
    expect(direct).toHaveLength(4);
    const requests = await sim.admin.requests();
    expect(requests.some((r) => r.query.includes("%24skipToken=") || r.query.includes("$skipToken="))).toBe(true);
    expect((await sim.admin.counters()).byOperation["RoleAssignments_ListForScope"]).toBe(3 + 1 + 2);
  });

  it("accepts the `//subscriptions` path a leading-slash scope produces", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const list = await collect(
      auth.roleAssignments.listForScope(EXAMPLE_SUBNET_IDS.healthy, {
        filter: `atScope() and assignedTo('${KARPENTER_PRINCIPAL_ID}')`,
      }),
    );
    expect(list).toHaveLength(1);
  });

  it("role assignments added and removed through the admin API are listed and enforced", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const scope = EXAMPLE_SUBNET_IDS["reader-only"];
    const id = await sim.admin.addRoleAssignment({
      principalId: KARPENTER_PRINCIPAL_ID,
      scope,
      role: "Karpenter Subnet Access",
    });
    const listed = await collect(
      auth.roleAssignments.listForScope(noSlash(scope), {
        filter: `atScope() and assignedTo('${KARPENTER_PRINCIPAL_ID}')`,
      }),
    );
    expect(listed.map((a) => a.id)).toContain(id);
    await sim.admin.removeRoleAssignment(id.toUpperCase());
    const after = await collect(
      auth.roleAssignments.listForScope(noSlash(scope), {
        filter: `atScope() and assignedTo('${KARPENTER_PRINCIPAL_ID}')`,
      }),
    );
    expect(after.map((a) => a.id)).not.toContain(id);

    // removing the operator's Reader takes its read access away
    await sim.admin.removeRoleAssignment("2a2a2a2a-0000-4000-8000-000000000001");
    const e = (await rejection(
      networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID).subnets.get("rg-network", "vnet-aks", "aks-default"),
    )) as RestError;
    expect(e.code).toBe("AuthorizationFailed");
  });

  it("needs Microsoft.Authorization/*/read: 403 for a caller without it", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_RESTRICTED_SUBSCRIPTION_ID);
    const e = await rejection(collect(auth.roleAssignments.listForScope(noSlash(EXAMPLE_SUBNET_IDS.unreadable))));
    // the classic (CJS) client throws the CJS build's RestError: instanceof fails across builds
    expect(isRestError(e)).toBe(true);
    expect([(e as RestError).statusCode, (e as RestError).code]).toEqual([403, "AuthorizationFailed"]);
    expect((e as RestError).message).toContain("'Microsoft.Authorization/roleAssignments/read'");
  });
});

describe("RoleDefinitions", () => {
  it("GetById with a subscription-qualified or a provider-only ID, and Get by scope + GUID", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const byId = await auth.roleDefinitions.getById(
      noSlash(`${sub}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR_ROLE_ID}`),
    );
    expect(byId).toMatchObject({
      roleName: "Network Contributor",
      roleType: "BuiltInRole",
      name: NETWORK_CONTRIBUTOR_ROLE_ID,
    });
    expect(byId.permissions?.[0]?.actions).toContain("Microsoft.Network/*");
    const root = await auth.roleDefinitions.getById(
      `providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE_ID}`,
    );
    expect(root.id).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE_ID}`);
    expect(root.permissions?.[0]?.actions).toEqual(["*/read"]);
    const custom = await auth.roleDefinitions.get(noSlash(EXAMPLE_WORKLOADS_VNET_ID), KARPENTER_SUBNET_ACCESS_ROLE_ID);
    expect(custom).toMatchObject({ roleName: "Karpenter Subnet Access", roleType: "CustomRole" });
    expect(custom.permissions?.[0]?.actions).toEqual([
      "Microsoft.Network/virtualNetworks/subnets/read",
      "Microsoft.Network/virtualNetworks/subnets/join/action",
    ]);
    const counters = await sim.admin.counters();
    expect(counters.byOperation).toMatchObject({ RoleDefinitions_GetById: 2, RoleDefinitions_Get: 1 });
  });

  it("an unknown role definition is a 404 RoleDefinitionDoesNotExist", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const e = (await rejection(
      auth.roleDefinitions.get(noSlash(sub), "0f0f0f0f-0000-4000-8000-000000000000"),
    )) as RestError;
    expect([e.statusCode, e.code]).toEqual([404, "RoleDefinitionDoesNotExist"]);
  });
});

describe("DenyAssignments", () => {
  it("ListForResource on a subnet returns the deny assignment with the everyone principal", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const list = await collect(
      auth.denyAssignments.listForResource(
        "rg-network",
        "Microsoft.Network",
        "virtualNetworks/vnet-workloads",
        "subnets",
        "deny-assignment",
      ),
    );
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      scope: EXAMPLE_SUBNET_IDS["deny-assignment"],
      doNotApplyToChildScopes: false,
      principals: [{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }],
    });
    expect(list[0]?.permissions?.[0]?.actions).toContain("Microsoft.Network/virtualNetworks/subnets/join/action");
    const sibling = await collect(
      auth.denyAssignments.listForResource(
        "rg-network",
        "Microsoft.Network",
        "virtualNetworks/vnet-workloads",
        "subnets",
        "reader-only",
      ),
    );
    expect(sibling).toEqual([]);
    expect((await sim.admin.counters()).byOperation["DenyAssignments_ListForResource"]).toBe(2);
  });

  it("ListForScope with atScope() sees denies above; admin-added denies override reads", async () => {
    const auth = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const id = await sim.admin.addDenyAssignment({
      scope: EXAMPLE_AKS_VNET_ID,
      actions: ["Microsoft.Network/virtualNetworks/subnets/read"],
      principals: [{ id: OPERATOR_PRINCIPAL_ID, type: "ServicePrincipal" }],
    });
    const list = await collect(
      auth.denyAssignments.listForScope(noSlash(EXAMPLE_SUBNET_IDS.healthy), { filter: "atScope()" }),
    );
    expect(list.map((d) => d.id)).toEqual([id]);
    expect((await sim.admin.counters()).byOperation["DenyAssignments_ListForScope"]).toBe(1);
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    expect(((await rejection(net.subnets.get("rg-network", "vnet-aks", "aks-default"))) as RestError).code).toBe(
      "AuthorizationFailed",
    );
    // the VNet itself is still readable: the deny names only subnets/read
    expect((await net.virtualNetworks.get("rg-network", "vnet-aks")).name).toBe("vnet-aks");
    await sim.admin.removeDenyAssignment(id);
    expect((await net.subnets.get("rg-network", "vnet-aks", "aks-default")).name).toBe("aks-default");
  });

  it("doNotApplyToChildScopes limits a deny to its own scope", async () => {
    await sim.admin.addDenyAssignment({
      scope: EXAMPLE_AKS_VNET_ID,
      actions: ["*/read"],
      principals: [{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }],
      doNotApplyToChildScopes: true,
    });
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    expect(((await rejection(net.virtualNetworks.get("rg-network", "vnet-aks"))) as RestError).code).toBe(
      "AuthorizationFailed",
    );
    expect((await net.subnets.get("rg-network", "vnet-aks", "aks-default")).name).toBe("aks-default");
  });
});

describe("Permissions_ListForResource", () => {
  it("answers for the caller's own identity, one entry per role, denies not folded in", async () => {
    const asKarpenter = authorizationClient(sim, karpenter, EXAMPLE_SUBSCRIPTION_ID);
    const denied = await collect(
      asKarpenter.permissions.listForResource(
        "rg-network",
        "Microsoft.Network",
        "virtualNetworks/vnet-workloads",
        "subnets",
        "deny-assignment",
      ),
    );
    expect(denied.map((p) => p.actions)).toEqual([
      ["Microsoft.Network/virtualNetworks/subnets/read", "Microsoft.Network/virtualNetworks/subnets/join/action"],
    ]);
    const approachA = await collect(
      asKarpenter.permissions.listForResource(
        "rg-network",
        "Microsoft.Network",
        "virtualNetworks/vnet-aks",
        "subnets",
        "aks-default",
      ),
    );
    expect(approachA.flatMap((p) => p.actions)).toContain("Microsoft.Network/*");

    const asOperator = authorizationClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    const mine = await collect(
      asOperator.permissions.listForResource(
        "rg-network",
        "Microsoft.Network",
        "virtualNetworks/vnet-aks",
        "subnets",
        "aks-default",
      ),
    );
    expect(mine.map((p) => p.actions)).toEqual([["*/read"]]);
    expect((await sim.admin.counters()).byCaller[KARPENTER_PRINCIPAL_ID]?.["Permissions_ListForResource"]).toBe(2);
  });
});
