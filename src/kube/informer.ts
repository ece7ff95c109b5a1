/**
 * A list+watch cache that keeps running. client-node's ListWatch (what `makeInformer` builds) resumes
 * watches from the last resourceVersion and relists on 410, but any other error — a 500, a 429, a
 * refused connection — fires `error` and stops it for good. This wrapper:
 *
 * - restarts after errors with capped exponential backoff + jitter, honouring 429 Retry-After, and
 *   ignores errors after an intentional stop;
 * - asks for watch bookmarks (ListWatch already takes their resourceVersion), so quiet watches keep a
 *   fresh resume point;
 * - runs a watchdog: when nothing (event, bookmark, list) arrived for `watchdogMs`, it forces a relist
 *   that ListWatch diffs against its cache (deletes and changes missed by a stalled watch surface;
 *   unchanged objects fire nothing);
 * - applies `transform` before caching, so the cache holds only what consumers need; with `listPage`
 *   it lists in pages (`limit` / `continue`) and transforms each page before fetching the next, so a
 *   large collection is never in memory whole (paged-list.ts);
 * - reports `hasSynced()` once the first list is in the cache.
 *
 * Restarts never overlap: every start gets a generation, and continuations of an older generation
 * (a list or reconnect delay in flight) are parked forever instead of opening a second watch.
 */
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { backoffDelay, systemClock, type Clock, type TimerHandle } from "./clock.js";
import { describeError, retryAfterMsOf, statusCodeOf } from "./errors.js";
import { listInPages, type PageFetcher } from "./paged-list.js";
import { noopLogger, type KubeLogger } from "./log.js";

