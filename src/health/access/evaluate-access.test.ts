import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUBNET_JOIN, SUBNET_READ } from "./actions.js";
import { EVERYONE_PRINCIPAL_ID, evaluateAccess, evaluateSelfAccess, roleGuid } from "./evaluate-access.js";
import {
  ALL_DEFINITIONS,
  CONTRIBUTOR,
  KARPENTER,
  KARPENTER_SUBNET_ROLE,
  NAP_CONDITION,
  NETWORK_CONTRIBUTOR,
  OTHER_PRINCIPAL,
  OWNER,
  READER,
  RG_SCOPE,
  SUBNET,
  SUB_SCOPE,
  VNET_SCOPE,
  assign,
  deny,
} from "./testing.js";
import type { DenyAssignmentData, RoleAssignmentData } from "./types.js";

const run = (assignments: RoleAssignmentData[], denies: DenyAssignmentData[] = [], definitions = ALL_DEFINITIONS) =>
  evaluateAccess({ principalId: KARPENTER, subnet: SUBNET, assignments, definitions, denies });

describe("documented approaches", () => {
  it("Approach A: Network Contributor on the VNet grants both, flags broad rights", () => {
    const a = assign(NETWORK_CONTRIBUTOR, VNET_SCOPE);
    const e = run([a]);
    expect(e.mode).toBe("karpenter-principal");
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.read.grantedBy).toEqual([a.id]);
    expect(e.join.grantedBy).toEqual([a.id]);
    expect(e.approach).toBe("vnet-network-contributor");
    expect(e.broadGrants).toContain(
      `Microsoft.Network/virtualNetworks/subnets/write via role 'Network Contributor' at ${VNET_SCOPE}`,
    );
    expect(e.broadGrants).toContain(
      `Microsoft.Network/virtualNetworks/delete via role 'Network Contributor' at ${VNET_SCOPE}`,
    );
  });

  it("Approach B: custom role with read + join at the subnet", () => {
    const a = assign(KARPENTER_SUBNET_ROLE, SUBNET.id);
    const e = run([a]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.approach).toBe("subnet-custom-role");
    expect(e.broadGrants).toEqual([]);
    expect(e.join.detail).toContain("Karpenter Subnet Access");
  });

  it("Approach B: Network Contributor at the subnet with the NAP condition has no broad rights on the subnet", () => {
    const a = assign(NETWORK_CONTRIBUTOR, SUBNET.id, { condition: NAP_CONDITION, conditionVersion: "2.0" });
    const e = run([a]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.approach).toBe("subnet-conditioned-network-contributor");
    expect(e.broadGrants).toEqual([]);
  });

  it("Network Contributor at the resource group grants but is not Approach A", () => {
    const e = run([assign(NETWORK_CONTRIBUTOR, RG_SCOPE)]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.approach).toBe("other");
  });

  it("Owner at the subscription: granted, approach other, broad grants flagged", () => {
    const e = run([assign(OWNER, SUB_SCOPE)]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.approach).toBe("other");
    expect(e.broadGrants).toHaveLength(4);
    expect(e.broadGrants[0]).toBe(`Microsoft.Network/virtualNetworks/subnets/write via role 'Owner' at ${SUB_SCOPE}`);
  });

  it("read and join from two different assignments is granted as 'other'", () => {
    const joinOnly = {
      ...KARPENTER_SUBNET_ROLE,
      name: "dead0000-0000-4000-8000-00000000j01n",
      id: "/providers/Microsoft.Authorization/roleDefinitions/dead0000-0000-4000-8000-00000000j01n",
      roleName: "Join Only",
      permissions: [{ actions: [SUBNET_JOIN], notActions: [] }],
    };
    const defs = new Map([...ALL_DEFINITIONS, [joinOnly.name, joinOnly]]);
    const reader = assign(READER, SUBNET.id);
    const joiner = assign(joinOnly, SUBNET.id);
    const e = run([reader, assign(CONTRIBUTOR, SUB_SCOPE, { principalId: OTHER_PRINCIPAL }), joiner], [], defs);
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.read.grantedBy).toEqual([reader.id]);
    expect(e.join.grantedBy).toEqual([joiner.id]);
    expect(e.approach).toBe("other");
  });
});

