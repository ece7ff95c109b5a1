import { describe, expect, it } from "vitest";
import { evaluateDrift, nodesOutsideSubnet, type DriftInput } from "./drift.js";
import { evaluateExistence } from "./existence.js";
import { resolveSubnet } from "./resolve-subnet.js";
import { T0, THRESHOLDS, okVnet, snapshot, subnetId, subnetProps } from "./test-fixtures.js";
import type { NodeAddress, StoredCondition, SubnetHealthStatus, VNetObservation } from "./types.js";

const A = subnetId("a");
const B = subnetId("b");
const aVnet = okVnet([
  subnetProps("a", { addressPrefixes: ["10.1.0.0/24"] }),
  subnetProps("b", { addressPrefixes: ["10.2.0.0/24"] }),
]);
const inA: NodeAddress = { name: "node-a", internalIPs: ["10.1.0.4"] };
const inB: NodeAddress = { name: "node-b", internalIPs: ["10.2.0.4"] };

interface Case {
  spec?: string;
  defaultID?: string;
  vnet?: VNetObservation;
  previous?: SubnetHealthStatus;
  previousStable?: Pick<StoredCondition, "status" | "reason" | "message">;
  nodes?: NodeAddress[];
}

function drift(c: Case) {
  const settings = { defaultSubnetID: c.defaultID, allowedSubscriptions: undefined, thresholds: THRESHOLDS };
  const resolution = resolveSubnet(
    { name: "nc", uid: "u", generation: 1, vnetSubnetID: c.spec, maxPods: undefined },
    settings,
  );
  const vnet = "vnet" in c ? c.vnet : aVnet;
  const input: DriftInput = {
    resolution,
    existence: evaluateExistence(resolution, vnet, undefined),
    previous: c.previous,
    previousStable:
      c.previousStable !== undefined
        ? { type: "aks-subnet-health.io/SubnetStable", lastTransitionTime: "2026-01-01T00:00:00Z", ...c.previousStable }
        : undefined,
    nodes: c.nodes ?? [],
    defaultSubnetID: c.defaultID,
  };
  return evaluateDrift(input);
}

const validMemory = (id: string, prefixes: string[], source: "spec" | "default" = "spec"): SubnetHealthStatus => ({
  subnetID: id,
  source,
  lastSubnetID: id.toLowerCase(),
  lastSubnetValid: true,
  lastValidSubnetID: id.toLowerCase(),
  lastPrefixes: prefixes,
});