/** What ListWatch needs from client-node's Watch (tests wrap the real one to inject failures). */
export interface WatchLike {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

export interface ResilientInformerOptions<T extends KubernetesObject, U extends KubernetesObject> {
  /** for logs, e.g. "aksnodeclasses" */
  name: string;
  /** collection path, e.g. /apis/karpenter.azure.com/v1beta1/aksnodeclasses or /api/v1/nodes */
  path: string;
  /** the LIST call; must apply `labelSelector` itself (ListWatch passes it to the watch only) */
  list?: (labelSelector: string | undefined) => Promise<KubernetesListObject<T>>;
  /** a paginated LIST instead of `list`: pages of `pageSize`, each transformed before the next is fetched */
  listPage?: PageFetcher<T>;
  pageSize?: number;
  kubeConfig?: KubeConfig;
  /** used instead of `new Watch(kubeConfig)` */
  watch?: WatchLike;
  labelSelector?: string;
  /**
   * keep only what consumers need; must preserve metadata.name and metadata.resourceVersion. Without
   * one, objects are cached without metadata.managedFields (no consumer reads them).
   */
  transform?: (obj: T) => U;
  /** relist when nothing arrived for this long (default 5 min) */
  watchdogMs?: number;
  backoff?: { baseMs?: number; maxMs?: number; jitter?: number };
  clock?: Clock;
  random?: () => number;
  log?: KubeLogger;
}

export interface InformerEvents<U> {
  add: (obj: U) => void;
  update: (obj: U) => void;
  delete: (obj: U) => void;
  /** an error the informer is recovering from (for metrics/logs; restarts are automatic) */
  error: (err: unknown) => void;
}

type Listeners<U> = { [K in keyof InformerEvents<U>]: Array<InformerEvents<U>[K]> };

export interface InformerStats {
  restarts: number;
  relists: number;
  /** LIST responses received (pages, with `listPage`) */
  listPages: number;
  consecutiveFailures: number;
  lastError: string | undefined;
}

/**
 * The object without metadata.managedFields: the API server's field-ownership bookkeeping, often larger
 * than the status we read, and read by nothing here (status writes are merge patches, not apply).
 */
export function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Never settles: parks a stale continuation so it can neither act nor reject. */
function parked<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export class ResilientInformer<T extends KubernetesObject, U extends KubernetesObject = T> {
  private readonly opts: ResilientInformerOptions<T, U>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: KubeLogger;
  private readonly inner: WatchLike;
  private readonly lw: ListWatch<U>;
  private readonly listeners: Listeners<U> = { add: [], update: [], delete: [], error: [] };
  private readonly backoff: { baseMs: number; maxMs: number; jitter: number };
  private readonly watchdogMs: number;
  /** what is cached of each listed or watched object */
  private readonly keep: (obj: T) => U;

  private state: "idle" | "running" | "backoff" | "stopped" = "idle";
  private generation = 0;
  private synced = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private listedInGeneration = -1;
  private lastActivityMs = 0;
  private restartTimer: TimerHandle | undefined;
  private watchdogTimer: TimerHandle | undefined;
  private current: { id: number; controller: AbortController | undefined; done: (err: unknown) => void } | undefined;
  private requestSeq = 0;
  private readonly stats_: InformerStats = {
    restarts: 0,
    relists: 0,
    listPages: 0,
    consecutiveFailures: 0,
    lastError: undefined,
  };

  constructor(opts: ResilientInformerOptions<T, U>) {
    this.opts = opts;
    this.keep = opts.transform ?? ((o: T): U => withoutManagedFields(o) as unknown as U);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? noopLogger;
    this.watchdogMs = opts.watchdogMs ?? 5 * 60_000;
    this.backoff = {
      baseMs: opts.backoff?.baseMs ?? 1_000,
      maxMs: opts.backoff?.maxMs ?? 60_000,
      jitter: opts.backoff?.jitter ?? 0.2,
    };
    if (!opts.list && !opts.listPage) throw new Error(`informer ${opts.name}: need list or listPage`);
    if (opts.watch) this.inner = opts.watch;
    else if (opts.kubeConfig) this.inner = new Watch(opts.kubeConfig);
    else throw new Error(`informer ${opts.name}: need kubeConfig or watch`);
    const gated: WatchLike = { watch: (path, query, cb, done) => this.gatedWatch(path, query, cb, done) };
    // what makeInformer does, but with our Watch (bookmarks, transform, generations) and delays
    this.lw = new ListWatch<U>(
      opts.path,
      gated as Watch,
      () => this.listForGeneration(),
      false,
      opts.labelSelector,
      undefined,
      {
        delayFn: (ms) => this.delayForGeneration(ms),
      },
    );
    this.lw.on("add", (o) => this.emit("add", o));
    this.lw.on("update", (o) => this.emit("update", o));
    this.lw.on("delete", (o) => this.emit("delete", o));
    this.lw.on("error", (err?: unknown) => this.onError(err));
  }

  on<K extends keyof InformerEvents<U>>(event: K, fn: InformerEvents<U>[K]): void {
    this.listeners[event].push(fn);
  }

  off<K extends keyof InformerEvents<U>>(event: K, fn: InformerEvents<U>[K]): void {
    const list = this.listeners[event] as Array<InformerEvents<U>[K]>;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  /** Begin list+watch in the background; see waitForSync. */
  start(): void {
    if (this.state !== "idle") return;
    this.armWatchdog();
    this.launchGeneration();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first successful list is in the cache; rejects if stopped before. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.state === "stopped")
      return Promise.reject(new Error(`informer ${this.opts.name} stopped before it synced`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  list(): U[] {
    return [...this.lw.list()];
  }

  get(name: string): U | undefined {
    return this.lw.get(name);
  }

  stats(): Readonly<InformerStats> {
    return { ...this.stats_ };
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.generation++;
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    if (this.watchdogTimer !== undefined) this.clock.clearTimeout(this.watchdogTimer);
    this.restartTimer = this.watchdogTimer = undefined;
    this.closeCurrent();
    await this.lw.stop();
    const err = new Error(`informer ${this.opts.name} stopped before it synced`);
    for (const w of this.syncWaiters.splice(0)) w.reject(err);
  }

  private emit<K extends keyof InformerEvents<U>>(event: K, ...args: Parameters<InformerEvents<U>[K]>): void {
    if (event !== "error") this.markActivity();
    for (const fn of [...this.listeners[event]]) {
      try {
        (fn as (...a: Parameters<InformerEvents<U>[K]>) => void)(...args);
      } catch (err) {
        this.log.error(
          { informer: this.opts.name, operation: `informer-${event}`, err: describeError(err) },
          "informer listener threw",
        );
      }
    }
  }

  private markActivity(): void {
    this.lastActivityMs = this.clock.now();
  }

  private launchGeneration(): void {
    this.generation++;
    this.state = "running";
    this.markActivity();
    // list failures arrive as ListWatch `error` events; a rejection here is anything else
    this.lw.start().catch((err: unknown) => this.onError(err));
  }

  private listForGeneration(): Promise<KubernetesListObject<U>> {
    const gen = this.generation;
    const startedAt = this.clock.now();
    const pagesBefore = this.stats_.listPages;
    return this.listAll().then((list) => {
      if (gen !== this.generation) return parked<KubernetesListObject<U>>();
      this.listedInGeneration = gen;
      this.stats_.relists++;
      this.markActivity();
      this.log.debug(
        {
          informer: this.opts.name,
          operation: "list",
          items: list.items.length,
          pages: this.stats_.listPages - pagesBefore,
          ms: this.clock.now() - startedAt,
        },
        "listed",
      );
      return list;
    });
  }

  private async listAll(): Promise<KubernetesListObject<U>> {
    const { listPage, list, labelSelector } = this.opts;
    const reduce = (o: T): U => this.keep(o);
    if (listPage) {
      const r = await listInPages(
        (req) => {
          this.stats_.listPages++;
          this.markActivity();
          return listPage(req);
        },
        reduce,
        {
          ...(labelSelector ? { labelSelector } : {}),
          ...(this.opts.pageSize ? { pageSize: this.opts.pageSize } : {}),
        },
      );
      return { metadata: { resourceVersion: r.resourceVersion }, items: r.items };
    }
    if (!list) throw new Error(`informer ${this.opts.name}: need list or listPage`);
    const whole = await list(labelSelector);
    this.stats_.listPages++;
    return { ...whole, items: (whole.items ?? []).map(reduce) };
  }

  private delayForGeneration(ms: number): Promise<void> {
    const gen = this.generation;
    return new Promise<void>((resolve) => {
      this.clock.setTimeout(() => {
        if (gen === this.generation) resolve();
      }, ms);
    });
  }

  private async gatedWatch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const gen = this.generation;
    if (this.state !== "running") return parked<AbortController>();
    // the list of this generation is in the cache by the time ListWatch opens the watch
    if (this.listedInGeneration === gen && !this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
    const id = ++this.requestSeq;
    let finished = false;
    const req = {
      id,
      controller: undefined as AbortController | undefined,
      done: (err: unknown) => {
        if (finished) return;
        finished = true;
        if (this.current?.id === id) this.current = undefined;
        done(err);
      },
    };
    this.current = req;
    const cb = (phase: string, obj: unknown, raw?: unknown): void => {
      if (this.current?.id !== id) return;
      this.markActivity();
      if (phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") {
        callback(phase, this.keep(obj as T), raw);
      } else {
        callback(phase, obj, raw);
      }
    };
    const innerDone = (err: unknown): void => {
      // a superseded request's end is not news
      if (this.current?.id !== id) return;
      req.done(err);
    };
    let controller: AbortController;
    try {
      controller = await this.inner.watch(path, { ...query, allowWatchBookmarks: true }, cb, innerDone);
    } catch (err) {
      // ListWatch does not catch here: report through `done` like any other watch failure
      innerDone(err);
      return new AbortController();
    }
    req.controller = controller;
    if (this.current?.id !== id || gen !== this.generation) {
      controller.abort();
      return controller;
    }
    if (!finished) {
      this.markActivity();
      this.stats_.consecutiveFailures = 0;
    }
    return controller;
  }

  /** Forget the current watch request: its late events and end are ignored. */
  private closeCurrent(): void {
    const cur = this.current;
    this.current = undefined;
    cur?.controller?.abort();
  }

  private onError(err: unknown): void {
    if (this.state !== "running") return; // stopped on purpose, or already restarting
    this.stats_.consecutiveFailures++;
    this.stats_.lastError = describeError(err);
    const retryAfter = statusCodeOf(err) === 429 ? retryAfterMsOf(err) : undefined;
    const delay = retryAfter ?? backoffDelay(this.stats_.consecutiveFailures - 1, this.backoff, this.random);
    this.log.warn(
      {
        informer: this.opts.name,
        operation: "list-watch",
        endpoint: this.opts.kubeConfig?.getCurrentCluster()?.server,
        err: this.stats_.lastError,
        retryInMs: delay,
      },
      "list/watch failed; restarting",
    );
    this.emit("error", err);
    this.restart(delay);
  }

  private restart(delayMs: number): void {
    this.state = "backoff";
    this.generation++;
    this.closeCurrent();
    void this.lw.stop();
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== "backoff") return;
      this.stats_.restarts++;
      this.launchGeneration();
    }, delayMs);
  }

  private armWatchdog(): void {
    if (this.watchdogMs <= 0) return;
    const check = (): void => {
      this.watchdogTimer = undefined;
      if (this.state === "stopped") return;
      const silentFor = this.clock.now() - this.lastActivityMs;
      if (this.state === "running" && silentFor >= this.watchdogMs) {
        this.log.info(
          { informer: this.opts.name, operation: "watchdog", silentForMs: silentFor },
          "watch silent too long; relisting",
        );
        this.forceRelist();
      }
      this.watchdogTimer = this.clock.setTimeout(
        check,
        Math.max(1_000, Math.min(this.watchdogMs, this.watchdogMs - (this.clock.now() - this.lastActivityMs))),
      );
    };
    this.watchdogTimer = this.clock.setTimeout(check, this.watchdogMs);
  }

  /** Relist and diff against the cache: through ListWatch's own 410 path when a watch is open. */
  private forceRelist(): void {
    this.markActivity();
    const cur = this.current;
    if (cur) {
      this.current = undefined;
      cur.controller?.abort();
      cur.done(Object.assign(new Error("watchdog: watch silent, relisting"), { statusCode: 410 }));
      return;
    }
    // stuck before a watch opened (e.g. a hung list): start over
    this.restart(0);
  }
}