describe("not granted", () => {
  it("Reader only: read granted, join denied with an explanation", () => {
    const a = assign(READER, VNET_SCOPE);
    const e = run([a]);
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("denied");
    expect(e.join.deniedBy).toEqual([]);
    expect(e.join.detail).toContain("is not granted");
    expect(e.join.detail).toContain(`role 'Reader' at ${VNET_SCOPE}`);
    expect(e.join.detail).toContain("does not include it");
    expect(e.approach).toBe("other");
  });

  it("no assignments: both denied, approach none", () => {
    const e = run([]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["denied", "denied"]);
    expect(e.approach).toBe("none");
    // the principal and the subnet are named once by the condition's message, not again per action
    expect(e.read.detail).toBe(
      "Microsoft.Network/virtualNetworks/subnets/read is not granted: no role assignment of this principal at the subnet or above includes it.",
    );
  });

  it("an assignment at a sibling subnet does not apply", () => {
    const e = run([
      assign(NETWORK_CONTRIBUTOR, `${VNET_SCOPE}/subnets/nodes2`),
      assign(OWNER, `${VNET_SCOPE}/subnets/node`),
    ]);
    expect([e.read.verdict, e.join.verdict]).toEqual(["denied", "denied"]);
    expect(e.approach).toBe("none");
  });

  it("another principal's assignment does not apply; a group assignment (assignedTo) does", () => {
    expect(run([assign(OWNER, SUB_SCOPE, { principalId: OTHER_PRINCIPAL })]).join.verdict).toBe("denied");
    const group = assign(NETWORK_CONTRIBUTOR, VNET_SCOPE, { principalId: OTHER_PRINCIPAL, principalType: "Group" });
    const e = run([group]);
    expect(e.join.verdict).toBe("granted");
    expect(e.join.detail).toContain(`via group ${OTHER_PRINCIPAL}`);
  });

  it("notActions in one role does not stop another role from granting", () => {
    const noJoin = {
      ...CONTRIBUTOR,
      name: "dead0000-0000-4000-8000-000000000001",
      id: "/providers/Microsoft.Authorization/roleDefinitions/dead0000-0000-4000-8000-000000000001",
      roleName: "No Join",
      permissions: [{ actions: ["*"], notActions: [SUBNET_JOIN] }],
    };
    const defs = new Map([...ALL_DEFINITIONS, [noJoin.name, noJoin]]);
    const alone = run([assign(noJoin, SUB_SCOPE)], [], defs);
    expect(alone.join.verdict).toBe("denied");
    const both = run([assign(noJoin, SUB_SCOPE), assign(KARPENTER_SUBNET_ROLE, SUBNET.id)], [], defs);
    expect(both.join.verdict).toBe("granted");
  });

  it("Network Contributor at the subnet without a condition: subnet write/delete flagged, VNet actions not (they act on the VNet)", () => {
    const e = run([assign(NETWORK_CONTRIBUTOR, SUBNET.id)]);
    expect(e.approach).toBe("other");
    expect(e.broadGrants).toEqual([
      `Microsoft.Network/virtualNetworks/subnets/write via role 'Network Contributor' at ${SUBNET.id}`,
      `Microsoft.Network/virtualNetworks/subnets/delete via role 'Network Contributor' at ${SUBNET.id}`,
    ]);
  });
});

