/**
 * core/v1 Events for cluster-scoped objects (AKSNodeClass, Node), so `kubectl describe aksnodeclass`
 * shows them. Cluster-scoped objects' events live in namespace "default", as kubectl looks there.
 *
 * Repeats of the same (object, type, reason, message) within the window bump `count` and
 * `lastTimestamp` with a merge patch instead of creating a new Event, like client-go's correlator.
 * Recording is best effort: failures are logged, never thrown into the reconcile.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Event } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "./clock.js";
import { describeError, statusCodeOf } from "./errors.js";
import { noopLogger, type KubeLogger } from "./log.js";

export const EVENT_COMPONENT = "aks-subnet-health";

/** The two CoreV1Api calls the recorder makes. */
export interface EventsApi {
  createNamespacedEvent(param: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event>;
  patchNamespacedEvent(
    param: { name: string; namespace: string; body: unknown },
    options?: ReturnType<typeof setHeaderOptions>,
  ): Promise<CoreV1Event>;
}

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export type EventType = "Normal" | "Warning";

export type RecordOutcome = "created" | "counted" | "failed";

export interface EventRecorderOptions {
  /** pod name (reportingInstance, source.host) */
  instance: string;
  component?: string;
  /** namespace for events of cluster-scoped objects (default "default") */
  namespace?: string;
  /** repeats within this window increment count (default 10 min) */
  windowMs?: number;
  /** remembered (object, type, reason, message) keys (default 1000, least recently used dropped) */
  maxEntries?: number;
  clock?: Clock;
  log?: KubeLogger;
}

interface Series {
  eventName: string;
  count: number;
  lastMs: number;
}

/** Events beyond this size are noise in `kubectl describe`; the API's limit is larger. */
const MAX_MESSAGE = 1024;

export class EventRecorder {
  private readonly api: EventsApi;
  private readonly instance: string;
  private readonly component: string;
  private readonly namespace: string;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly clock: Clock;
  private readonly log: KubeLogger;
  /** Map iteration order is insertion order: re-inserting on use makes it an LRU */
  private readonly series = new Map<string, Series>();
  /** one write at a time per key, so two quick repeats don't both create */
  private readonly pending = new Map<string, Promise<RecordOutcome>>();

  constructor(api: EventsApi, opts: EventRecorderOptions) {
    this.api = api;
    this.instance = opts.instance;
    this.component = opts.component ?? EVENT_COMPONENT;
    this.namespace = opts.namespace ?? "default";
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.maxEntries = Math.max(1, opts.maxEntries ?? 1000);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? noopLogger;
  }

  /** Number of remembered series (bounded by maxEntries). */
  get remembered(): number {
    return this.series.size;
  }

  record(obj: InvolvedObject, type: EventType, reason: string, message: string): Promise<RecordOutcome> {
    const msg = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = JSON.stringify([obj.apiVersion, obj.kind, obj.name, obj.uid ?? "", type, reason, msg]);
    const previous = this.pending.get(key) ?? Promise.resolve<RecordOutcome>("created");
    const next = previous.then(() => this.write(key, obj, type, reason, msg));
    this.pending.set(key, next);
    void next.finally(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
    return next;
  }

  private async write(
    key: string,
    obj: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<RecordOutcome> {
    const nowMs = this.clock.now();
    const now = new Date(nowMs);
    const existing = this.series.get(key);
    if (existing && nowMs - existing.lastMs <= this.windowMs) {
      try {
        await this.api.patchNamespacedEvent(
          {
            name: existing.eventName,
            namespace: this.namespace,
            body: { count: existing.count + 1, lastTimestamp: now.toISOString() },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        existing.count++;
        existing.lastMs = nowMs;
        this.touch(key, existing);
        return "counted";
      } catch (err) {
        // 404: the Event expired (the API server's event TTL) or was deleted: start a new one
        if (statusCodeOf(err) !== 404) return this.failed(obj, reason, "patch", err);
        this.series.delete(key);
      }
    }
    const eventName = `${obj.name}.${nowMs.toString(16)}${randomBytes(3).toString("hex")}`;
    const body: CoreV1Event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: eventName, namespace: this.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.name,
        ...(obj.uid !== undefined ? { uid: obj.uid } : {}),
        ...(obj.resourceVersion !== undefined ? { resourceVersion: obj.resourceVersion } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component, host: this.instance },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
    try {
      await this.api.createNamespacedEvent({ namespace: this.namespace, body });
    } catch (err) {
      return this.failed(obj, reason, "create", err);
    }
    this.touch(key, { eventName, count: 1, lastMs: nowMs });
    return "created";
  }

  private touch(key: string, s: Series): void {
    this.series.delete(key);
    this.series.set(key, s);
    while (this.series.size > this.maxEntries) {
      const oldest = this.series.keys().next();
      if (oldest.done) break;
      this.series.delete(oldest.value);
    }
  }

  private failed(obj: InvolvedObject, reason: string, op: string, err: unknown): RecordOutcome {
    this.log.warn(
      {
        nodeclass: obj.kind === "AKSNodeClass" ? obj.name : undefined,
        object: `${obj.kind}/${obj.name}`,
        reason,
        operation: `event-${op}`,
        err: describeError(err),
      },
      "could not record event",
    );
    return "failed";
  }
}
