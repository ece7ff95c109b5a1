import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConditionType } from "../../domain.js";
import type { AccessEvaluation, AccessObservation, AzureFailure } from "../types.js";
import { AccessReason, accessCondition, stableAzureMessage } from "./condition.js";
import { EVERYONE_PRINCIPAL_ID, evaluateAccess, evaluateSelfAccess } from "./evaluate-access.js";
import {
  ALL_DEFINITIONS,
  KARPENTER,
  KARPENTER_SUBNET_ROLE,
  NAP_CONDITION,
  NETWORK_CONTRIBUTOR,
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

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const evaluate = (
  assignments: RoleAssignmentData[],
  denies: DenyAssignmentData[] = [],
  definitions = ALL_DEFINITIONS,
) => evaluateAccess({ principalId: KARPENTER, subnet: SUBNET, assignments, definitions, denies });
const ok = (evaluation: AccessEvaluation): AccessObservation => ({
  kind: "ok",
  evaluation,
  fetchedAt: 1_700_000_000_000,
});

describe("SubnetAccess condition from an evaluation", () => {
  it("Approach A (documented) → True AccessGranted naming the assignment, Approach B mentioned once, no command", () => {
    const a = assign(NETWORK_CONTRIBUTOR, VNET_SCOPE);
    const c = accessCondition(ok(evaluate([a])), SUBNET);
    expect(c.type).toBe(ConditionType.SubnetAccess);
    expect([c.status, c.reason]).toEqual(["True", "AccessGranted"]);
    expect(c.message).toContain("Approach A");
    expect(c.message).toContain(a.id);
    expect(c.message).toContain("Approach B (read and join on the subnet only) is the least-privilege alternative.");
    expect(c.message).not.toContain("az role assignment");
    expect(c.message).not.toContain(SUBNET.id);
  });

  it("a broad grant outside the documented approaches → True AccessBroaderThanNeeded, problem first, then the fix", () => {
    const a = assign(OWNER, RG_SCOPE);
    const c = accessCondition(ok(evaluate([a])), SUBNET);
    expect([c.status, c.reason]).toEqual(["True", "AccessBroaderThanNeeded"]);
    expect(c.message).toMatch(
      /^Karpenter's identity \(principal [^)]+\) may read and join the subnet but holds rights it does not need: /,
    );
    expect(c.message).toContain("via role 'Owner'");
    expect(c.message).toContain("Fix: assign only");
    // the subnet's ID once, inside the command
    expect(c.message.split(SUBNET.id).length - 1).toBe(1);
    expect(c.message).toContain(`--scope ${SUBNET.id} --condition`);
  });

  it("Approach B → True AccessGranted naming the approach and the assignment", () => {
    const a = assign(KARPENTER_SUBNET_ROLE, SUBNET.id);
    const c = accessCondition(ok(evaluate([a])));
    expect([c.status, c.reason]).toEqual(["True", "AccessGranted"]);
    expect(c.message).toContain("Approach B: a custom role on the subnet");
    expect(c.message).toContain(a.id);
    expect(c.message).toContain(KARPENTER);
  });

  it("conditioned Network Contributor → True AccessGranted", () => {
    const c = accessCondition(ok(evaluate([assign(NETWORK_CONTRIBUTOR, SUBNET.id, { condition: NAP_CONDITION })])));
    expect([c.status, c.reason]).toEqual(["True", "AccessGranted"]);
    expect(c.message).toContain("excluded by a condition");
  });

  it("Reader only → False JoinDenied with the az command to fix it", () => {
    const c = accessCondition(ok(evaluate([assign(READER, VNET_SCOPE)])), SUBNET);
    expect([c.status, c.reason]).toEqual(["False", "JoinDenied"]);
    expect(c.message).toContain("may not join");
    expect(c.message).toContain(`az role assignment create --assignee-object-id ${KARPENTER}`);
    expect(c.message).toContain(`--scope ${SUBNET.id}`);
    expect(c.message).toContain("--condition-version 2.0");
  });

  it("Reader on the subnet itself → the problem and the command first, the subnet's ID named once (in the command)", () => {
    const c = accessCondition(ok(evaluate([assign(READER, SUBNET.id)])), SUBNET);
    expect(c.reason).toBe("JoinDenied");
    expect(c.message).toMatch(
      /^Karpenter's identity \(principal [^)]+\) may not join the subnet: .*Fix: `az role assignment create /,
    );
    expect(c.message.toLowerCase().split(SUBNET.id.toLowerCase()).length - 1).toBe(1);
    expect(c.message).toContain("role 'Reader' at the subnet");
    expect(Buffer.byteLength(c.message)).toBeLessThan(1024);
  });

  it("nothing → False ReadAndJoinDenied explaining both once; read only missing → ReadDenied", () => {
    const none = accessCondition(ok(evaluate([])));
    expect([none.status, none.reason]).toEqual(["False", "ReadAndJoinDenied"]);
    expect(none.message).toContain(
      "Microsoft.Network/virtualNetworks/subnets/read and Microsoft.Network/virtualNetworks/subnets/join/action are not granted",
    );
    expect(none.message.split("no role assignment of this principal").length).toBe(2);
    const joinOnly = { ...KARPENTER_SUBNET_ROLE, permissions: [{ actions: ["*/join/action"], notActions: [] }] };
    const defs = new Map([...ALL_DEFINITIONS, [joinOnly.name, joinOnly]]);
    const c = accessCondition(ok(evaluate([assign(joinOnly, SUBNET.id)], [], defs)));
    expect([c.status, c.reason]).toEqual(["False", "ReadDenied"]);
  });

  it("deny assignment → False DeniedByDenyAssignment naming it", () => {
    const d = deny(RG_SCOPE, { principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }] });
    const c = accessCondition(ok(evaluate([assign(OWNER, SUB_SCOPE)], [d])));
    expect([c.status, c.reason]).toEqual(["False", "DeniedByDenyAssignment"]);
    expect(c.message).toContain(d.id);
  });

  it("attribute condition → Unknown AccessConditional naming the assignment", () => {
    const a = assign(NETWORK_CONTRIBUTOR, SUBNET.id, {
      condition: "@Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'nodes'",
    });
    const c = accessCondition(ok(evaluate([a])));
    expect([c.status, c.reason]).toEqual(["Unknown", "AccessConditional"]);
    expect(c.message).toContain(`an ABAC attribute condition on assignment ${a.id} cannot be evaluated offline`);
    expect(c.message).toMatch(/^Indeterminate: /);
    // the expression to change is named
    expect(c.message).toContain(
      "It depends on @Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'nodes'.",
    );
  });

  it("missing role definition or group deny → Unknown AccessIndeterminate", () => {
    expect(accessCondition(ok(evaluate([assign(NETWORK_CONTRIBUTOR, VNET_SCOPE)], [], new Map()))).reason).toBe(
      "AccessIndeterminate",
    );
    const groupDeny = deny(RG_SCOPE, { principals: [{ id: "g", type: "Group" }] });
    const c = accessCondition(ok(evaluate([assign(NETWORK_CONTRIBUTOR, VNET_SCOPE)], [groupDeny])));
    expect([c.status, c.reason]).toEqual(["Unknown", "AccessIndeterminate"]);
    expect(c.message).toContain(groupDeny.id);
  });

  it("operator-identity mode says whose identity was checked and how to check Karpenter's", () => {
    const granted = evaluateSelfAccess({
      subnet: SUBNET,
      permissions: [{ actions: ["Microsoft.Network/virtualNetworks/subnets/*"], notActions: ["*/write", "*/delete"] }],
    });
    const c = accessCondition(ok(granted));
    expect([c.status, c.reason]).toEqual(["True", "AccessGranted"]);
    expect(c.message).toContain("operator's own identity");
    expect(c.message).toContain("assumes Karpenter uses the same identity");
    expect(c.message).toContain("--karpenter-principal-id");
    const denied = accessCondition(
      ok(evaluateSelfAccess({ subnet: SUBNET, permissions: [{ actions: ["*/read"], notActions: [] }] })),
    );
    expect([denied.status, denied.reason]).toEqual(["False", "JoinDenied"]);
    expect(denied.message).toContain("--karpenter-principal-id");
  });
});

