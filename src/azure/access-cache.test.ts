import { describe, expect, it } from "vitest";
import { KARPENTER, NETWORK_CONTRIBUTOR, READER, SUBNET, VNET_SCOPE, assign } from "../health/access/testing.js";
import type {
  DenyAssignmentData,
  PermissionData,
  RoleAssignmentData,
  RoleDefinitionData,
} from "../health/access/types.js";
import type { SubnetRef } from "../health/types.js";
import { accessObservation } from "../health/access/observe.js";
import { AccessCache } from "./access-cache.js";
import type { AuthorizationReader } from "./authorization-reader.js";
import { azureError, networkError } from "./testing.js";

class FakeAuthz implements AuthorizationReader {
  calls = { assignments: 0, definitions: [] as string[], denies: 0, permissions: 0 };
  assignments: () => Promise<RoleAssignmentData[]> = async () => [assign(NETWORK_CONTRIBUTOR, VNET_SCOPE)];
  definitions = new Map<string, RoleDefinitionData>([
    [NETWORK_CONTRIBUTOR.name, NETWORK_CONTRIBUTOR],
    [READER.name, READER],
  ]);
  denies: () => Promise<DenyAssignmentData[]> = async () => [];
  permissions: () => Promise<PermissionData[]> = async () => [{ actions: ["*/read"], notActions: [] }];
  listRoleAssignments(_s: SubnetRef, _p: string): Promise<RoleAssignmentData[]> {
    this.calls.assignments += 1;
    return this.assignments();
  }
  async getRoleDefinition(_sub: string, id: string): Promise<RoleDefinitionData> {
    this.calls.definitions.push(id);
    const d = this.definitions.get(id.split("/").pop() ?? "");
    if (!d) throw azureError(404, "RoleDefinitionDoesNotExist", `The specified role definition ${id} does not exist.`);
    return d;
  }
  listDenyAssignments(): Promise<DenyAssignmentData[]> {
    this.calls.denies += 1;
    return this.denies();
  }
  listPermissions(): Promise<PermissionData[]> {
    this.calls.permissions += 1;
    return this.permissions();
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 5_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("AccessCache", () => {
  it("is disabled without a principal and without the self-check", async () => {
    const reader = new FakeAuthz();
    expect(await new AccessCache({ reader }).get(SUBNET)).toEqual({ kind: "disabled" });
    expect(reader.calls.assignments + reader.calls.permissions).toBe(0);
  });

  it("reads for the configured principal (judged by the core) and caches them for the TTL", async () => {
    const reader = new FakeAuthz();
    const c = clock();
    const cache = new AccessCache({ reader, principalId: KARPENTER, ttlMs: 60_000, now: c.now });
    const obs = accessObservation(await cache.get(SUBNET));
    expect(obs).toMatchObject({
      kind: "ok",
      fetchedAt: c.now(),
      evaluation: { read: { verdict: "granted" }, join: { verdict: "granted" } },
    });
    c.advance(59_999);
    await cache.get(SUBNET);
    expect(reader.calls.assignments).toBe(1);
    c.advance(1);
    await cache.get(SUBNET);
    expect(reader.calls.assignments).toBe(2);
    // the role definition is cached by GUID with its own, longer TTL
    expect(reader.calls.definitions).toHaveLength(1);
  });

  it("shares one evaluation between concurrent callers", async () => {
    const reader = new FakeAuthz();
    const cache = new AccessCache({ reader, principalId: KARPENTER });
    const all = await Promise.all(Array.from({ length: 5 }, () => cache.get(SUBNET)));
    expect(reader.calls.assignments).toBe(1);
    expect(new Set(all).size).toBe(1);
  });

  it("a role definition Azure says is gone makes that grant unknown instead of failing the check", async () => {
    const reader = new FakeAuthz();
    reader.definitions.clear();
    const obs = accessObservation(await new AccessCache({ reader, principalId: KARPENTER }).get(SUBNET));
    expect(obs.kind).toBe("ok");
    expect(obs.kind === "ok" && obs.evaluation.read.verdict).toBe("unknown");
  });

  it("403 on role assignments → forbidden", async () => {
    const reader = new FakeAuthz();
    reader.assignments = async () => {
      throw azureError(403, "AuthorizationFailed", "no roleAssignments/read");
    };
    const obs = await new AccessCache({ reader, principalId: KARPENTER }).get(SUBNET);
    expect(obs).toMatchObject({ kind: "forbidden" });
    expect(obs.kind === "forbidden" && obs.message).toContain("RoleAssignments_ListForScope");
  });

  it("transient failures → unavailable with the last evaluation and when it started", async () => {
    const reader = new FakeAuthz();
    const c = clock();
    const cache = new AccessCache({ reader, principalId: KARPENTER, ttlMs: 1_000, failureTtlMs: 1_000, now: c.now });
    const first = await cache.get(SUBNET);
    reader.denies = async () => {
      throw networkError("ECONNRESET");
    };
    c.advance(1_000);
    const since = c.now();
    const obs = await cache.get(SUBNET);
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "unreachable" }, since });
    // the last good reads are kept, and judged again the same way
    expect(obs.kind === "unavailable" && obs.last).toBe(first.kind === "ok" ? first.reads : undefined);
    const judged = accessObservation(obs);
    expect(judged.kind === "unavailable" && judged.last?.read.verdict).toBe("granted");
    c.advance(1_000);
    const again = await cache.get(SUBNET);
    expect(again.kind === "unavailable" && again.since).toBe(since);
  });

  it("self-check: the operator's permissions when no principal is configured", async () => {
    const reader = new FakeAuthz();
    const obs = accessObservation(await new AccessCache({ reader, selfCheck: true }).get(SUBNET));
    expect(obs).toMatchObject({ kind: "ok", evaluation: { mode: "operator-identity", read: { verdict: "granted" } } });
    expect(obs.kind === "ok" && obs.evaluation.join.verdict).not.toBe("granted");
    expect(reader.calls.permissions).toBe(1);
    expect(reader.calls.assignments).toBe(0);
  });

  it("keys by principal: switching principal re-evaluates; retain drops unused subnets", async () => {
    const reader = new FakeAuthz();
    const cache = new AccessCache({ reader, principalId: KARPENTER });
    await cache.get(SUBNET);
    cache.setPrincipal("99999999-8888-7777-6666-555555555555");
    expect(cache.peek(SUBNET).kind).toBe("pending");
    await cache.get(SUBNET);
    expect(reader.calls.assignments).toBe(2);
    cache.retain([]);
    expect(cache.peek(SUBNET).kind).toBe("pending");
  });
});
