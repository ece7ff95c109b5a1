/**
 * The imperative shell around evaluateNodeClass: gathers the inputs (nodeclass from the informer
 * cache, Azure observations from the shared caches, nodes, cluster network), evaluates, then writes
 * status, events and metrics. One key per nodeclass in a work queue; a periodic resync re-reads
 * Azure (through caches keyed by VNet and by (principal, subnet), so cost follows VNets).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { AKSNODECLASS, CONDITION_PREFIX } from "../domain.js";
import { conditionsEqual, evaluateNodeClass } from "../health/evaluate.js";
import { resolveSubnet } from "../health/resolve-subnet.js";
import type {
  AccessObservation,
  ClusterNetworkObservation,
  EvaluationResult,
  EvaluationSettings,
  PeerSubnet,
  StoredCondition,
  SubnetHealthStatus,
  SubnetRef,
  VNetObservation,
} from "../health/types.js";
import type { Logger } from "../log.js";
import type { OperatorMetrics, SubnetNumbers } from "../metrics/metrics.js";
import type { EventRecorder } from "../kube/events.js";
import type { ResilientInformer } from "../kube/informer.js";
import type { NodeAddressWatch } from "../kube/node-addresses.js";
import { mergeConditions, SubnetHealthMemory, writeConditions, type StatusApi } from "../kube/status-writer.js";
import { WorkQueue, type HandlerResult } from "../kube/work-queue.js";
import { nodeClassInput, previousState, storedConditions, type NodeClassObject } from "./nodeclass.js";

export type NodeClassResource = NodeClassObject & KubernetesObject;

export interface VNetSource {
  get(ref: SubnetRef, opts?: { maxAgeMs?: number }): Promise<VNetObservation>;
  retain?(vnets: Iterable<string>): unknown;
}
export interface AccessSource {
  get(ref: SubnetRef, opts?: { maxAgeMs?: number }): Promise<AccessObservation>;
  retain?(subnets: Iterable<string>): unknown;
}
export interface NetworkSource {
  get(): Promise<ClusterNetworkObservation>;
}

export interface ControllerOptions {
  settings: () => EvaluationSettings;
  resyncPeriodMs: number;
  vnetMaxAgeMs: number;
  statusNumbersMinIntervalMs: number;
  concurrency: number;
}

export interface ControllerDeps {
  nodeClasses: ResilientInformer<NodeClassResource, NodeClassResource>;
  nodes: NodeAddressWatch | undefined;
  vnets: VNetSource;
  access: AccessSource | undefined;
  network: NetworkSource;
  statusApi: StatusApi;
  events: EventRecorder | undefined;
  metrics: OperatorMetrics;
  log: Logger;
  now?: () => number;
}

/** Fields of status.subnetHealth that move with every Azure read: never worth a write on their own. */
const NUMBER_FIELDS = ["freeIPs", "totalIPs", "usedIPs", "nodeHeadroom"] as const;

function ourConditions(list: StoredCondition[]): StoredCondition[] {
  return list.filter((c) => c.type.startsWith(CONDITION_PREFIX));
}

function withoutMoving(sh: SubnetHealthStatus | undefined): Record<string, unknown> {
  if (!sh) return {};
  const { freeIPs: _f, totalIPs: _t, usedIPs: _u, nodeHeadroom: _h, dataTime: _d, ...rest } = sh;
  return rest;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, Object.keys(a ?? {}).sort()) === JSON.stringify(b, Object.keys(b ?? {}).sort());
}