describe("SubnetAccess condition without an evaluation", () => {
  const failure: AzureFailure = {
    kind: "throttled",
    statusCode: 429,
    code: "SubscriptionRequestsThrottled",
    message:
      "Too many requests. Retry after 17 seconds. Correlation ID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0. Timestamp: 2025-01-02T03:04:05.678Z",
    retryAfterSeconds: 17,
  };

  it("unavailable → Unknown AzureUnavailable with the cause and the last known result, no moving numbers", () => {
    const last = evaluate([assign(KARPENTER_SUBNET_ROLE, SUBNET.id)]);
    const c = accessCondition({ kind: "unavailable", failure, last, since: 1_700_000_000_000 });
    expect([c.status, c.reason]).toEqual(["Unknown", "AzureUnavailable"]);
    expect(c.message).toContain("throttled");
    expect(c.message).toContain("SubscriptionRequestsThrottled");
    expect(c.message).toContain("last known: granted");
    expect(c.message).not.toMatch(/17|2025|0f1e2d3c|1700000000000/);
    const noLast = accessCondition({ kind: "unavailable", failure, since: 1 });
    expect(noLast.message).toContain("no earlier result");
  });

  it("forbidden → Unknown AccessCheckForbidden telling the user to grant Reader", () => {
    const c = accessCondition({ kind: "forbidden", message: "AuthorizationFailed" }, SUBNET);
    expect([c.status, c.reason]).toEqual(["Unknown", "AccessCheckForbidden"]);
    expect(c.message).toContain("Microsoft.Authorization/roleAssignments/read");
    expect(c.message).toContain(`--role Reader --scope ${SUBNET.id}`);
  });

  it("disabled → True AccessNotChecked saying how to enable it; pending → Unknown AwaitingAzure", () => {
    const d = accessCondition({ kind: "disabled" });
    expect([d.status, d.reason]).toEqual(["True", "AccessNotChecked"]);
    expect(d.message).toContain("--karpenter-principal-id");
    expect(accessCondition({ kind: "pending" })).toMatchObject({ status: "Unknown", reason: "AwaitingAzure" });
  });

  it("every reason matches the CRD's reason pattern", () => {
    for (const reason of Object.values(AccessReason)) expect(reason).toMatch(REASON);
  });

  it("stableAzureMessage drops timestamps and request IDs but keeps the cause", () => {
    expect(
      stableAzureMessage(
        "The client 'x' lacks access. Request ID: 01234567-89ab-cdef-0123-456789abcdef 2024-05-06T07:08:09Z",
      ),
    ).toBe("The client 'x' lacks access.");
  });
});

