import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConditionType, type OurConditionType } from "../domain.js";
import { CapacityReason } from "./capacity.js";
import { DriftEventReason, DriftReason } from "./drift.js";
import { conditionsEqual, CONDITION_ORDER, evaluateNodeClass, transitionEvents } from "./evaluate.js";
import { ExistenceReason } from "./existence.js";
import { NetworkPlanReason } from "./network-plan.js";
import { SummaryReason } from "./summary.js";
import { T0, THRESHOLDS, network, okVnet, snapshot, subnetId, subnetProps } from "./test-fixtures.js";
import type {
  AccessObservation,
  ClusterNetworkObservation,
  ConditionResult,
  EvaluationInput,
  EvaluationResult,
  StoredCondition,
  VNetObservation,
} from "./types.js";

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const A = subnetId("a");

function input(over: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    nodeClass: { name: "default", uid: "u1", generation: 3, vnetSubnetID: A, maxPods: undefined },
    settings: { defaultSubnetID: undefined, allowedSubscriptions: undefined, thresholds: THRESHOLDS },
    vnet: okVnet([subnetProps("a", { usage: { limit: 251, used: 11 } })]),
    access: { kind: "disabled" },
    network: { kind: "ok", network: network(), fetchedAt: T0 },
    peers: [],
    nodes: [{ name: "n1", internalIPs: ["10.1.0.4"] }],
    previous: { conditions: [], subnetHealth: undefined },
    now: T0 + 1000,
    ...over,
  };
}

const byType = (r: EvaluationResult, t: string): ConditionResult => {
  const c = r.conditions.find((x) => x.type === t);
  if (c === undefined) throw new Error(`missing ${t}`);
  return c;
};
const stored = (r: EvaluationResult): StoredCondition[] =>
  r.conditions.map((c) => ({ ...c, lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 3 }));
const next = (prev: EvaluationResult, over: Partial<EvaluationInput>): EvaluationInput =>
  input({ previous: { conditions: stored(prev), subnetHealth: prev.subnetHealth }, ...over });