export class SubnetHealthController {
  readonly queue: WorkQueue;
  private active = false;
  private resyncTimer: ReturnType<typeof setInterval> | undefined;
  /** when the current resync pass began: the oldest Azure data a reconcile may use */
  private passStartedAt = 0;
  /** drift memory per nodeclass; the only copy when the installed CRD prunes status.subnetHealth */
  private readonly memory = new Map<string, SubnetHealthStatus>();
  /** each nodeclass's last subnet and prefixes, for cross-nodeclass overlap checks */
  private readonly peers = new Map<string, PeerSubnet>();
  private readonly lastNumbersWrite = new Map<string, number>();
  /** generation last reconciled: an update with another generation is a spec change */
  private readonly lastGeneration = new Map<string, number>();
  /** our conditions as last written, to notice someone else changing them */
  private readonly lastWritten = new Map<string, string>();
  /** the subnet each nodeclass resolved to last (valid or not): what the caches must keep */
  private readonly resolved = new Map<string, SubnetRef>();
  private readonly subnetHealthMemory = new SubnetHealthMemory();
  private readonly now: () => number;
  /** counts for tests and benchmarks */
  readonly stats = { reconciles: 0, writes: 0, conflicts: 0, events: 0, resyncs: 0 };

  constructor(
    private readonly opts: ControllerOptions,
    private readonly deps: ControllerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.queue = new WorkQueue({
      workers: opts.concurrency,
      handler: (key, signal) => this.reconcileTimed(key, signal),
      onError: (key, err) =>
        deps.log.warn(
          { nodeclass: key, operation: "reconcile", err: String(err) },
          "reconcile failed; retrying with backoff",
        ),
    });
    deps.nodeClasses.on("add", (o) => this.enqueue(o.metadata?.name));
    deps.nodeClasses.on("update", (o) => this.onUpdate(o));
    deps.nodeClasses.on("delete", (o) => this.onDelete(o.metadata?.name));
    deps.nodes?.on("changed", (nodeclass) => this.enqueue(nodeclass));
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Become the writer (leader, or the only replica): reconcile everything now and on every resync. */
  activate(): void {
    if (this.active) return;
    this.active = true;
    this.deps.metrics.leader.set(1);
    this.resyncAll();
    this.resyncTimer = setInterval(() => this.resyncAll(), this.opts.resyncPeriodMs);
  }

  /** Stop writing (lost leadership); another replica reports now, so drop object series too. */
  deactivate(): void {
    if (!this.active) return;
    this.active = false;
    this.deps.metrics.leader.set(0);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    this.deps.metrics.forgetAll();
  }

  resyncAll(): void {
    if (!this.active) return;
    this.stats.resyncs++;
    this.passStartedAt = this.now();
    const names = this.deps.nodeClasses
      .list()
      .map((o) => o.metadata?.name)
      .filter((n): n is string => !!n);
    // forget Azure data no nodeclass uses any more (e.g. after a migration), so caches stay bounded
    const used = this.inUse();
    this.deps.vnets.retain?.(used.vnets);
    this.deps.access?.retain?.(used.subnets);
    for (const n of names) this.queue.add(n);
  }

  async shutdown(drainMs: number): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.queue.shutdown({ drainMs });
  }

  private enqueue(name: string | undefined): void {
    if (name && this.active) this.queue.add(name);
  }

  private onUpdate(o: NodeClassResource): void {
    // our own status writes come back as updates: only a spec change, or someone touching our
    // conditions, needs a visit before the next resync
    const name = o.metadata?.name;
    if (!name) return;
    const mem = this.memory.get(name);
    const seenGeneration = this.lastGeneration.get(name);
    if (seenGeneration === undefined || seenGeneration !== (o.metadata?.generation ?? 0)) return this.enqueue(name);
    const written = this.lastWritten.get(name);
    const current = JSON.stringify(
      ourConditions(storedConditions(o)).map((c) => [c.type, c.status, c.reason, c.message]),
    );
    if (written !== undefined && written !== current) return this.enqueue(name);
    if (mem === undefined) this.enqueue(name);
  }

  private onDelete(name: string | undefined): void {
    if (!name) return;
    this.memory.delete(name);
    this.peers.delete(name);
    this.lastNumbersWrite.delete(name);
    this.resolved.delete(name);
    this.lastGeneration.delete(name);
    this.lastWritten.delete(name);
    this.queue.forget(name);
    this.deps.metrics.forgetNodeClass(name);
    this.deps.log.info({ nodeclass: name, operation: "delete" }, "nodeclass deleted; its metrics are dropped");
  }

