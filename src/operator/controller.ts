/**
 * The reconcile shell: watch events → work queue → gather → evaluate (pure, src/health) → plan the
 * write (pure) → status writer → events and metrics. One key per nodeclass in the work queue; one
 * record per nodeclass (records.ts) dropped by one `forget`; a periodic resync re-reads Azure through
 * caches keyed by VNet and by (principal, subnet), so cost follows VNets.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { AKSNODECLASS } from "../domain.js";
import { conditionsKey, shortType } from "../health/conditions.js";
import { evaluateNodeClass } from "../health/evaluate.js";
import { peerOf } from "../health/peers.js";
import type {
  ConnectivityObservations,
  EvaluationResult,
  EvaluationSettings,
  VNetObservation,
  VNetSnapshot,
} from "../health/types.js";
import { RateLimitedLog, type Logger } from "../log.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import { systemClock, type Clock } from "../clock.js";
import type { EventRecorder } from "../kube/events.js";
import type { ResilientInformer } from "../kube/informer.js";
import type { NodeAddressWatch } from "../kube/node-addresses.js";
import { SubnetHealthMemory, writeConditions, type StatusApi } from "../kube/status-writer.js";
import { WorkQueue, type HandlerResult } from "../kube/work-queue.js";
import { resolvedRef } from "../health/resolve-subnet.js";
import type { NodePoolWatch } from "../kube/nodepools.js";
import {
  gatherInput,
  type AccessSource,
  type NetworkResourceSource,
  type NetworkSource,
  type VNetSource,
} from "./gather.js";
import { PlanInputs } from "./plan-inputs.js";
import { storedConditions, type NodeClassObject } from "./nodeclass.js";
import { judgeWrite, notedWrite, withOtherWriterNote } from "./other-writer.js";
import { NodeClassRecords, type NodeClassRecord } from "./records.js";
import { needsVisit } from "./visit.js";
import { planWrite } from "./write-plan.js";
import { viewInputOf, type NodeClassViewInput } from "../views/project.js";

export type { AccessSource, NetworkResourceSource, NetworkSource, VNetSource } from "./gather.js";
export type NodeClassResource = NodeClassObject & KubernetesObject;

export interface ControllerOptions {
  settings: () => EvaluationSettings;
  resyncPeriodMs: number;
  vnetMaxAgeMs: number;
  statusNumbersMinIntervalMs: number;
  concurrency: number;
}

/** Where the per-nodeclass and per-subnet views go (src/views/view-writer.ts); absent without their CRDs. */
export interface ViewSink {
  set(nodeclass: string, input: NodeClassViewInput): void;
  remove(nodeclass: string): void;
  collectGarbage(existingNodeClasses: ReadonlySet<string>): void;
  activate(): void;
  deactivate(): void;
}

export interface ControllerDeps {
  nodeClasses: Pick<ResilientInformer<NodeClassResource, NodeClassResource>, "on" | "get" | "list">;
  /** without `hasSynced`/`waitForSync` (fakes) the nodes count as known */
  nodes:
    | (Pick<NodeAddressWatch, "on" | "addressesFor"> & Partial<Pick<NodeAddressWatch, "hasSynced" | "waitForSync">>)
    | undefined;
  /** Karpenter's NodePools, for the capacity plan; undefined: no plan */
  nodePools?: Pick<NodePoolWatch, "on" | "all" | "hasSynced"> | undefined;
  vnets: VNetSource;
  access: AccessSource | undefined;
  network: NetworkSource;
  /** NSGs, route tables and NAT gateways; absent in tests that do not judge connectivity */
  networkResources?: NetworkResourceSource | undefined;
  statusApi: StatusApi;
  events: Pick<EventRecorder, "record"> | undefined;
  metrics: OperatorMetrics;
  log: Logger;
  clock?: Pick<Clock, "now">;
  views?: ViewSink;
}

