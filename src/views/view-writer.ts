/**
 * Keeps the view resources (NodeClassHealth, SubnetHealth) equal to what the controller last decided,
 * under the same rules as the nodeclass status: write only on a real difference from what is stored
 * (the controller has already held back number-only changes), merge patches carrying
 * `resourceVersion`, a fresh GET and retry on 409. One key per object in a work queue, so an object is
 * never written by two workers at once. Objects of this operator's scope (label) that no nodeclass
 * needs any more are deleted: owner references let a garbage collector do it too, but a cluster's
 * collector is not guaranteed to run before someone reads the stale object.
 */
import { createHash } from "node:crypto";
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { VIEWS } from "../domain.js";
import { ResilientInformer } from "../kube/informer.js";
import { WorkQueue } from "../kube/work-queue.js";
import type { Logger } from "../log.js";
import {
  nodeClassHealthView,
  SCOPE_LABEL,
  subnetHealthName,
  subnetHealthViews,
  type DesiredView,
  type NodeClassViewInput,
  type OwnerReference,
} from "./project.js";

type ViewKind = "nodeclasshealths" | "subnethealths";

interface ViewObject extends KubernetesObject {
  metadata?: KubernetesObject["metadata"] & { ownerReferences?: OwnerReference[] };
  status?: Record<string, unknown>;
}

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const MAX_ATTEMPTS = 5;

function code(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Key order must not matter: the API server returns fields in its own order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
}

function ownersOf(obj: ViewObject): OwnerReference[] {
  return (obj.metadata?.ownerReferences ?? []).map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    uid: o.uid,
  }));
}

/** Fields that move with every Azure read: never worth a write on their own more often than the interval. */
const NUMBER_FIELDS = ["freeIPs", "totalIPs", "usedIPs", "utilizationPercent", "nodeHeadroom", "dataTime"];

function fieldOf(status: object, key: string): unknown {
  return (status as Record<string, unknown>)[key];
}

function withoutNumbers(status: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).filter(([k]) => !NUMBER_FIELDS.includes(k)));
}

/** `want` with the stored numbers kept, so a number-only change writes nothing. */
function keepStoredNumbers(want: object, stored: Record<string, unknown>): Record<string, unknown> {
  const kept = withoutNumbers(want);
  for (const f of NUMBER_FIELDS) if (stored[f] !== undefined) kept[f] = stored[f];
  return kept;
}

export interface ViewWriterOptions {
  kubeConfig: KubeConfig;
  /** minimum time between writes of an object that change only numbers (--status-numbers-min-interval) */
  numbersMinIntervalMs: number;
  now?: () => number;
  /** from viewScope(--nodeclass-selector) */
  scope: string;
  log: Logger;
  watchdogMs?: number;
  workers?: number;
  /**
   * Resolves when the nodeclasses' own status writes are done for now (the controller's queue is idle).
   * View writes wait for it, at most `yieldMaxWaitMs`: a nodeclass's status is what Karpenter's users
   * and alerts read, the views repeat it, and on a start with many nodeclasses both compete for the
   * same API server.
   */
  yieldTo?: () => Promise<void>;
  /** default 30 s */
  yieldMaxWaitMs?: number;
}

export class ViewWriter {
  private readonly api: CustomObjectsApi;
  private readonly informers: Record<ViewKind, ResilientInformer<ViewObject>>;
  private readonly queue: WorkQueue;
  /** per nodeclass: what the controller last decided */
  private readonly inputs = new Map<string, NodeClassViewInput>();
  private readonly nodeClassViews = new Map<string, DesiredView<object>>();
  /** SubnetHealth name → nodeclasses on it */
  private readonly members = new Map<string, Set<string>>();
  private readonly subnetOf = new Map<string, string>();
  private readonly subnetViews = new Map<string, DesiredView<object>>();
  /**
   * SubnetHealth names whose members changed since their view was computed. A subnet's view aggregates
   * every nodeclass on it, so computing it on each nodeclass's report made a first pass over many
   * nodeclasses on few subnets quadratic; it is computed once when its queue key comes up instead.
   */
  private readonly dirtySubnets = new Set<string>();
  /** per nodeclass: a digest of what its part of a SubnetHealth view was last computed from */
  private readonly contributions = new Map<string, string>();
  /** per object key: when its numbers were last written */
  private readonly numbersWrittenAt = new Map<string, number>();
  private readonly now: () => number;
  private active = false;
  /** counts for tests and benchmarks */
  readonly stats = { creates: 0, statusWrites: 0, ownerWrites: 0, deletes: 0, conflicts: 0 };