describe("evaluateNodeClass", () => {
  it("a malformed ID: access is not checked (nothing to ask Azure about), not 'waiting for Azure'", () => {
    const r = evaluateNodeClass(
      input({
        nodeClass: {
          name: "bad",
          uid: "u",
          generation: 1,
          vnetSubnetID: "/subscriptions/not-a-guid",
          maxPods: undefined,
        },
        vnet: undefined,
        access: { kind: "pending" },
      }),
    );
    expect(byType(r, ConditionType.SubnetFound).reason).toBe(ExistenceReason.SubnetIDInvalid);
    expect(byType(r, ConditionType.SubnetAccess)).toMatchObject({
      status: "Unknown",
      reason: "AccessNotCheckedNoSubnet",
      message: expect.stringContaining("the subnet ID is not valid") as unknown,
    });
    expect(byType(r, ConditionType.SubnetReady)).toMatchObject({ status: "False", reason: "SubnetIDInvalid" });
  });

  it("healthy: seven conditions in a fixed order, numbers and memory in status, no events", () => {
    const r = evaluateNodeClass(input());
    expect(r.conditions.map((c) => c.type)).toEqual([...CONDITION_ORDER]);
    expect(r.conditions.map((c) => `${c.status}:${c.reason}`)).toEqual([
      "True:SubnetReady",
      "True:SubnetFound",
      "True:AccessNotChecked",
      "True:CapacitySufficient",
      "True:NetworkPlanRecommended",
      "True:ConnectivityChecked",
      "True:SubnetStable",
    ]);
    expect(r.subnetHealth).toEqual({
      subnetID: A,
      source: "spec",
      freeIPs: 240,
      totalIPs: 251,
      usedIPs: 11,
      nodeHeadroom: 240,
      dataTime: "2026-01-02T03:04:05Z",
      lastSubnetID: A.toLowerCase(),
      lastSubnetValid: true,
      lastValidSubnetID: A.toLowerCase(),
      lastPrefixes: ["10.1.0.0/24"],
    });
    expect(r.metrics).toEqual({
      subnetCanonical: A.toLowerCase(),
      ips: { total: 251, used: 11, available: 240, fetchedAt: T0 },
      source: "spec",
      nodeHeadroom: 240,
      access: {},
      cidrConflicts: {},
      drift: {},
      nodesOutsideSubnet: 0,
      // no outbound type and no cluster subnet known: those two checks are skipped, not failed
      connectivity: { outbound: "skipped", nsg: "pass", routes: "pass", parity: "skipped" },
    });
    expect(r.events).toEqual([]);
    expect(r.subnet?.canonical).toBe(A.toLowerCase());
  });

  it("Unknown is not False: Azure unavailable with a last good snapshot keeps numbers and their time", () => {
    const vnet: VNetObservation = {
      kind: "unavailable",
      failure: { kind: "throttled", statusCode: 429, code: "SubscriptionRequestsThrottled", message: "x" },
      lastGood: snapshot([subnetProps("a", { usage: { limit: 251, used: 11 } })], { fetchedAt: T0 - 600_000 }),
      since: T0,
    };
    const first = evaluateNodeClass(input());
    const r = evaluateNodeClass(next(first, { vnet }));
    expect(byType(r, ConditionType.SubnetFound)).toMatchObject({ status: "Unknown", reason: "AzureUnavailable" });
    expect(byType(r, ConditionType.SubnetFound).message).toContain("Last known: subnet existed");
    expect(byType(r, ConditionType.SubnetCapacity).status).toBe("Unknown");
    expect(byType(r, ConditionType.SubnetReady)).toMatchObject({ status: "Unknown", reason: "AzureUnavailable" });
    expect(r.subnetHealth).toMatchObject({ freeIPs: 240, dataTime: "2026-01-02T02:54:05Z", lastSubnetValid: true });
    expect(r.conditions.filter((c) => c.status === "False")).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it("messages do not move with free-IP counts, so nothing needs writing", () => {
    const one = evaluateNodeClass(input());
    const two = evaluateNodeClass(next(one, { vnet: okVnet([subnetProps("a", { usage: { limit: 251, used: 37 } })]) }));
    one.conditions.forEach((c, i) => expect(conditionsEqual(c, two.conditions[i] ?? c)).toBe(true));
    expect(two.subnetHealth.freeIPs).toBe(214);
  });

  it("emits Warning on a transition into a problem, and Normal on recovery, once each", () => {
    const ok = evaluateNodeClass(input());
    const gone = evaluateNodeClass(next(ok, { vnet: okVnet([subnetProps("other")]) }));
    expect(byType(gone, ConditionType.SubnetReady)).toMatchObject({ status: "False", reason: "SubnetNotFound" });
    expect(gone.events.map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:SubnetDeleted", "Warning:SubnetNotFound"]);
    const still = evaluateNodeClass(next(gone, { vnet: okVnet([subnetProps("other")]) }));
    expect(still.events).toEqual([]);
    const back = evaluateNodeClass(next(still, {}));
    expect(back.events.map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:SubnetFound", "Normal:SubnetStable"]);
  });

  it("a migration gives one Normal event (it blocks nothing) and an advisory summary", () => {
    const first = evaluateNodeClass(input());
    const moved = evaluateNodeClass(
      next(first, {
        nodeClass: { name: "default", uid: "u1", generation: 4, vnetSubnetID: subnetId("b"), maxPods: undefined },
        vnet: okVnet([subnetProps("a"), subnetProps("b", { addressPrefixes: ["10.2.0.0/24"] })]),
      }),
    );
    expect(moved.events.map((e) => `${e.type}:${e.reason}`)).toEqual(["Normal:SubnetMigration"]);
    expect(byType(moved, ConditionType.SubnetStable)).toMatchObject({ status: "False", reason: "SubnetMigration" });
    expect(byType(moved, ConditionType.SubnetReady)).toMatchObject({ status: "True", reason: "SubnetMigration" });
    expect(moved.metrics.drift).toEqual({ migration: 1, "nodes-outside": 1 });
    expect(moved.metrics.nodesOutsideSubnet).toBe(1);
  });

  it("counts conflicts per kind and reports access verdicts in metrics", () => {
    const access: AccessObservation = {
      kind: "ok",
      fetchedAt: T0,
      evaluation: {
        principalId: "p",
        mode: "karpenter-principal",
        read: { action: "read", verdict: "granted", grantedBy: [], deniedBy: [], detail: "" },
        join: { action: "join", verdict: "denied", grantedBy: [], deniedBy: [], detail: "join denied" },
        approach: "other",
        broadGrants: [],
      },
    };
    const r = evaluateNodeClass(
      input({
        access,
        vnet: okVnet([subnetProps("a", { addressPrefixes: ["10.244.1.0/24", "169.254.1.0/24"] })]),
        nodes: [{ name: "n1", internalIPs: ["10.244.1.4"] }],
      }),
    );
    expect(r.metrics.cidrConflicts).toEqual({ pod: 1, reserved: 1 });
    expect(r.metrics.access).toEqual({ read: "granted", join: "denied" });
    expect(byType(r, ConditionType.SubnetReady)).toMatchObject({ status: "False", reason: "JoinDenied" });
  });

  it("a subnet that does not exist gives no access verdict: no denied metric, no role-assignment advice", () => {
    const access: AccessObservation = {
      kind: "ok",
      fetchedAt: T0,
      evaluation: {
        principalId: "p",
        mode: "karpenter-principal",
        read: { action: "read", verdict: "denied", grantedBy: [], deniedBy: [], detail: "read denied" },
        join: { action: "join", verdict: "denied", grantedBy: [], deniedBy: [], detail: "join denied" },
        approach: "none",
        broadGrants: [],
      },
    };
    const r = evaluateNodeClass(input({ access, vnet: okVnet([subnetProps("other")]) }));
    expect(byType(r, ConditionType.SubnetReady)).toMatchObject({ status: "False", reason: "SubnetNotFound" });
    const a = byType(r, ConditionType.SubnetAccess);
    expect(a).toMatchObject({ status: "Unknown", reason: "AccessNotCheckedNoSubnet" });
    expect(a?.message).not.toContain("az role assignment");
    expect(r.metrics.access).toEqual({});
    expect(r.events.map((e) => `${e.type}:${e.reason}`)).toEqual(["Warning:SubnetNotFound"]);
  });

  it("advisory events: Warning for what will block (IPs running low), Normal for the rest", () => {
    const cond = (type: OurConditionType, reason: string) => ({ type, status: "True" as const, reason, message: "m." });
    const events = transitionEvents(
      [],
      [cond(ConditionType.SubnetCapacity, "CapacityLow"), cond(ConditionType.SubnetAccess, "AccessBroaderThanNeeded")],
      new Set(),
    );
    expect(events.map((e) => `${e.type}:${e.reason}`)).toEqual([
      "Normal:AccessBroaderThanNeeded",
      "Warning:CapacityLow",
    ]);
  });

  it("no subnet configured: every concern still present, summary False", () => {
    const r = evaluateNodeClass(
      input({
        nodeClass: { name: "x", uid: "u", generation: 1, vnetSubnetID: undefined, maxPods: undefined },
        vnet: undefined,
      }),
    );
    expect(r.conditions).toHaveLength(7);
    expect(byType(r, ConditionType.SubnetReady)).toMatchObject({ status: "False", reason: "NoSubnetConfigured" });
    expect(r.subnetHealth).toEqual({ subnetID: undefined, source: "default", lastSubnetValid: false });
    expect(r.subnet).toBeUndefined();
  });

  it("conditionsEqual compares type, status, reason and message only", () => {
    const a: ConditionResult = { type: ConditionType.SubnetFound, status: "True", reason: "SubnetFound", message: "m" };
    const s: StoredCondition = { ...a, lastTransitionTime: "x", observedGeneration: 9 };
    expect(conditionsEqual(a, s)).toBe(true);
    expect(conditionsEqual(a, { ...a, message: "n" })).toBe(false);
    expect(conditionsEqual(a, { ...a, status: "False" })).toBe(false);
  });
});

describe("reasons", () => {
  it("every reason constant matches the CRD reason pattern", () => {
    const all = [
      ExistenceReason,
      CapacityReason,
      NetworkPlanReason,
      DriftReason,
      DriftEventReason,
      SummaryReason,
    ].flatMap((o) => Object.values(o));
    expect(all.length).toBeGreaterThan(30);
    for (const r of all) expect(r, r).toMatch(REASON);
  });

  it("every condition and event reason produced over many inputs matches the pattern", () => {
    const vnets: VNetObservation[] = [
      okVnet([subnetProps("a")]),
      okVnet([subnetProps("a", { usage: { limit: -1, used: -1 } })]),
      okVnet([subnetProps("a", { usage: { limit: 251, used: 251 } })]),
      okVnet([subnetProps("a", { usage: { limit: 251, used: 245 } })]),
      okVnet([subnetProps("a", { provisioningState: "Failed" })]),
      okVnet([subnetProps("b")]),
      { kind: "vnet-not-found", message: "m", observedAt: T0 },
      { kind: "resource-group-not-found", message: "m", observedAt: T0 },
      { kind: "subscription-not-found", message: "m", observedAt: T0 },
      { kind: "forbidden", message: "m", observedAt: T0 },
      { kind: "not-allowed", message: "m" },
      { kind: "unavailable", failure: { kind: "other", message: "m" }, since: T0 },
      {
        kind: "unavailable",
        failure: { kind: "server-error", statusCode: 503, message: "m" },
        lastGood: snapshot([subnetProps("a")]),
        since: T0,
      },
      { kind: "pending" },
    ];
    const networks: ClusterNetworkObservation[] = [
      { kind: "ok", network: network(), fetchedAt: T0 },
      { kind: "ok", network: network({ networkPlugin: "kubenet", podCidrs: ["10.1.0.0/16"] }), fetchedAt: T0 },
      { kind: "ok", network: network({ networkPlugin: "none" }), fetchedAt: T0 },
      { kind: "unknown" },
    ];
    const accesses: AccessObservation[] = [
      { kind: "disabled" },
      { kind: "pending" },
      { kind: "forbidden", message: "m" },
    ];
    const specs = [A, subnetId("b"), "bad", undefined];
    fc.assert(
      fc.property(
        fc.constantFrom(...vnets),
        fc.constantFrom(...networks),
        fc.constantFrom(...accesses),
        fc.constantFrom(...specs),
        fc.constantFrom(...specs),
        fc.constantFrom(...vnets),
        (vnet, net, access, spec, prevSpec, prevVnet) => {
          const prev = evaluateNodeClass(
            input({
              vnet: prevVnet,
              network: net,
              access,
              nodeClass: { name: "n", uid: "u", generation: 1, vnetSubnetID: prevSpec, maxPods: 30 },
            }),
          );
          const r = evaluateNodeClass(
            next(prev, {
              vnet,
              network: net,
              access,
              nodeClass: { name: "n", uid: "u", generation: 2, vnetSubnetID: spec, maxPods: 30 },
            }),
          );
          for (const c of [...prev.conditions, ...r.conditions]) expect(c.reason).toMatch(REASON);
          for (const e of [...prev.events, ...r.events]) expect(e.reason).toMatch(REASON);
          expect(r.conditions.map((c) => c.type)).toEqual([...CONDITION_ORDER]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