export class SubnetHealthController {
  readonly queue: WorkQueue;
  private active = false;
  private resyncTimer: ReturnType<typeof setInterval> | undefined;
  /** when the current resync pass began: the oldest Azure data a reconcile may use */
  private passStartedAt = 0;
  /** the one per-nodeclass memory of this process */
  readonly records = new NodeClassRecords();
  private readonly subnetHealthMemory = new SubnetHealthMemory(this.records);
  /** siblings on a subnet and node counts per Azure read, for the capacity plan */
  private readonly planInputs: PlanInputs;
  private readonly clock: Pick<Clock, "now">;
  /** one line a minute per contested nodeclass */
  private readonly otherWriterLog: RateLimitedLog;
  /** one line a minute per nodeclass and error */
  private readonly reconcileErrorLog: RateLimitedLog;
  /** counts for tests and benchmarks */
  readonly stats = {
    reconciles: 0,
    writes: 0,
    conflicts: 0,
    events: 0,
    resyncs: 0,
    /** API requests of the status path */
    statusGets: 0,
    statusPatches: 0,
  };

  constructor(
    private readonly opts: ControllerOptions,
    private readonly deps: ControllerDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.planInputs = new PlanInputs({ nodeClasses: deps.nodeClasses, nodes: deps.nodes, nodePools: deps.nodePools });
    this.otherWriterLog = new RateLimitedLog(deps.log, 60_000, () => this.clock.now());
    this.reconcileErrorLog = new RateLimitedLog(deps.log, 60_000, () => this.clock.now());
    this.queue = new WorkQueue({
      workers: opts.concurrency,
      handler: (key, signal) => this.reconcileTimed(key, signal),
      // an API server that keeps failing would otherwise log every retry of every nodeclass
      onError: (key, err) =>
        this.reconcileErrorLog.warn(
          `${key}:${String(err).slice(0, 120)}`,
          { nodeclass: key, operation: "reconcile", err: String(err).slice(0, 500) },
          "reconcile failed; retrying with backoff",
        ),
    });
    deps.nodeClasses.on("add", (o) => this.enqueue(o.metadata?.name));
    deps.nodeClasses.on("update", (o) => {
      const name = o.metadata?.name;
      if (!name) return;
      const record = this.records.peek(name);
      if (!needsVisit(o, record)) return;
      this.enqueue(name);
      // a new subnet or maxPods changes the plan of every nodeclass on the subnet
      if (record?.generation !== undefined && record.generation !== (o.metadata?.generation ?? 0)) {
        this.enqueueSiblings(name);
      }
    });
    deps.nodeClasses.on("delete", (o) => {
      const name = o.metadata?.name;
      if (!name) return;
      // its NodePools no longer count against the subnet: the others on it are planned again
      this.enqueueSiblings(name);
      this.forget(name);
      deps.log.info({ nodeclass: name, operation: "delete" }, "nodeclass deleted; its metrics are dropped");
    });
    // the first node list's adds are no news: reconciles running meanwhile wait for that list anyway
    deps.nodes?.on("changed", (nodeclass) => {
      if (deps.nodes?.hasSynced?.() !== false) this.enqueue(nodeclass);
    });
    // a NodePool's limits count for every nodeclass on its nodeclass's subnet
    deps.nodePools?.on("changed", (nodeclasses) => {
      for (const nc of nodeclasses) {
        this.enqueue(nc);
        this.enqueueSiblings(nc);
      }
    });
  }

  private enqueueSiblings(name: string): void {
    if (!this.active) return;
    for (const s of this.planInputs.siblingsOf(name, this.opts.settings())) this.queue.add(s);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Become the writer (leader, or the only replica): reconcile everything now and on every resync. */
  activate(): void {
    if (this.active) return;
    this.active = true;
    this.deps.metrics.leader.set(1);
    this.deps.views?.activate();
    this.resyncAll();
    this.resyncTimer = setInterval(() => this.resyncAll(), this.opts.resyncPeriodMs);
  }

  /** Stop writing (lost leadership); another replica reports now, so drop object series too. */
  deactivate(): void {
    if (!this.active) return;
    this.active = false;
    this.deps.metrics.leader.set(0);
    this.deps.views?.deactivate();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    this.deps.metrics.forgetAll();
  }

  resyncAll(): void {
    if (!this.active) return;
    this.stats.resyncs++;
    this.passStartedAt = this.clock.now();
    this.retainInUse();
    const names = new Set<string>();
    for (const o of this.deps.nodeClasses.list()) if (o.metadata?.name) names.add(o.metadata.name);
    // views of nodeclasses deleted while no operator ran
    this.deps.views?.collectGarbage(names);
    for (const n of names) this.queue.add(n);
  }

  /** Visit every nodeclass again without starting a resync pass (Azure data is not re-read). */
  requeueAll(): void {
    if (!this.active) return;
    for (const o of this.deps.nodeClasses.list()) if (o.metadata?.name) this.queue.add(o.metadata.name);
  }

  /**
   * The NodePools are listed: visit again the nodeclasses evaluated before, which have no capacity plan
   * yet. Those not evaluated yet will see the NodePools anyway, so a start visits each once.
   */
  requeuePlannedWithoutNodePools(): void {
    if (!this.active) return;
    for (const name of this.records.names()) {
      const record = this.records.peek(name);
      if (record?.evaluatedWithoutNodePools) this.queue.add(name);
    }
  }

  async shutdown(drainMs: number): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.queue.shutdown({ drainMs });
  }