  constructor(private readonly opts: ViewWriterOptions) {
    this.api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.now = opts.now ?? Date.now;
    const informer = (plural: ViewKind): ResilientInformer<ViewObject> => {
      const inf = new ResilientInformer<ViewObject>({
        name: plural,
        path: `/apis/${VIEWS.group}/${VIEWS.version}/${plural}`,
        kubeConfig: opts.kubeConfig,
        labelSelector: `${SCOPE_LABEL}=${opts.scope}`,
        list: async (labelSelector) =>
          (await this.api.listClusterCustomObject({
            group: VIEWS.group,
            version: VIEWS.version,
            plural,
            ...(labelSelector ? { labelSelector } : {}),
          })) as KubernetesListObject<ViewObject>,
        ...(opts.watchdogMs !== undefined ? { watchdogMs: opts.watchdogMs } : {}),
        log: opts.log,
      });
      // someone else changing or deleting our object: put it back
      const visit = (o: ViewObject): void => {
        if (this.active && o.metadata?.name) this.queue.add(`${plural}/${o.metadata.name}`);
      };
      inf.on("update", visit);
      inf.on("delete", visit);
      return inf;
    };
    this.queue = new WorkQueue({
      workers: opts.workers ?? 4,
      handler: (key, signal) => this.sync(key, signal),
      onError: (key, err) =>
        opts.log.warn({ view: key, operation: "write-view", err: String(err) }, "view write failed; retrying"),
    });
    this.informers = { nodeclasshealths: informer("nodeclasshealths"), subnethealths: informer("subnethealths") };
  }

  /**
   * Whether our CRDs are installed (one LIST each). Without them the operator runs on, and says once
   * how to get the views.
   */
  async available(): Promise<boolean> {
    for (const plural of ["nodeclasshealths", "subnethealths"] as const) {
      try {
        await this.api.listClusterCustomObject({ group: VIEWS.group, version: VIEWS.version, plural, limit: 1 });
      } catch (err) {
        if (code(err) === 404) {
          this.opts.log.warn(
            { operation: "views", resource: `${plural}.${VIEWS.group}` },
            "view CRDs not installed: no NodeClassHealth / SubnetHealth objects; apply crds/ (or install the chart) to get them",
          );
          return false;
        }
        throw err;
      }
    }
    return true;
  }

  start(): void {
    this.informers.nodeclasshealths.start();
    this.informers.subnethealths.start();
  }

  waitForSync(): Promise<void> {
    return Promise.all([
      this.informers.nodeclasshealths.waitForSync(),
      this.informers.subnethealths.waitForSync(),
    ]).then(() => undefined);
  }

  /** Start writing (leader, or the only replica). */
  activate(): void {
    this.active = true;
  }

  deactivate(): void {
    this.active = false;
    // another replica writes meanwhile: after a comeback every subnet is compared with what is stored
    this.contributions.clear();
  }

  async stop(drainMs = 5_000): Promise<void> {
    this.active = false;
    await this.queue.shutdown({ drainMs });
    await Promise.all([this.informers.nodeclasshealths.stop(), this.informers.subnethealths.stop()]);
  }

  /** What the controller decided for one nodeclass; writes follow only where something differs. */
  set(nodeclass: string, input: NodeClassViewInput): void {
    this.inputs.set(nodeclass, input);
    const view: DesiredView<object> = nodeClassHealthView(input, this.opts.scope);
    if (canonical(this.nodeClassViews.get(nodeclass)) !== canonical(view)) {
      this.nodeClassViews.set(nodeclass, view);
      this.enqueue("nodeclasshealths", nodeclass);
    } else if (!this.stored("nodeclasshealths", nodeclass, view)) {
      this.enqueue("nodeclasshealths", nodeclass);
    }
    const before = this.subnetOf.get(nodeclass);
    const r = input.report;
    const after =
      input.subnetCanonical && r.vnet && r.subnet
        ? subnetHealthName(input.subnetCanonical, r.vnet, r.subnet.slice(r.vnet.length + 1), this.opts.scope)
        : undefined;
    if (before !== after && before !== undefined) this.members.get(before)?.delete(nodeclass);
    if (after !== undefined) {
      this.subnetOf.set(nodeclass, after);
      const set = this.members.get(after) ?? new Set<string>();
      set.add(nodeclass);
      this.members.set(after, set);
    } else {
      this.subnetOf.delete(nodeclass);
    }
    // a digest: a thousand reports' JSON would otherwise stay in memory only to be compared
    const contribution = createHash("sha256")
      .update(canonical([input.report, input.uid, input.addressPrefixes]))
      .digest("base64");
    const contributionChanged = this.contributions.get(nodeclass) !== contribution;
    this.contributions.set(nodeclass, contribution);
    if (before !== undefined && before !== after) this.subnetChanged(before);
    if (after !== undefined && (before !== after || contributionChanged)) this.subnetChanged(after);
  }