describe("drift classification", () => {
  const table: Array<[string, Case, string[], string, string, string[]]> = [
    // name, case, kinds, status, reason, event reasons
    ["first evaluation, nodes inside", { spec: A, nodes: [inA] }, [], "True", "SubnetStable", []],
    ["unchanged", { spec: A, nodes: [inA], previous: validMemory(A, ["10.1.0.0/24"]) }, [], "True", "SubnetStable", []],
    [
      "case-only change is no change",
      {
        spec: A.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"),
        vnet: okVnet([subnetProps("A", { addressPrefixes: ["10.1.0.0/24"] })]),
        nodes: [inA],
        previous: validMemory(A, ["10.1.0.0/24"]),
      },
      [],
      "True",
      "SubnetStable",
      [],
    ],
    [
      "correction from an invalid subnet",
      {
        spec: B,
        nodes: [inB],
        previous: { subnetID: "bad", source: "spec", lastSubnetID: "bad", lastSubnetValid: false },
      },
      ["correction"],
      "True",
      "SubnetStable",
      ["Normal:SubnetCorrected"],
    ],
    [
      "correction from a subnet that was not found",
      {
        spec: B,
        nodes: [inA],
        previous: {
          subnetID: subnetId("gone"),
          source: "spec",
          lastSubnetID: subnetId("gone").toLowerCase(),
          lastSubnetValid: false,
          lastValidSubnetID: A.toLowerCase(),
          lastPrefixes: ["10.1.0.0/24"],
        },
      },
      ["correction", "nodes-outside"],
      "False",
      "NodesOutsideSubnet",
      ["Normal:SubnetCorrected"],
    ],
    [
      "correction from nothing configured",
      { spec: B, previous: { subnetID: undefined, source: "default", lastSubnetValid: false } },
      ["correction"],
      "True",
      "SubnetStable",
      ["Normal:SubnetCorrected"],
    ],
    [
      "migration between valid subnets, nodes still in the old one",
      { spec: B, nodes: [inA, inB], previous: validMemory(A, ["10.1.0.0/24"]) },
      ["migration", "nodes-outside"],
      "False",
      "SubnetMigration",
      ["Normal:SubnetMigration"],
    ],
    [
      "migration with no nodes left outside is immediately stable",
      { spec: B, nodes: [inB], previous: validMemory(A, ["10.1.0.0/24"]) },
      ["migration"],
      "True",
      "SubnetStable",
      ["Normal:SubnetMigration"],
    ],
    [
      "default subnet changed while the spec is unset",
      { defaultID: B, nodes: [inA], previous: validMemory(A, ["10.1.0.0/24"], "default") },
      ["default-changed", "nodes-outside"],
      "False",
      "DefaultSubnetChanged",
      ["Normal:DefaultSubnetChanged"],
    ],
    [
      "spec set to a new subnet where the default was in use is a migration",
      { spec: B, defaultID: A, nodes: [inA], previous: validMemory(A, ["10.1.0.0/24"], "default") },
      ["migration", "nodes-outside"],
      "False",
      "SubnetMigration",
      ["Normal:SubnetMigration"],
    ],
    [
      "prefixes changed",
      { spec: A, nodes: [inA], previous: validMemory(A, ["10.1.0.0/25"]) },
      ["prefix-changed"],
      "True",
      "SubnetStable",
      ["Normal:SubnetPrefixesChanged"],
    ],
    [
      "subnet deleted after being healthy",
      { spec: subnetId("c"), vnet: aVnet, previous: validMemory(subnetId("c"), ["10.3.0.0/24"]) },
      ["subnet-deleted"],
      "False",
      "SubnetDeleted",
      ["Normal:SubnetDeleted"],
    ],
    [
      "subnet still deleted on the next poll: no second event",
      {
        spec: subnetId("c"),
        vnet: aVnet,
        previous: { ...validMemory(subnetId("c"), ["10.3.0.0/24"]), lastSubnetValid: false },
      },
      ["subnet-deleted"],
      "False",
      "SubnetDeleted",
      [],
    ],
    [
      "nodes outside without any subnet change",
      { spec: A, nodes: [inA, inB, { name: "no-ip", internalIPs: [] }], previous: validMemory(A, ["10.1.0.0/24"]) },
      ["nodes-outside"],
      "False",
      "NodesOutsideSubnet",
      [],
    ],
    [
      "a typo after a valid subnet is not a migration (SubnetFound reports it)",
      { spec: "/subscriptions/typo", nodes: [inA], previous: validMemory(A, ["10.1.0.0/24"]) },
      [],
      "Unknown",
      "SubnetUnavailable",
      [],
    ],
    [
      "fixing the typo back to the valid subnet is a correction",
      {
        spec: A,
        nodes: [inA],
        previous: { ...validMemory(A, ["10.1.0.0/24"]), lastSubnetID: "/subscriptions/typo", lastSubnetValid: false },
      },
      ["correction"],
      "True",
      "SubnetStable",
      ["Normal:SubnetCorrected"],
    ],
    [
      "Azure pending and no memory",
      { spec: A, vnet: { kind: "pending" }, nodes: [inA] },
      [],
      "Unknown",
      "StabilityUnknown",
      [],
    ],
    [
      "Azure unavailable, no memory, last good snapshot: judged on last known prefixes",
      {
        spec: A,
        vnet: {
          kind: "unavailable",
          failure: { kind: "timeout", message: "t" },
          lastGood: snapshot([subnetProps("a", { addressPrefixes: ["10.1.0.0/24"] })]),
          since: T0,
        },
        nodes: [inB],
      },
      ["nodes-outside"],
      "False",
      "NodesOutsideSubnet",
      [],
    ],
    ["invalid subnet ID", { spec: "nope", vnet: undefined, nodes: [inA] }, [], "Unknown", "SubnetUnavailable", []],
  ];
  it.each(table)("%s", (_, c, kinds, status, reason, events) => {
    const out = drift(c);
    expect(out.kinds).toEqual(kinds);
    expect(out.condition).toMatchObject({ status, reason });
    expect(out.events.map((e) => `${e.type}:${e.reason}`)).toEqual(events);
  });
});