  /** Drops everything this process holds about a nodeclass: its record, metric series, cached Azure data. */
  forget(name: string): void {
    this.records.forget(name);
    this.planInputs.forget(name);
    this.queue.forget(name);
    this.deps.metrics.forgetNodeClass(name);
    this.deps.views?.remove(name);
    this.retainInUse();
  }

  /** Subnets and VNets in use, so the caches can drop the rest. */
  inUse(): { vnets: Set<string>; subnets: Set<string>; networkResources: Set<string> } {
    return this.records.inUse();
  }

  /** Forget Azure data no nodeclass uses any more (e.g. after a migration), so caches stay bounded. */
  private retainInUse(): void {
    const used = this.records.inUse();
    this.deps.vnets.retain?.(used.vnets);
    this.deps.access?.retain?.(used.subnets);
    this.planInputs.retain(used.subnets);
    this.deps.networkResources?.retain?.(used.networkResources);
  }

  private enqueue(name: string | undefined): void {
    if (name && this.active) this.queue.add(name);
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
   * One nodeclass: gather, evaluate, write. Returns the result label and, when something should be
   * looked at again before the next resync (Azure could not answer, numbers held back), how soon.
   */
  async reconcile(
    name: string,
    signal?: AbortSignal,
  ): Promise<{ result: "success" | "skipped"; retryAfterMs?: number }> {
    const skipped = { result: "skipped" as const };
    const cached = this.deps.nodeClasses.get(name);
    if (!cached) return skipped;
    this.stats.reconciles++;
    const record = this.records.of(name);
    const obj = effectiveCopy(cached, record);
    // before the write: its own watch event must not look like a spec change
    record.generation = obj.metadata?.generation ?? 0;
    const input = await gatherInput(
      obj,
      {
        vnets: this.deps.vnets,
        access: this.deps.access,
        network: this.deps.network,
        nodes: this.deps.nodes,
        networkResources: this.deps.networkResources,
      },
      {
        settings: this.opts.settings,
        clock: this.clock,
        passStartedAt: this.passStartedAt,
        vnetMaxAgeMs: this.opts.vnetMaxAgeMs,
        peers: this.records.peerCandidates(name),
        remembered: record.subnetHealth,
      },
    );
    // a replica that lost leadership while waiting on Azure must not write or export anything
    if (signal?.aborted || !this.active) return skipped;
    // only reached without every node known when the node watch stopped first (shutdown)
    if (this.deps.nodes?.hasSynced?.() === false) return skipped;
    // deleted while we waited on Azure: remember nothing of it
    if (!this.deps.nodeClasses.get(name)) return this.gone(name);
    // someone else changing our conditions again and again: a second instance; say so and space writes
    const now = this.clock.now();
    record.contest ??= { foreignChanges: [] };
    const contest = judgeWrite(record.contest, record.writtenKey, conditionsKey(storedConditions(obj)), now);
    if (contest.foreign) this.deps.metrics.statusOverwritten.inc();
    if (contest.contested) {
      this.otherWriterLog.warn(
        name,
        { nodeclass: name, operation: "write-status" },
        "another writer keeps changing this nodeclass's aks-subnet-health conditions: is a second instance running? Writes are now spaced",
      );
    }
    const capacityPlan = this.planInputs.forNodeClass(
      name,
      input.resolution !== undefined ? resolvedRef(input.resolution) : undefined,
      snapshotOf(input.vnet)?.fetchedAt,
      input.settings,
    );
    record.evaluatedWithoutNodePools = this.deps.nodePools !== undefined && !this.deps.nodePools.hasSynced();
    const evaluated = evaluateNodeClass(capacityPlan !== undefined ? { ...input, capacityPlan } : input);
    const result = contest.contested ? withOtherWriterNote(evaluated) : evaluated;
    remember(record, result);
    this.records.setPeer(name, peerOf(name, result));
    record.networkResources = networkResourceIds(input.connectivity);
    this.deps.metrics.recordEvaluation(name, result);

    const plan = planWrite({
      result,
      previous: input.previous,
      generation: input.nodeClass.generation,
      numbersWrittenAt: record.numbersWrittenAt,
      now: this.clock.now(),
      numbersMinIntervalMs: this.opts.statusNumbersMinIntervalMs,
      resyncPeriodMs: this.opts.resyncPeriodMs,
      vnet: input.vnet,
      access: input.access,
    });
    const done = {
      result: "success" as const,
      ...(plan.lookAgainAfterMs !== undefined ? { retryAfterMs: plan.lookAgainAfterMs } : {}),
    };
    if (!this.active) return skipped;
    if (contest.holdWriteMs !== undefined) {
      return { result: "success", retryAfterMs: Math.min(contest.holdWriteMs, plan.lookAgainAfterMs ?? Infinity) };
    }
    const write = await writeConditions(this.deps.statusApi, name, plan.desired, {
      current: obj,
      memory: this.subnetHealthMemory,
      log: this.deps.log,
    });
    this.stats.statusGets += write.requests.get;
    this.stats.statusPatches += write.requests.patch;
    this.stats.conflicts += write.conflicts;
    if (write.conflicts > 0) this.deps.metrics.statusWrites.inc({ result: "conflict" }, write.conflicts);
    if (write.gone) return this.gone(name);
    record.writtenKey = conditionsKey(result.conditions);
    if (write.written) {
      notedWrite(record.contest, contest.contested, this.clock.now());
      this.stats.writes++;
      this.deps.metrics.statusWrites.inc({ result: "written" });
      if (plan.numbersChanged) record.numbersWrittenAt = this.clock.now();
      const basedOn = cached.metadata?.resourceVersion;
      if (write.stored !== undefined && basedOn !== undefined) record.ownWrite = { basedOn, object: write.stored };
      this.deps.log.info(
        {
          nodeclass: name,
          subnet: result.subnet?.id,
          operation: "write-status",
          conditions: result.conditions.map((c) => `${shortType(c.type)}=${c.status}/${c.reason}`),
        },
        "status updated",
      );
    }
    // the views say what the nodeclass's status says, numbers held back alike
    this.deps.views?.set(
      name,
      viewInputOf(
        name,
        input.nodeClass.uid,
        input.nodeClass.generation,
        { ...result, subnetHealth: plan.desired.subnetHealth },
        input.access,
      ),
    );
    // drift events (a prefix change) need no status change of their own
    await this.recordEvents(name, input.nodeClass.uid, write.resourceVersion ?? obj.metadata?.resourceVersion, result);
    if (!this.deps.nodeClasses.get(name)) return this.gone(name);
    return done;
  }

  private gone(name: string): { result: "skipped" } {
    this.forget(name);
    return { result: "skipped" };
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
}

/**
 * The copy to work from: the informer's, unless it is still the one our last write was based on, in
 * which case the object our PATCH returned is newer (and patching the informer's would meet a 409).
 */
function effectiveCopy(cached: NodeClassResource, record: NodeClassRecord): NodeClassResource {
  const own = record.ownWrite;
  if (own === undefined) return cached;
  if (own.basedOn === cached.metadata?.resourceVersion && isObject(own.object)) return own.object;
  delete record.ownWrite;
  return cached;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function remember(record: NodeClassRecord, result: EvaluationResult): void {
  record.subnetHealth = result.subnetHealth;
  if (result.subnet) record.subnet = result.subnet;
  else delete record.subnet;
}

function snapshotOf(vnet: VNetObservation | undefined): VNetSnapshot | undefined {
  return vnet?.kind === "ok" ? vnet.snapshot : vnet?.kind === "unavailable" ? vnet.lastGood : undefined;
}

function networkResourceIds(obs: ConnectivityObservations | undefined): string[] {
  const ids: string[] = [];
  for (const o of [obs?.nsg, obs?.routeTable, obs?.natGateway]) {
    const data = o?.kind === "ok" ? o.data : o?.kind === "unavailable" ? o.last : undefined;
    if (data !== undefined) ids.push(data.id);
  }
  return ids;
}
