import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import { conditionsKey } from "../health/conditions.js";
import type { ConditionResult, EvaluationResult, PreviousState, SubnetHealthStatus } from "../health/types.js";
import { needsVisit } from "./visit.js";
import { planWrite, retryHint, type WritePlanInput } from "./write-plan.js";

const found: ConditionResult = {
  type: ConditionType.SubnetFound,
  status: "True",
  reason: "SubnetFound",
  message: "Subnet exists.",
};
const health = (free: number, over: Partial<SubnetHealthStatus> = {}): SubnetHealthStatus => ({
  subnetID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/n",
  source: "spec",
  freeIPs: free,
  totalIPs: 251,
  usedIPs: 251 - free,
  dataTime: `2026-01-01T00:00:${String(free % 60).padStart(2, "0")}Z`,
  ...over,
});
const result = (sh: SubnetHealthStatus, conditions: ConditionResult[] = [found]): EvaluationResult => ({
  conditions,
  subnetHealth: sh,
  metrics: {
    subnetCanonical: undefined,
    source: "spec",
    nodeHeadroom: undefined,
    access: {},
    cidrConflicts: {},
    drift: {},
    nodesOutsideSubnet: undefined,
  },
  events: [],
  subnet: undefined,
});
const stored = (sh: SubnetHealthStatus | undefined, conditions: ConditionResult[] = [found]): PreviousState => ({
  conditions: conditions.map((c) => ({ ...c, lastTransitionTime: "2026-01-01T00:00:00Z" })),
  subnetHealth: sh,
});
const input = (over: Partial<WritePlanInput>): WritePlanInput => ({
  result: result(health(100)),
  previous: stored(health(100)),
  generation: 1,
  numbersWrittenAt: undefined,
  now: 1_000_000,
  numbersMinIntervalMs: 60_000,
  resyncPeriodMs: 300_000,
  vnet: undefined,
  access: { kind: "disabled" },
  ...over,
});

describe("planWrite", () => {
  it("writes the evaluation as is when a condition changed, numbers included", () => {
    const changed = { ...found, status: "False" as const, reason: "SubnetNotFound" };
    const plan = planWrite(input({ result: result(health(90), [changed]), numbersWrittenAt: 999_999 }));
    expect(plan.desired).toEqual({ conditions: [changed], subnetHealth: health(90), observedGeneration: 1 });
    expect(plan.numbersChanged).toBe(true);
    expect(plan.lookAgainAfterMs).toBeUndefined();
  });

  it("holds back numbers alone until the minimum interval passed, and says when to look again", () => {
    const plan = planWrite(input({ result: result(health(90)), numbersWrittenAt: 1_000_000 - 20_000 }));
    expect(plan.desired.subnetHealth).toEqual(health(100));
    expect(plan.numbersChanged).toBe(false);
    expect(plan.lookAgainAfterMs).toBe(40_000);
  });

  it("writes numbers alone once the interval passed", () => {
    const plan = planWrite(input({ result: result(health(90)), numbersWrittenAt: 1_000_000 - 60_000 }));
    expect(plan.desired.subnetHealth).toEqual(health(90));
    expect(plan.numbersChanged).toBe(true);
  });

  it("never writes a new dataTime on its own", () => {
    const plan = planWrite(input({ result: result(health(100, { dataTime: "2026-02-02T00:00:00Z" })) }));
    expect(plan.desired.subnetHealth).toEqual(health(100));
    expect(plan.lookAgainAfterMs).toBeUndefined();
  });

  it("looks again after Retry-After when Azure could not answer, sooner than the resync", () => {
    const failure = { kind: "throttled" as const, message: "429", retryAfterSeconds: 30 };
    expect(planWrite(input({ vnet: { kind: "unavailable", failure, since: 0 } })).lookAgainAfterMs).toBe(30_000);
    expect(
      retryHint(undefined, { kind: "unavailable", failure: { kind: "timeout", message: "t" }, since: 0 }, 300_000),
    ).toBe(15_000);
    expect(retryHint(undefined, { kind: "disabled" }, 300_000)).toBeUndefined();
  });
});

describe("needsVisit", () => {
  const obj = (generation: number, conditions: ConditionResult[]) => ({
    metadata: { name: "nc", generation },
    status: { conditions: conditions.map((c) => ({ ...c, lastTransitionTime: "2026-01-01T00:00:00Z" })) },
  });
  const record = {
    generation: 1,
    writtenKey: conditionsKey([found]),
    subnetHealth: health(1),
  };

  it("visits what it has never reconciled", () => {
    expect(needsVisit(obj(1, [found]), undefined)).toBe(true);
  });
  it("ignores the echo of its own write", () => {
    expect(needsVisit(obj(1, [found]), record)).toBe(false);
  });
  it("visits on a spec change", () => {
    expect(needsVisit(obj(2, [found]), record)).toBe(true);
  });
  it("visits when someone else changed one of our conditions", () => {
    expect(needsVisit(obj(1, [{ ...found, status: "False" }]), record)).toBe(true);
  });
});