  private async reconcileTimed(name: string, signal: AbortSignal): Promise<void | HandlerResult> {
    if (!this.active) return;
    const end = this.deps.metrics.reconcileDuration.startTimer();
    try {
      const outcome = await this.reconcile(name, signal);
      this.deps.metrics.reconcileTotal.inc({ result: outcome.result });
      return outcome.retryAfterMs !== undefined ? { requeueAfterMs: outcome.retryAfterMs } : undefined;
    } catch (err) {
      this.deps.metrics.reconcileTotal.inc({ result: "error" });
      throw err;
    } finally {
      end();
    }
  }

  /**
   * One nodeclass: gather, evaluate, write. Returns the result label and, when Azure could not
   * answer, how soon to look again (sooner than the next resync, never sooner than Retry-After).
   */
  async reconcile(
    name: string,
    signal?: AbortSignal,
  ): Promise<{ result: "success" | "skipped"; retryAfterMs?: number }> {
    const skipped = { result: "skipped" as const };
    const obj = this.deps.nodeClasses.get(name);
    if (!obj) return skipped;
    this.stats.reconciles++;
    const nodeClass = nodeClassInput(obj);
    // before the write: its own watch event must not look like a spec change
    this.lastGeneration.set(name, nodeClass.generation);
    // first: the managed cluster names the default subnet and Karpenter's identity, both needed below
    const network = await this.deps.network.get();
    const settings = this.opts.settings();
    const resolution = resolveSubnet(nodeClass, settings);
    const ref = resolution.parsed?.ok ? resolution.parsed.ref : undefined;

    let vnet: VNetObservation | undefined;
    let access: AccessObservation = this.deps.access ? { kind: "pending" } : { kind: "disabled" };
    if (ref) {
      const allowed =
        settings.allowedSubscriptions === undefined ||
        settings.allowedSubscriptions.includes(ref.subscriptionId.toLowerCase());
      if (!allowed) {
        vnet = { kind: "not-allowed", message: `subscription ${ref.subscriptionId} is not in --allowed-subscriptions` };
      } else {
        // a resync pass re-reads Azure: data fetched before the pass began is not served to it, while
        // everything fetched since is shared (one read per VNet and per (principal, subnet) per pass)
        const sincePass = Math.max(1, this.now() - this.passStartedAt);
        // Azure requests only ever for a strictly parsed ID
        [vnet, access] = await Promise.all([
          this.deps.vnets.get(ref, { maxAgeMs: Math.min(this.opts.vnetMaxAgeMs, sincePass) }),
          this.deps.access
            ? this.deps.access.get(ref, { maxAgeMs: sincePass })
            : Promise.resolve<AccessObservation>({ kind: "disabled" }),
        ]);
      }
    }
    // a replica that lost leadership while waiting on Azure must not write or export anything
    if (signal?.aborted || !this.active) return skipped;
    const previous = previousState(obj, this.memory.get(name));
    const result = evaluateNodeClass({
      nodeClass,
      settings,
      vnet,
      access,
      network,
      peers: this.peersFor(name, ref),
      nodes: this.deps.nodes?.addressesFor(name) ?? [],
      previous,
      now: this.now(),
    });
    this.remember(name, result);
    this.deps.metrics.recordEvaluation(name, result, numbersOf(result, vnet));

    const subnetHealth = this.throttleNumbers(name, previous.subnetHealth, result, previous.conditions);
    const retryAfterMs = retryHint(vnet, access, this.opts.resyncPeriodMs);
    const done = { result: "success" as const, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (this.unchangedInCache(obj, result, subnetHealth, nodeClass.generation)) {
      this.lastWritten.set(name, JSON.stringify(result.conditions.map((c) => [c.type, c.status, c.reason, c.message])));
      // drift events (a prefix change) need no status change of their own
      await this.recordEvents(name, nodeClass.uid, obj.metadata?.resourceVersion, result);
      return done;
    }
    if (!this.active) return skipped;
    const write = await writeConditions(
      this.deps.statusApi,
      name,
      { conditions: result.conditions, subnetHealth, observedGeneration: nodeClass.generation },
      { memory: this.subnetHealthMemory, log: this.deps.log },
    );
    this.lastWritten.set(name, JSON.stringify(result.conditions.map((c) => [c.type, c.status, c.reason, c.message])));
    this.stats.conflicts += write.conflicts;
    if (write.conflicts > 0) this.deps.metrics.statusWrites.inc({ result: "conflict" }, write.conflicts);
    if (write.gone) return skipped;
    if (write.written) {
      this.stats.writes++;
      this.deps.metrics.statusWrites.inc({ result: "written" });
      if (subnetHealth && !sameNumbers(subnetHealth, previous.subnetHealth))
        this.lastNumbersWrite.set(name, this.now());
      this.deps.log.info(
        {
          nodeclass: name,
          subnet: result.subnet?.id,
          operation: "write-status",
          conditions: result.conditions.map((c) => `${c.type.slice(CONDITION_PREFIX.length)}=${c.status}/${c.reason}`),
        },
        "status updated",
      );
    }
    await this.recordEvents(name, nodeClass.uid, write.resourceVersion ?? obj.metadata?.resourceVersion, result);
    return done;
  }

  private async recordEvents(
    name: string,
    uid: string,
    resourceVersion: string | undefined,
    result: EvaluationResult,
  ): Promise<void> {
    if (!this.deps.events || result.events.length === 0) return;
    const involved = {
      apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
      kind: AKSNODECLASS.kind,
      name,
      uid,
      resourceVersion,
    };
    for (const ev of result.events) {
      const outcome = await this.deps.events.record(involved, ev.type, ev.reason, ev.message);
      if (outcome !== "failed") this.stats.events++;
    }
  }

  /**
   * Whether the informer's copy already holds exactly what we would write. Saves a GET per nodeclass
   * per quiet resync; if the cache is behind, the watch event that brings it up to date enqueues the
   * nodeclass again, and the write path always re-reads before patching.
   */
  private unchangedInCache(
    obj: NodeClassResource,
    result: EvaluationResult,
    subnetHealth: SubnetHealthStatus,
    generation: number,
  ): boolean {
    const existing = Array.isArray(obj.status?.conditions) ? (obj.status.conditions as unknown[]) : [];
    const merged = mergeConditions(existing, result.conditions, generation, new Date(this.now()).toISOString());
    if (merged.changed) return false;
    const memory = this.subnetHealthMemory;
    return (
      memory.droppedEntirely || memory.equivalent(obj.metadata?.name ?? "", subnetHealth, obj.status?.subnetHealth)
    );
  }

  /**
   * Numbers in status feed the printer columns only; metrics carry the live values. A write that
   * would change nothing but numbers waits for the minimum interval, so busy subnets do not turn
   * into a stream of patches (each of which makes Karpenter reconcile the nodeclass).
   */
  private throttleNumbers(
    name: string,
    stored: SubnetHealthStatus | undefined,
    result: EvaluationResult,
    storedConditions: StoredCondition[],
  ): SubnetHealthStatus {
    const next = result.subnetHealth;
    if (!stored) return next;
    const stored0 = ourConditions(storedConditions);
    const conditionsSame =
      stored0.length === result.conditions.length &&
      result.conditions.every((c) => stored0.some((s) => conditionsEqual(s, c)));
    const restSame = sameJson(withoutMoving(next), withoutMoving(stored));
    if (!conditionsSame || !restSame) return next;
    const numbersChanged = !sameNumbers(next, stored);
    const last = this.lastNumbersWrite.get(name) ?? 0;
    const due = this.now() - last >= this.opts.statusNumbersMinIntervalMs;
    if (numbersChanged && due) return next;
    if (numbersChanged) this.queue.addAfter(name, last + this.opts.statusNumbersMinIntervalMs - this.now());
    // keep what is stored, dataTime included, so nothing is written
    const kept: SubnetHealthStatus = { ...next };
    for (const f of NUMBER_FIELDS) {
      if (stored[f] === undefined) delete kept[f];
      else kept[f] = stored[f];
    }
    if (stored.dataTime === undefined) delete kept.dataTime;
    else kept.dataTime = stored.dataTime;
    return kept;
  }

  private remember(name: string, result: EvaluationResult): void {
    this.memory.set(name, result.subnetHealth);
    if (result.subnet) this.resolved.set(name, result.subnet);
    else this.resolved.delete(name);
    const prefixes = result.subnetHealth.lastPrefixes;
    if (
      result.subnet &&
      prefixes &&
      prefixes.length > 0 &&
      result.subnetHealth.lastValidSubnetID === result.subnet.canonical
    ) {
      this.peers.set(name, {
        nodeclass: name,
        subnetCanonical: result.subnet.canonical,
        vnetCanonical: result.subnet.vnetCanonical,
        addressPrefixes: prefixes,
      });
    } else {
      this.peers.delete(name);
    }
  }

  /**
   * Other nodeclasses' subnets in other VNets (subnets of one VNet cannot overlap in Azure), one entry
   * per subnet: many classes share few subnets, and each entry costs CIDR comparisons.
   */
  private peersFor(name: string, ref: SubnetRef | undefined): PeerSubnet[] {
    const bySubnet = new Map<string, PeerSubnet>();
    for (const p of this.peers.values()) {
      if (p.nodeclass === name || p.vnetCanonical === ref?.vnetCanonical || bySubnet.has(p.subnetCanonical)) continue;
      bySubnet.set(p.subnetCanonical, p);
    }
    return [...bySubnet.values()];
  }

  /** Subnets and VNets in use, so the caches can drop the rest. */
  inUse(): { vnets: Set<string>; subnets: Set<string> } {
    const vnets = new Set<string>();
    const subnets = new Set<string>();
    for (const ref of this.resolved.values()) {
      vnets.add(ref.vnetCanonical);
      subnets.add(ref.canonical);
    }
    return { vnets, subnets };
  }
}

/** Retry sooner than the resync when Azure could not answer: after Retry-After, else in 15 s. */
function retryHint(
  vnet: VNetObservation | undefined,
  access: AccessObservation,
  resyncPeriodMs: number,
): number | undefined {
  const failures = [
    vnet?.kind === "unavailable" ? vnet.failure : undefined,
    access.kind === "unavailable" ? access.failure : undefined,
  ].filter((f) => f !== undefined);
  if (failures.length === 0) return undefined;
  const retryAfterMs = Math.max(0, ...failures.map((f) => (f.retryAfterSeconds ?? 0) * 1000));
  const wait = Math.max(retryAfterMs, Math.min(15_000, resyncPeriodMs));
  return wait < resyncPeriodMs ? wait : undefined;
}

function sameNumbers(a: SubnetHealthStatus | undefined, b: SubnetHealthStatus | undefined): boolean {
  return NUMBER_FIELDS.every((f) => a?.[f] === b?.[f]);
}

function numbersOf(result: EvaluationResult, vnet: VNetObservation | undefined): SubnetNumbers | undefined {
  const sh = result.subnetHealth;
  if (sh.totalIPs === undefined || sh.usedIPs === undefined || sh.freeIPs === undefined) return undefined;
  const snapshot = vnet?.kind === "ok" ? vnet.snapshot : vnet?.kind === "unavailable" ? vnet.lastGood : undefined;
  const fetchedAt = snapshot?.fetchedAt ?? (sh.dataTime ? Date.parse(sh.dataTime) : Date.now());
  return { total: sh.totalIPs, used: sh.usedIPs, available: sh.freeIPs, fetchedAt };
}
