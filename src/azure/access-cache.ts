/**
 * Whether Karpenter's identity may read and join a subnet, per (principal, subnet), with a TTL.
 *
 * With a principal: RoleAssignments_ListForScope at the subnet (`atScope() and assignedTo('<oid>')`: at or
 * above the subnet, groups included, all pages) → each distinct role definition (cached by GUID for
 * all subnets, long TTL: built-in GUIDs are global and definitions rarely change) → the subnet's deny
 * assignments → evaluateAccess. Without one, and with the self-check on: Permissions_ListForResource
 * (the operator's own identity only) + denies → evaluateSelfAccess.
 *
 * 403 on role assignments or denies → `forbidden` (the operator lacks Reader); transport errors and
 * throttling → `unavailable` with the last evaluation.
 */
import { roleGuid } from "../health/access/evaluate-access.js";
import type { AccessReads, AccessReadsObservation } from "../health/access/observe.js";
import type { DenyAssignmentData, RoleDefinitionData } from "../health/access/types.js";
import type { AzureFailure, SubnetRef } from "../health/types.js";
import type { AuthorizationReader } from "./authorization-reader.js";
import { classifyAzureError } from "./errors.js";
import { ObservedCache, type Fetched } from "./observed-cache.js";

export interface AccessCacheOptions {
  reader: AuthorizationReader;
  /** Karpenter's principal (object ID). Without it, `selfCheck` decides. */
  principalId?: string;
  /** with no principal, check the operator's own identity via Permissions_ListForResource */
  selfCheck?: boolean;
  /** the operator's own object ID if known (decides deny assignments naming it in the self-check) */
  operatorPrincipalId?: string;
  /** default 5 min: role assignment changes take minutes to propagate anyway */
  ttlMs?: number;
  /** default 24 h */
  roleDefinitionTtlMs?: number;
  /** how long an `unavailable` answer is served before retrying; default 30 s (or Retry-After) */
  failureTtlMs?: number;
  now?: () => number;
}

export interface AccessGetOptions {
  maxAgeMs?: number;
  force?: boolean;
  /** overrides the configured principal for this call (null: no principal) */
  principalId?: string | null;
}

interface DefinitionEntry {
  data: RoleDefinitionData | undefined; // undefined: Azure said it does not exist / may not be read
  fetchedAt: number;
}

type Step<T> =
  | { ok: true; value: T }
  | { ok: false; obs: "forbidden"; message: string }
  | { ok: false; obs: "unavailable"; failure: AzureFailure };

export class AccessCache {
  /** per (principal, subnet): key `${principal | "self"}|${subnet canonical}` */
  private readonly cache: ObservedCache<AccessReads, string, AccessReadsObservation>;
  private readonly definitions = new Map<string, DefinitionEntry>();
  private readonly definitionFlights = new Map<string, Promise<Step<RoleDefinitionData | undefined>>>();
  private readonly reader: AuthorizationReader;
  private principalId: string | undefined;
  private readonly selfCheck: boolean;
  private readonly operatorPrincipalId: string | undefined;
  private readonly roleDefinitionTtlMs: number;
  private readonly now: () => number;

  constructor(opts: AccessCacheOptions) {
    this.reader = opts.reader;
    this.principalId = opts.principalId;
    this.selfCheck = opts.selfCheck ?? false;
    this.operatorPrincipalId = opts.operatorPrincipalId;
    this.roleDefinitionTtlMs = opts.roleDefinitionTtlMs ?? 86_400_000;
    this.now = opts.now ?? Date.now;
    this.cache = new ObservedCache({
      ttlMs: opts.ttlMs ?? 300_000,
      failureTtlMs: opts.failureTtlMs ?? 30_000,
      // the operator losing Reader says nothing about Karpenter's access: keep what was known
      definiteForgetsLastGood: false,
      clock: { now: this.now },
      shape: {
        ok: (reads, at): AccessReadsObservation => ({ kind: "ok", reads, fetchedAt: at }),
        definite: (message): AccessReadsObservation => ({ kind: "forbidden", message }),
        unavailable: (failure, since, last): AccessReadsObservation => ({
          kind: "unavailable",
          failure,
          since,
          ...(last ? { last } : {}),
        }),
      },
    });
  }

  /** Sets the principal to check (e.g. once discovered from the managed cluster). */
  setPrincipal(principalId: string | undefined): void {
    this.principalId = principalId;
  }

  get configuredPrincipal(): string | undefined {
    return this.principalId;
  }

  private keyFor(subnet: SubnetRef, principal: string | undefined): string {
    return `${principal ? principal.toLowerCase() : "self"}|${subnet.canonical}`;
  }

  private principalFor(opts: AccessGetOptions): string | undefined {
    if (opts.principalId === null) return undefined;
    return opts.principalId ?? this.principalId;
  }

  get(subnet: SubnetRef, opts: AccessGetOptions = {}): Promise<AccessReadsObservation> {
    const principal = this.principalFor(opts);
    if (!principal && !this.selfCheck) return Promise.resolve({ kind: "disabled" });
    return this.cache.get(this.keyFor(subnet, principal), () => this.fetch(subnet, principal), opts);
  }

  /** The cached answer without fetching. */
  peek(subnet: SubnetRef, principalId?: string | null): AccessReadsObservation {
    const principal = principalId === null ? undefined : (principalId ?? this.principalId);
    if (!principal && !this.selfCheck) return { kind: "disabled" };
    return this.cache.peek(this.keyFor(subnet, principal)) ?? { kind: "pending" };
  }

