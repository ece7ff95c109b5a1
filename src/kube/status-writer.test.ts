import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import type { ConditionResult } from "../health/types.js";
import { mergeConditions, SubnetHealthMemory, writeConditions, type StatusApi } from "./status-writer.js";

const T0 = "2026-01-01T00:00:00Z";
const NOW = "2026-02-02T12:00:00Z";

const karpenterReady = {
  type: "Ready",
  status: "True",
  reason: "Ready",
  message: "",
  lastTransitionTime: "2025-12-01T10:00:00Z",
  observedGeneration: 3,
};
// odd key order and an extra field: must come back exactly as read
const karpenterSubnets = {
  reason: "SubnetsReady",
  lastTransitionTime: "2025-12-01T09:59:59Z",
  status: "True",
  type: "SubnetsReady",
  message: "",
  extra: { nested: [1, 2] },
};

const found = (status: ConditionResult["status"], reason = "SubnetFound", message = "ok"): ConditionResult => ({
  type: ConditionType.SubnetFound,
  status,
  reason,
  message,
});
const capacity: ConditionResult = {
  type: ConditionType.SubnetCapacity,
  status: "True",
  reason: "Sufficient",
  message: "",
};

describe("mergeConditions", () => {
  it("keeps foreign conditions byte-for-byte and in place", () => {
    const existing = [
      karpenterReady,
      {
        type: ConditionType.SubnetFound,
        status: "True",
        reason: "SubnetFound",
        message: "ok",
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
      karpenterSubnets,
    ];
    const before = JSON.stringify(existing);
    const { conditions } = mergeConditions(existing, [found("False", "SubnetNotFound", "gone")], 2, NOW);
    expect(JSON.stringify(existing)).toBe(before);
    expect(JSON.stringify(conditions[0])).toBe(JSON.stringify(karpenterReady));
    expect(JSON.stringify(conditions[2])).toBe(JSON.stringify(karpenterSubnets));
    expect(conditions).toHaveLength(3);
  });

  it("keeps lastTransitionTime when only reason or message change", () => {
    const existing = [
      {
        type: ConditionType.SubnetFound,
        status: "True",
        reason: "SubnetFound",
        message: "ok",
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
    ];
    const r = mergeConditions(existing, [found("True", "SubnetFoundViaDefault", "different")], 1, NOW);
    expect(r.changed).toBe(true);
    expect(r.conditions[0]).toMatchObject({
      reason: "SubnetFoundViaDefault",
      message: "different",
      lastTransitionTime: T0,
    });
  });

  it("sets lastTransitionTime to now when the status flips", () => {
    const existing = [
      {
        type: ConditionType.SubnetFound,
        status: "True",
        reason: "SubnetFound",
        message: "ok",
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
    ];
    const r = mergeConditions(existing, [found("False", "SubnetNotFound", "gone")], 1, NOW);
    expect(r.changed).toBe(true);
    expect(r.conditions[0]).toEqual({
      type: ConditionType.SubnetFound,
      status: "False",
      reason: "SubnetNotFound",
      message: "gone",
      lastTransitionTime: NOW,
      observedGeneration: 1,
    });
  });

  it("reports no change when ours are already as desired", () => {
    const existing = [
      karpenterReady,
      {
        type: ConditionType.SubnetFound,
        status: "True",
        reason: "SubnetFound",
        message: "ok",
        lastTransitionTime: T0,
        observedGeneration: 4,
      },
    ];
    const r = mergeConditions(existing, [found("True")], 4, NOW);
    expect(r.changed).toBe(false);
    expect(r.conditions).toEqual(existing);
  });

  it("treats a new observedGeneration alone as a change, keeping the transition time", () => {
    const existing = [
      {
        type: ConditionType.SubnetFound,
        status: "True",
        reason: "SubnetFound",
        message: "ok",
        lastTransitionTime: T0,
        observedGeneration: 4,
      },
    ];
    const r = mergeConditions(existing, [found("True")], 5, NOW);
    expect(r.changed).toBe(true);
    expect(r.conditions[0]).toMatchObject({ observedGeneration: 5, lastTransitionTime: T0 });
  });

  it("adds new conditions with now and removes stale ones of ours, never foreign ones", () => {
    const staleOurs = {
      type: ConditionType.SubnetStable,
      status: "True",
      reason: "Stable",
      message: "",
      lastTransitionTime: T0,
    };
    const foreignLookalike = {
      type: "other.io/SubnetStable",
      status: "True",
      reason: "X",
      message: "",
      lastTransitionTime: T0,
    };
    const r = mergeConditions([staleOurs, foreignLookalike, karpenterReady], [capacity], 1, NOW);
    expect(r.changed).toBe(true);
    expect(r.conditions).toEqual([
      foreignLookalike,
      karpenterReady,
      { ...capacity, lastTransitionTime: NOW, observedGeneration: 1 },
    ]);
  });

  it("refuses to write a type without our prefix", () => {
    expect(() =>
      mergeConditions(
        [],
        [{ type: "Ready" as ConditionResult["type"], status: "True", reason: "Ready", message: "" }],
        1,
        NOW,
      ),
    ).toThrow(/prefix/);
  });
});

/** An in-memory AKSNodeClass /status endpoint with resourceVersion checks. */
class FakeStatusApi implements StatusApi {
  rv = 1;
  exists = true;
  gets = 0;
  patches: unknown[] = [];
  status: Record<string, unknown> = { conditions: [karpenterReady] };
  /** hook run after a GET returns: lets a test write "between our GET and PATCH" */
  afterGet: (() => void) | undefined;
  pruneSubnetHealth = false;

  private obj(): Record<string, unknown> {
    return JSON.parse(
      JSON.stringify({
        metadata: { name: "nc", resourceVersion: String(this.rv), generation: 3 },
        spec: {},
        status: this.status,
      }),
    ) as Record<string, unknown>;
  }
  async getClusterCustomObject(): Promise<unknown> {
    this.gets++;
    if (!this.exists) throw Object.assign(new Error("not found"), { code: 404 });
    const o = this.obj();
    const hook = this.afterGet;
    this.afterGet = undefined;
    hook?.();
    return o;
  }
  async patchClusterCustomObjectStatus(param: { body: unknown }): Promise<unknown> {
    if (!this.exists) throw Object.assign(new Error("not found"), { code: 404 });
    const body = param.body as { metadata: { resourceVersion: string }; status: Record<string, unknown> };
    if (body.metadata.resourceVersion !== String(this.rv)) throw Object.assign(new Error("conflict"), { code: 409 });
    this.patches.push(body);
    const next = { ...this.status, ...body.status };
    if (this.pruneSubnetHealth) delete next.subnetHealth;
    this.status = JSON.parse(JSON.stringify(next)) as Record<string, unknown>;
    this.rv++;
    return this.obj();
  }
}

const noWait = {
  clock: {
    now: () => Date.parse(NOW),
    setTimeout: (fn: () => void) => (fn(), setTimeout(() => undefined, 0)),
    clearTimeout: () => undefined,
  },
};

describe("writeConditions", () => {
  it("patches once and then reports no write for the same desired state", async () => {
    const api = new FakeStatusApi();
    const desired = {
      conditions: [found("True"), capacity],
      subnetHealth: { subnetID: "/x", source: "spec" },
      observedGeneration: 3,
    };
    const first = await writeConditions(api, "nc", desired, { ...noWait, memory: new SubnetHealthMemory() });
    expect(first).toMatchObject({ written: true, attempts: 1, conflicts: 0, resourceVersion: "2" });
    expect(api.status.conditions).toEqual([
      karpenterReady,
      { ...found("True"), lastTransitionTime: NOW, observedGeneration: 3 },
      { ...capacity, lastTransitionTime: NOW, observedGeneration: 3 },
    ]);
    const second = await writeConditions(api, "nc", desired, { ...noWait, memory: new SubnetHealthMemory() });
    expect(second).toMatchObject({ written: false, resourceVersion: "2" });
    expect(api.patches).toHaveLength(1);
  });

  it("re-reads on 409 and keeps the condition another writer added meanwhile", async () => {
    const api = new FakeStatusApi();
    const karpenterWrite = {
      type: "SubnetsReady",
      status: "False",
      reason: "SubnetNotFound",
      message: "resource not found",
      lastTransitionTime: T0,
    };
    api.afterGet = () => {
      api.status = { conditions: [karpenterReady, karpenterWrite] };
      api.rv++;
    };
    const r = await writeConditions(
      api,
      "nc",
      { conditions: [found("False", "SubnetNotFound", "gone")], observedGeneration: 3 },
      noWait,
    );
    expect(r).toMatchObject({ written: true, attempts: 2, conflicts: 1 });
    expect(api.status.conditions).toEqual([
      karpenterReady,
      karpenterWrite,
      { ...found("False", "SubnetNotFound", "gone"), lastTransitionTime: NOW, observedGeneration: 3 },
    ]);
  });

  it("with a current cached copy a write is one PATCH and no GET; nothing changed is no request at all", async () => {
    const api = new FakeStatusApi();
    const cached = await api.getClusterCustomObject();
    api.gets = 0;
    const desired = { conditions: [found("True"), capacity], observedGeneration: 3 };
    const first = await writeConditions(api, "nc", desired, { ...noWait, current: cached });
    expect(first).toMatchObject({ written: true, conflicts: 0, requests: { get: 0, patch: 1 } });
    expect(api.gets).toBe(0);
    expect(api.patches).toHaveLength(1);
    // the copy the server returned is current: the same desired state costs nothing
    const again = await writeConditions(api, "nc", desired, { ...noWait, current: first.stored });
    expect(again).toMatchObject({ written: false, requests: { get: 0, patch: 0 } });
  });

  it("a cached copy behind the server costs one 409, one GET and one retried PATCH", async () => {
    const api = new FakeStatusApi();
    const stale = await api.getClusterCustomObject();
    api.gets = 0;
    // Karpenter writes after our cache last saw the object
    const karpenterWrite = {
      type: "SubnetsReady",
      status: "True",
      reason: "Ready",
      message: "",
      lastTransitionTime: T0,
    };
    api.status = { conditions: [karpenterReady, karpenterWrite] };
    api.rv++;
    const r = await writeConditions(
      api,
      "nc",
      { conditions: [capacity], observedGeneration: 3 },
      { ...noWait, current: stale },
    );
    expect(r).toMatchObject({ written: true, attempts: 2, conflicts: 1, requests: { get: 1, patch: 2 } });
    expect(api.patches).toHaveLength(1);
    expect(api.status.conditions).toEqual([
      karpenterReady,
      karpenterWrite,
      { ...capacity, lastTransitionTime: NOW, observedGeneration: 3 },
    ]);
  });

  it("gives up with context after the attempt budget", async () => {
    const api = new FakeStatusApi();
    api.patchClusterCustomObjectStatus = async () => {
      throw Object.assign(new Error("conflict"), { code: 409 });
    };
    await expect(
      writeConditions(api, "nc-busy", { conditions: [capacity], observedGeneration: 1 }, { ...noWait, maxAttempts: 3 }),
    ).rejects.toThrow(/nc-busy.*3 attempts, 3 resourceVersion conflicts/);
  });

  it("reports a deleted object as gone without writing", async () => {
    const api = new FakeStatusApi();
    api.exists = false;
    await expect(
      writeConditions(api, "nc", { conditions: [capacity], observedGeneration: 1 }, noWait),
    ).resolves.toEqual({ written: false, gone: true, attempts: 1, conflicts: 0, requests: { get: 1, patch: 0 } });
  });

  it("wraps other errors with the nodeclass and operation", async () => {
    const api = new FakeStatusApi();
    api.patchClusterCustomObjectStatus = async () => {
      throw Object.assign(new Error("Unprocessable"), {
        code: 422,
        body: JSON.stringify({ message: "status.conditions[1].reason: Invalid value" }),
      });
    };
    await expect(
      writeConditions(api, "nc-x", { conditions: [capacity], observedGeneration: 1 }, noWait),
    ).rejects.toThrow(
      "status write for aksnodeclass nc-x: PATCH /status failed: HTTP 422: status.conditions[1].reason: Invalid value",
    );
  });

  it("stops sending subnetHealth once the server prunes it, so it never rewrites forever", async () => {
    const api = new FakeStatusApi();
    api.pruneSubnetHealth = true;
    const memory = new SubnetHealthMemory();
    const warnings: string[] = [];
    const log = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (_o: object, m?: string) => void warnings.push(m ?? ""),
    };
    const desired = { conditions: [capacity], subnetHealth: { subnetID: "/x", source: "spec" }, observedGeneration: 1 };
    expect((await writeConditions(api, "nc", desired, { ...noWait, memory, log })).written).toBe(true);
    expect((await writeConditions(api, "nc", desired, { ...noWait, memory, log })).written).toBe(false);
    expect(
      (
        await writeConditions(
          api,
          "nc",
          { ...desired, subnetHealth: { subnetID: "/y", source: "spec" } },
          { ...noWait, memory, log },
        )
      ).written,
    ).toBe(false);
    expect(api.patches).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    // conditions still get written
    expect(
      (await writeConditions(api, "nc", { ...desired, conditions: [found("True")] }, { ...noWait, memory, log }))
        .written,
    ).toBe(true);
    expect(JSON.stringify(api.patches[1])).not.toContain("subnetHealth");
  });

  it("does not rewrite when the server prunes only part of subnetHealth", async () => {
    const api = new FakeStatusApi();
    const memory = new SubnetHealthMemory();
    const realPatch = api.patchClusterCustomObjectStatus.bind(api);
    api.patchClusterCustomObjectStatus = async (param) => {
      const body = structuredClone(param.body) as { status: { subnetHealth?: Record<string, unknown> } };
      // an older CRD that lacks `lastPrefixes`
      if (body.status.subnetHealth) delete body.status.subnetHealth.lastPrefixes;
      return realPatch({ ...param, body });
    };
    const desired = {
      conditions: [capacity],
      subnetHealth: { subnetID: "/x", source: "spec", lastPrefixes: ["10.0.0.0/24"] },
      observedGeneration: 1,
    };
    expect((await writeConditions(api, "nc", structuredClone(desired), { ...noWait, memory })).written).toBe(true);
    expect((await writeConditions(api, "nc", structuredClone(desired), { ...noWait, memory })).written).toBe(false);
    // a real change is still written
    expect(
      (
        await writeConditions(
          api,
          "nc",
          { ...structuredClone(desired), subnetHealth: { subnetID: "/y", source: "spec" } },
          { ...noWait, memory },
        )
      ).written,
    ).toBe(true);
  });
});