describe("condition properties", () => {
  const verdict = fc.constantFrom("granted", "denied", "conditional", "unknown" as const);
  const action = (v: "granted" | "denied" | "conditional" | "unknown", denyId: boolean) => ({
    action: "a",
    verdict: v,
    grantedBy: v === "granted" ? ["ra"] : [],
    deniedBy: denyId && v === "denied" ? ["da"] : [],
    detail: `detail ${v}.`,
  });
  const evaluation = fc
    .record({
      read: verdict,
      join: verdict,
      denyR: fc.boolean(),
      denyJ: fc.boolean(),
      mode: fc.constantFrom("karpenter-principal", "operator-identity" as const),
      approach: fc.constantFrom(
        "vnet-network-contributor",
        "subnet-custom-role",
        "subnet-conditioned-network-contributor",
        "other",
        "none" as const,
      ),
      broad: fc.array(fc.constantFrom("x via role 'Owner' at /"), { maxLength: 2 }),
    })
    .map((r): AccessEvaluation => ({
      principalId: r.mode === "karpenter-principal" ? KARPENTER : undefined,
      mode: r.mode,
      read: action(r.read, r.denyR),
      join: action(r.join, r.denyJ),
      approach: r.approach,
      broadGrants: r.broad,
    }));

  it("status follows the verdicts: True iff both granted, False iff one is denied", () => {
    fc.assert(
      fc.property(evaluation, (e) => {
        const c = accessCondition(ok(e));
        expect(c.reason).toMatch(REASON);
        const verdicts = [e.read.verdict, e.join.verdict];
        const expected = verdicts.every((v) => v === "granted")
          ? "True"
          : verdicts.includes("denied")
            ? "False"
            : "Unknown";
        expect(c.status).toBe(expected);
        if (e.mode === "operator-identity") expect(c.message).toContain("--karpenter-principal-id");
      }),
    );
  });
});