  /** The nodeclass is gone: its view goes, and its subnet's view loses a member (or goes too). */
  remove(nodeclass: string): void {
    this.numbersWrittenAt.delete(`nodeclasshealths/${nodeclass}`);
    this.inputs.delete(nodeclass);
    this.contributions.delete(nodeclass);
    this.nodeClassViews.delete(nodeclass);
    this.enqueue("nodeclasshealths", nodeclass);
    const subnet = this.subnetOf.get(nodeclass);
    this.subnetOf.delete(nodeclass);
    if (subnet !== undefined) {
      this.members.get(subnet)?.delete(nodeclass);
      this.subnetChanged(subnet);
    }
  }

  /**
   * Removes what no nodeclass needs (e.g. nodeclasses deleted while no operator ran). A per-nodeclass
   * object goes when its nodeclass does not exist; a per-subnet one only once every existing nodeclass
   * has been evaluated, so a restart never deletes a view it is about to write again.
   */
  collectGarbage(existingNodeClasses: ReadonlySet<string>): void {
    if (!this.active) return;
    for (const o of this.informers.nodeclasshealths.list()) {
      const name = o.metadata?.name;
      if (name && !existingNodeClasses.has(name) && !this.nodeClassViews.has(name))
        this.enqueue("nodeclasshealths", name);
    }
    const primed = [...existingNodeClasses].every((n) => this.inputs.has(n));
    if (!primed) return;
    for (const name of [...this.dirtySubnets]) this.recomputeSubnet(name);
    for (const o of this.informers.subnethealths.list()) {
      const name = o.metadata?.name;
      if (name && !this.subnetViews.has(name)) this.enqueue("subnethealths", name);
    }
  }

  private async yieldToStatusWrites(signal: AbortSignal | undefined): Promise<void> {
    if (!this.opts.yieldTo || signal?.aborted) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      this.opts.yieldTo(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.opts.yieldMaxWaitMs ?? 30_000);
        onAbort = resolve;
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }

  /** A member of the subnet's view changed: its view is computed again when its key is synced. */
  private subnetChanged(name: string): void {
    this.dirtySubnets.add(name);
    this.enqueue("subnethealths", name);
  }

  private recomputeSubnet(name: string): void {
    this.dirtySubnets.delete(name);
    const names = this.members.get(name);
    const inputs = [...(names ?? [])].map((n) => this.inputs.get(n)).filter((i) => i !== undefined);
    const view = subnetHealthViews(inputs, this.opts.scope).get(name) as DesiredView<object> | undefined;
    if (!view) {
      this.members.delete(name);
      this.subnetViews.delete(name);
      return;
    }
    this.subnetViews.set(name, view);
  }

  /** Whether the informer's copy already says exactly this (no queue visit needed). */
  private stored(kind: ViewKind, name: string, view: DesiredView<object>): boolean {
    const cur = this.informers[kind].get(name);
    return (
      cur !== undefined &&
      canonical(cur.status ?? {}) === canonical(view.status) &&
      canonical(ownersOf(cur)) === canonical(view.owners)
    );
  }

  private enqueue(kind: ViewKind, name: string): void {
    if (this.active) this.queue.add(`${kind}/${name}`);
  }

  private desired(kind: ViewKind, name: string): DesiredView<object> | undefined {
    if (kind === "nodeclasshealths") return this.nodeClassViews.get(name);
    if (this.dirtySubnets.has(name)) this.recomputeSubnet(name);
    return this.subnetViews.get(name);
  }

  private base(kind: ViewKind): { group: string; version: string; plural: ViewKind } {
    return { group: VIEWS.group, version: VIEWS.version, plural: kind };
  }