describe("uncertain outcomes", () => {
  it("an attribute condition makes the grant conditional and names the assignment", () => {
    const a = assign(NETWORK_CONTRIBUTOR, SUBNET.id, {
      condition:
        "((!(ActionMatches{'Microsoft.Network/virtualNetworks/subnets/join/action'})) OR (@Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'nodes'))",
    });
    const e = run([a]);
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("conditional");
    expect(e.join.grantedBy).toEqual([a.id]);
    expect(e.join.detail).toContain(`an ABAC attribute condition on assignment ${a.id}`);
    expect(e.join.detail).toContain("cannot be evaluated offline");
  });

  it("an unconditional grant beats a conditional one", () => {
    const conditional = assign(NETWORK_CONTRIBUTOR, SUBNET.id, { condition: "@Resource[x:y] StringEquals 'z'" });
    const plain = assign(KARPENTER_SUBNET_ROLE, SUBNET.id);
    const e = run([conditional, plain]);
    expect(e.join.verdict).toBe("granted");
    expect(e.join.grantedBy).toEqual([plain.id]);
  });

  it("a malformed condition is never a grant", () => {
    const a = assign(NETWORK_CONTRIBUTOR, SUBNET.id, { condition: "((ActionMatches{'x'}" });
    const e = run([a]);
    expect(e.join.verdict).toBe("unknown");
    expect(e.join.detail).toContain("cannot parse ABAC condition");
  });

  it("a missing role definition makes the assignment's contribution unknown", () => {
    const a = assign(NETWORK_CONTRIBUTOR, VNET_SCOPE);
    const e = run([a], [], new Map());
    expect([e.read.verdict, e.join.verdict]).toEqual(["unknown", "unknown"]);
    expect(e.join.detail).toContain("could not be read");
  });

  it("looks up role definitions by trailing GUID in any case and ID form", () => {
    const a = assign(NETWORK_CONTRIBUTOR, VNET_SCOPE, {
      roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR.name.toUpperCase()}`,
    });
    expect(run([a]).approach).toBe("vnet-network-contributor");
    expect(roleGuid("/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/ABC/")).toBe("abc");
  });
});

describe("deny assignments", () => {
  const granted = () => [assign(NETWORK_CONTRIBUTOR, VNET_SCOPE)];

  it("a deny naming the principal denies join and names the deny assignment", () => {
    const d = deny(RG_SCOPE);
    const e = run(granted(), [d]);
    expect(e.read.verdict).toBe("granted"); // the deny excludes */read
    expect(e.join.verdict).toBe("denied");
    expect(e.join.deniedBy).toEqual([d.id]);
    expect(e.join.detail).toContain(`explicitly denied by deny assignment ${d.id}`);
  });

  it("everyone-denies apply unless the principal is excluded", () => {
    const everyone = { principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }] };
    expect(run(granted(), [deny(RG_SCOPE, everyone)]).join.verdict).toBe("denied");
    const excluded = deny(RG_SCOPE, {
      ...everyone,
      excludePrincipals: [{ id: KARPENTER.toUpperCase(), type: "ServicePrincipal" }],
    });
    const e = run(granted(), [excluded]);
    expect(e.join.verdict).toBe("granted");
    expect(e.join.deniedBy).toEqual([]);
  });

  it("doNotApplyToChildScopes at the VNet does not deny the subnet; at the subnet it does", () => {
    expect(run(granted(), [deny(VNET_SCOPE, { doNotApplyToChildScopes: true })]).join.verdict).toBe("granted");
    expect(run(granted(), [deny(SUBNET.id, { doNotApplyToChildScopes: true })]).join.verdict).toBe("denied");
  });

  it("a deny at a sibling subnet or for another principal does not apply", () => {
    expect(run(granted(), [deny(`${VNET_SCOPE}/subnets/nodes2`)]).join.verdict).toBe("granted");
    expect(run(granted(), [deny(RG_SCOPE, { principals: [{ id: OTHER_PRINCIPAL, type: "User" }] })]).join.verdict).toBe(
      "granted",
    );
  });

  it("a deny naming a group makes the verdict unknown (membership needs Graph)", () => {
    const d = deny(RG_SCOPE, { principals: [{ id: OTHER_PRINCIPAL, type: "Group" }] });
    const e = run(granted(), [d]);
    expect(e.join.verdict).toBe("unknown");
    expect(e.join.deniedBy).toEqual([d.id]);
    expect(e.join.detail).toContain("Microsoft Graph");
  });

  it("a deny whose notActions exclude the action does not deny it", () => {
    const e = run(granted(), [
      deny(RG_SCOPE, {
        permissions: [
          { actions: ["Microsoft.Network/*"], notActions: ["Microsoft.Network/virtualNetworks/subnets/*"] },
        ],
      }),
    ]);
    expect(e.join.verdict).toBe("granted");
  });

  it("a deny also removes the broad grant it covers", () => {
    const d = deny(RG_SCOPE, {
      permissions: [
        {
          actions: ["Microsoft.Network/virtualNetworks/*/delete", "Microsoft.Network/virtualNetworks/delete"],
          notActions: [],
        },
      ],
    });
    const e = run(granted(), [d]);
    expect(e.broadGrants.some((g) => g.includes("/delete"))).toBe(false);
    expect(e.broadGrants.some((g) => g.includes("subnets/write"))).toBe(true);
  });
});

describe("operator self-check (Permissions_ListForResource)", () => {
  it("union of permission entries grants read and join", () => {
    const e = evaluateSelfAccess({
      subnet: SUBNET,
      permissions: [
        { actions: ["*/read"], notActions: [] },
        { actions: [SUBNET_JOIN], notActions: [] },
      ],
    });
    expect(e.mode).toBe("operator-identity");
    expect([e.read.verdict, e.join.verdict]).toEqual(["granted", "granted"]);
    expect(e.approach).toBe("other");
    expect(e.broadGrants).toEqual([]);
  });

  it("no permissions: denied, approach none", () => {
    const e = evaluateSelfAccess({ subnet: SUBNET, permissions: [] });
    expect([e.read.verdict, e.join.verdict]).toEqual(["denied", "denied"]);
    expect(e.approach).toBe("none");
  });

  it("flags broad effective permissions and honours deny assignments naming the operator", () => {
    const d = deny(RG_SCOPE, { principals: [{ id: OTHER_PRINCIPAL, type: "ServicePrincipal" }] });
    const e = evaluateSelfAccess({
      subnet: SUBNET,
      permissions: [{ actions: ["Microsoft.Network/*"], notActions: [] }],
      denies: [d],
      principalId: OTHER_PRINCIPAL,
    });
    expect(e.join.verdict).toBe("denied");
    expect(e.join.deniedBy).toEqual([d.id]);
    expect(e.read.verdict).toBe("granted");
    expect(e.broadGrants).toEqual([]); // the deny covers every non-read action
  });

  it("a principal-specific deny is undecidable when the operator's own ID is unknown", () => {
    const e = evaluateSelfAccess({
      subnet: SUBNET,
      permissions: [{ actions: ["*"], notActions: [] }],
      denies: [deny(RG_SCOPE)],
    });
    expect(e.join.verdict).toBe("unknown");
  });
});

const roles = [NETWORK_CONTRIBUTOR, READER, OWNER, CONTRIBUTOR, KARPENTER_SUBNET_ROLE];
const scopes = [SUBNET.id, VNET_SCOPE, RG_SCOPE, SUB_SCOPE, `${VNET_SCOPE}/subnets/other`, "/"];
const conditions = [undefined, NAP_CONDITION, "@Resource[x:y] StringEquals 'z'", "((broken"];
const assignmentArb = fc
  .record({
    role: fc.constantFrom(...roles),
    scope: fc.constantFrom(...scopes),
    condition: fc.constantFrom(...conditions),
    principal: fc.constantFrom(KARPENTER, OTHER_PRINCIPAL),
  })
  .map(({ role, scope, condition, principal }) =>
    assign(role, scope, { principalId: principal, ...(condition ? { condition } : {}) }),
  );

describe("access properties", () => {
  it("adding a role assignment never turns granted into anything else", () => {
    fc.assert(
      fc.property(fc.array(assignmentArb, { maxLength: 5 }), assignmentArb, (base, extra) => {
        const before = run(base);
        const after = run([...base, extra]);
        for (const key of ["read", "join"] as const) {
          if (before[key].verdict === "granted") expect(after[key].verdict).toBe("granted");
        }
      }),
    );
  });

  it("an applicable deny naming the principal always denies an action it covers", () => {
    fc.assert(
      fc.property(
        fc.array(assignmentArb, { maxLength: 5 }),
        fc.constantFrom(SUBNET.id, VNET_SCOPE, SUB_SCOPE),
        (base, scope) => {
          const e = run(base, [
            deny(scope, { permissions: [{ actions: [SUBNET_READ, SUBNET_JOIN], notActions: [] }] }),
          ]);
          expect([e.read.verdict, e.join.verdict]).toEqual(["denied", "denied"]);
        },
      ),
    );
  });
});