  invalidate(subnetCanonical: string): void {
    const c = subnetCanonical.toLowerCase();
    for (const key of this.cache.keys()) if (subnetOfKey(key) === c) this.cache.invalidate(key);
  }

  /** Drops subnets no nodeclass uses. Returns the dropped keys. */
  retain(subnetCanonicals: Iterable<string>): string[] {
    const keep = new Set([...subnetCanonicals].map((s) => s.toLowerCase()));
    return this.cache.retain((key) => keep.has(subnetOfKey(key)));
  }

  /** (principal, subnet) keys held, for tests that prove nothing outlives its nodeclass. */
  keys(): string[] {
    return this.cache.keys();
  }

  private classify(err: unknown, operation: string, resource: string): Step<never> {
    const c = classifyAzureError(err, { operation, resource }, this.now());
    if (c.outcome === "failure") return { ok: false, obs: "unavailable", failure: c.failure };
    if (c.kind === "forbidden") return { ok: false, obs: "forbidden", message: c.message };
    // a 404 here (the subnet's resource group is gone) is for the existence check to report
    return {
      ok: false,
      obs: "unavailable",
      failure: { kind: "other", statusCode: c.statusCode, ...(c.code ? { code: c.code } : {}), message: c.message },
    };
  }

  private async step<T>(operation: string, resource: string, fn: () => Promise<T>): Promise<Step<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      return this.classify(err, operation, resource);
    }
  }

  private roleDefinition(
    subscriptionId: string,
    roleDefinitionId: string,
  ): Promise<Step<RoleDefinitionData | undefined>> {
    const guid = roleGuid(roleDefinitionId);
    const hit = this.definitions.get(guid);
    if (hit && this.now() - hit.fetchedAt < this.roleDefinitionTtlMs)
      return Promise.resolve({ ok: true, value: hit.data });
    const flying = this.definitionFlights.get(guid);
    if (flying) return flying;
    const run = (async (): Promise<Step<RoleDefinitionData | undefined>> => {
      try {
        const data = await this.reader.getRoleDefinition(subscriptionId, roleDefinitionId);
        this.definitions.set(guid, { data, fetchedAt: this.now() });
        return { ok: true, value: data };
      } catch (err) {
        const c = classifyAzureError(
          err,
          { operation: "RoleDefinitions_GetById", resource: roleDefinitionId },
          this.now(),
        );
        if (c.outcome === "failure") return { ok: false, obs: "unavailable", failure: c.failure };
        // deleted custom role or unreadable definition: the evaluator reports that grant as unknown
        this.definitions.set(guid, { data: undefined, fetchedAt: this.now() });
        return { ok: true, value: undefined };
      }
    })().finally(() => this.definitionFlights.delete(guid));
    this.definitionFlights.set(guid, run);
    return run;
  }

  /** The reads access is judged from (src/health/access/observe.ts judges them). */
  private async read(subnet: SubnetRef, principal: string | undefined): Promise<Step<AccessReads>> {
    const deniesP = this.step("DenyAssignments_ListForResource", subnet.id, () =>
      this.reader.listDenyAssignments(subnet),
    );
    if (!principal) {
      const [permissions, denies] = await Promise.all([
        this.step("Permissions_ListForResource", subnet.id, () => this.reader.listPermissions(subnet)),
        deniesP,
      ]);
      if (!permissions.ok) return permissions;
      // An operator that may not read deny assignments still learns its grants; denies are rare and platform-made.
      const deniesList: DenyAssignmentData[] = denies.ok ? denies.value : [];
      if (!denies.ok && denies.obs === "unavailable") return denies;
      return {
        ok: true,
        value: {
          mode: "self",
          permissions: permissions.value,
          denies: deniesList,
          subnet,
          ...(this.operatorPrincipalId ? { principalId: this.operatorPrincipalId } : {}),
        },
      };
    }
    const [assignments, denies] = await Promise.all([
      this.step("RoleAssignments_ListForScope", subnet.id, () => this.reader.listRoleAssignments(subnet, principal)),
      deniesP,
    ]);
    if (!assignments.ok) return assignments;
    if (!denies.ok) return denies;
    const definitions = new Map<string, RoleDefinitionData>();
    const ids = new Map<string, string>();
    for (const a of assignments.value) {
      const guid = roleGuid(a.roleDefinitionId);
      if (guid && !ids.has(guid)) ids.set(guid, a.roleDefinitionId);
    }
    const fetched = await Promise.all(
      [...ids.entries()].map(
        async ([guid, id]) => [guid, await this.roleDefinition(subnet.subscriptionId, id)] as const,
      ),
    );
    for (const [guid, step] of fetched) {
      if (!step.ok) return step;
      if (step.value) definitions.set(guid, step.value);
    }
    return {
      ok: true,
      value: {
        mode: "principal",
        principalId: principal,
        subnet,
        assignments: assignments.value,
        definitions,
        denies: denies.value,
      },
    };
  }

  private async fetch(subnet: SubnetRef, principal: string | undefined): Promise<Fetched<AccessReads, string>> {
    const result = await this.read(subnet, principal);
    if (result.ok) return { kind: "ok", value: result.value };
    if (result.obs === "forbidden") return { kind: "definite", answer: result.message };
    return { kind: "failure", failure: result.failure };
  }
}

/** The subnet part of a cache key (`principal|subnet`). */
function subnetOfKey(key: string): string {
  return key.slice(key.indexOf("|") + 1);
}