describe("migration persists until the nodes are inside the new subnet", () => {
  const migrating = { status: "False" as const, reason: "SubnetMigration", message: "m" };
  it("stays SubnetMigration while nodes are outside, with no new event; the migration kind stays too", () => {
    const out = drift({
      spec: B,
      nodes: [inA, inB],
      previous: validMemory(B, ["10.2.0.0/24"]),
      previousStable: migrating,
    });
    expect(out.condition.reason).toBe("SubnetMigration");
    expect(out.events).toEqual([]);
    expect(out.kinds).toEqual(["migration", "nodes-outside"]);
  });
  it("a default change stays in progress the same way", () => {
    const out = drift({
      defaultID: B,
      nodes: [inA],
      previous: validMemory(B, ["10.2.0.0/24"], "default"),
      previousStable: { status: "False", reason: "DefaultSubnetChanged", message: "d" },
    });
    expect(out.condition.reason).toBe("DefaultSubnetChanged");
    expect(out.kinds).toEqual(["default-changed", "nodes-outside"]);
  });
  it("message does not change as nodes are replaced", () => {
    const one = drift({
      spec: B,
      nodes: [inA, inB],
      previous: validMemory(B, ["10.2.0.0/24"]),
      previousStable: migrating,
    });
    const two = drift({
      spec: B,
      nodes: [inA, { name: "other-a", internalIPs: ["10.1.0.9"] }],
      previous: validMemory(B, ["10.2.0.0/24"]),
      previousStable: migrating,
    });
    expect(two.condition.message).toBe(one.condition.message);
  });
  it("returns to True SubnetStable once no node is outside, and the migration kind ends", () => {
    const out = drift({ spec: B, nodes: [inB], previous: validMemory(B, ["10.2.0.0/24"]), previousStable: migrating });
    expect(out.condition).toMatchObject({ status: "True", reason: "SubnetStable" });
    expect(out.kinds).toEqual([]);
  });
  it("keeps the previous verdict when Azure cannot be asked", () => {
    const out = drift({
      spec: B,
      vnet: { kind: "unavailable", failure: { kind: "throttled", message: "x" }, since: T0 },
      nodes: [inA],
      previous: validMemory(B, ["10.2.0.0/24"]),
      previousStable: migrating,
    });
    expect(out.condition).toMatchObject({ status: "False", reason: "SubnetMigration" });
    expect(out.kinds).toEqual(["migration"]);
  });
});

describe("next memory", () => {
  it("records a valid subnet with its prefixes and the default in force", () => {
    const out = drift({ defaultID: A, nodes: [inA] });
    expect(out.memory).toEqual({
      lastSubnetID: A.toLowerCase(),
      lastSubnetValid: true,
      lastValidSubnetID: A.toLowerCase(),
      lastPrefixes: ["10.1.0.0/24"],
      lastDefaultSubnetID: A.toLowerCase(),
    });
  });
  it("an invalid subnet keeps the last valid one and its prefixes", () => {
    const out = drift({ spec: subnetId("missing"), previous: validMemory(A, ["10.1.0.0/24"]) });
    expect(out.memory).toMatchObject({
      lastSubnetID: subnetId("missing").toLowerCase(),
      lastSubnetValid: false,
      lastValidSubnetID: A.toLowerCase(),
      lastPrefixes: ["10.1.0.0/24"],
    });
  });
  it("an unreadable (403) subnet counts as not valid", () => {
    const out = drift({ spec: A, vnet: { kind: "forbidden", message: "m", observedAt: T0 } });
    expect(out.memory.lastSubnetValid).toBe(false);
  });
  it("Azure unavailable for the same subnet keeps the earlier validity", () => {
    const out = drift({
      spec: A,
      vnet: { kind: "unavailable", failure: { kind: "timeout", message: "t" }, since: T0 },
      previous: validMemory(A, ["10.1.0.0/24"]),
    });
    expect(out.memory.lastSubnetValid).toBe(true);
  });
});

describe("nodesOutsideSubnet", () => {
  it("counts nodes whose InternalIPs are all outside, ignores nodes without IPs, and is sorted", () => {
    const nodes: NodeAddress[] = [
      { name: "z", internalIPs: ["10.9.0.1"] },
      { name: "dual-inside", internalIPs: ["fd00::1", "10.1.0.5"] },
      { name: "v6-only", internalIPs: ["fd00::1"] },
      { name: "none", internalIPs: [] },
      { name: "garbage", internalIPs: ["not-an-ip"] },
    ];
    expect(nodesOutsideSubnet(nodes, ["10.1.0.0/24"])).toEqual(["v6-only", "z"]);
  });
  it("names at most 5 nodes in the condition", () => {
    const nodes = Array.from({ length: 7 }, (_, i) => ({ name: `n${i}`, internalIPs: ["10.9.0.1"] }));
    const out = drift({ spec: A, nodes });
    expect(out.nodesOutside).toBe(7);
    expect(out.condition.message).toContain("n0, n1, n2, n3, n4 and 2 more");
  });
});