  private async get(kind: ViewKind, name: string): Promise<ViewObject | undefined> {
    try {
      return (await this.api.getClusterCustomObject({ ...this.base(kind), name })) as ViewObject;
    } catch (err) {
      if (code(err) === 404) return undefined;
      throw err;
    }
  }

  private async sync(key: string, signal?: AbortSignal): Promise<void> {
    if (!this.active) return;
    await this.yieldToStatusWrites(signal);
    if (!this.active || signal?.aborted) return;
    const slash = key.indexOf("/");
    const kind = key.slice(0, slash) as ViewKind;
    const name = key.slice(slash + 1);
    let current = this.informers[kind].get(name);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const want = this.desired(kind, name);
      if (!this.active) return;
      if (!want) {
        if (!current) return;
        try {
          await this.api.deleteClusterCustomObject({ ...this.base(kind), name });
          this.stats.deletes++;
          this.numbersWrittenAt.delete(key);
          this.opts.log.info({ view: key, operation: "delete-view" }, "view removed: no nodeclass needs it");
        } catch (err) {
          if (code(err) !== 404) throw err;
        }
        return;
      }
      try {
        if (!current) {
          current = (await this.api.createClusterCustomObject({
            ...this.base(kind),
            body: {
              apiVersion: `${VIEWS.group}/${VIEWS.version}`,
              kind: kind === "nodeclasshealths" ? VIEWS.nodeClassKind : VIEWS.subnetKind,
              metadata: {
                name,
                labels: { [SCOPE_LABEL]: this.opts.scope, "app.kubernetes.io/managed-by": "aks-subnet-health" },
                ownerReferences: want.owners,
              },
              spec: {},
            },
          })) as ViewObject;
          this.stats.creates++;
        }
        if (canonical(ownersOf(current)) !== canonical(want.owners)) {
          current = (await this.api.patchClusterCustomObject(
            {
              ...this.base(kind),
              name,
              body: {
                metadata: { resourceVersion: current.metadata?.resourceVersion, ownerReferences: want.owners },
              },
            },
            MERGE,
          )) as ViewObject;
          this.stats.ownerWrites++;
        }
        const stored = current.status ?? {};
        let status: object = want.status;
        // a fresher read that found the same numbers is no change: keep the stored read time
        if (
          NUMBER_FIELDS.every((f) => f === "dataTime" || canonical(stored[f]) === canonical(fieldOf(status, f))) &&
          stored.dataTime !== undefined &&
          fieldOf(status, "dataTime") !== undefined
        )
          status = { ...status, dataTime: stored.dataTime };
        if (
          canonical(stored) !== canonical(status) &&
          canonical(withoutNumbers(stored)) === canonical(withoutNumbers(status))
        ) {
          // only numbers moved: at most one such write per interval (metrics carry the live values)
          const last = this.numbersWrittenAt.get(key) ?? 0;
          const wait = last + this.opts.numbersMinIntervalMs - this.now();
          if (wait > 0) {
            status = keepStoredNumbers(status, stored);
            this.queue.addAfter(key, wait);
          }
        }
        if (canonical(stored) !== canonical(status)) {
          // a merge patch keeps fields it does not mention: name the ones that must go
          const removed = Object.fromEntries(
            Object.keys(stored)
              .filter((k) => !(k in status))
              .map((k) => [k, null]),
          );
          current = (await this.api.patchClusterCustomObjectStatus(
            {
              ...this.base(kind),
              name,
              body: {
                metadata: { resourceVersion: current.metadata?.resourceVersion },
                status: { ...removed, ...status },
              },
            },
            MERGE,
          )) as ViewObject;
          this.stats.statusWrites++;
          if (NUMBER_FIELDS.some((f) => canonical(stored[f]) !== canonical(fieldOf(status, f))))
            this.numbersWrittenAt.set(key, this.now());
        }
        return;
      } catch (err) {
        const c = code(err);
        if (c === 409) {
          // someone wrote in between (or the object exists already): look again, decide again
          this.stats.conflicts++;
          current = await this.get(kind, name);
          continue;
        }
        if (c === 404) {
          current = undefined;
          continue;
        }
        throw err;
      }
    }
    throw new Error(`${key}: still conflicting after ${MAX_ATTEMPTS} attempts`);
  }
}
