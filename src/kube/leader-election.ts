/**
 * Lease-based leader election on coordination.k8s.io/v1, following client-go's leaderelection:
 *
 * - Every retry period a candidate GETs the Lease; a lease held by someone else counts as valid until
 *   leaseDuration has passed since *we first saw its current renewal* (local clock, so clock skew
 *   between replicas does not matter). Writes are replaces carrying resourceVersion: two candidates
 *   racing get one 409.
 * - The leader renews every retry period. If no renewal succeeded for renewDeadline (< leaseDuration)
 *   it stops leading — aborts the signal given to onStartedLeading — before any other replica can
 *   consider the lease expired.
 * - stop() stops leading first, then releases the lease (empty holder) so a standby takes over at its
 *   next retry instead of waiting out the lease.
 */
import { V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { sleep, systemClock, type Clock, type TimerHandle } from "./clock.js";
import { describeError, statusCodeOf } from "./errors.js";
import { noopLogger, type KubeLogger } from "./log.js";

/** The three CoordinationV1Api calls the elector makes. */
export interface LeaseApi {
  readNamespacedLease(param: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(param: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(param: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

export interface LeaderElectorOptions {
  api: LeaseApi;
  namespace: string;
  /** Lease name, e.g. "aks-subnet-health" */
  name: string;
  /** unique per replica: the pod name */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  /** runs when we become leader; `signal` aborts when we stop leading */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading: () => void;
  /** told whenever the observed holder changes (including to ourselves) */
  onNewLeader?: (identity: string | undefined) => void;
  clock?: Clock;
  random?: () => number;
  log?: KubeLogger;
}

function toMs(t: unknown): number | undefined {
  if (t instanceof Date) return t.getTime();
  if (typeof t === "string") {
    const ms = Date.parse(t);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

export class LeaderElector {
  private readonly opts: Required<
    Pick<LeaderElectorOptions, "leaseDurationSeconds" | "renewDeadlineSeconds" | "retryPeriodSeconds">
  > &
    LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: KubeLogger;
  private leading: AbortController | undefined;
  private lastRenewMs = 0;
  private deadlineTimer: TimerHandle | undefined;
  /** the lease as last read and when we first saw that version of it (local clock) */
  private observed: { holder: string | undefined; renewKey: string; atMs: number } | undefined;
  private loopStop: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastHolder: string | undefined;

  constructor(opts: LeaderElectorOptions) {
    const leaseDurationSeconds = opts.leaseDurationSeconds ?? 15;
    const renewDeadlineSeconds = opts.renewDeadlineSeconds ?? 10;
    const retryPeriodSeconds = opts.retryPeriodSeconds ?? 2;
    if (!(leaseDurationSeconds > renewDeadlineSeconds && renewDeadlineSeconds > retryPeriodSeconds * 1.2)) {
      throw new Error(
        `leader election ${opts.namespace}/${opts.name}: need leaseDuration > renewDeadline > 1.2 × retryPeriod (got ${leaseDurationSeconds}/${renewDeadlineSeconds}/${retryPeriodSeconds})`,
      );
    }
    this.opts = { ...opts, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? noopLogger;
  }

  isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Identity of the holder as last observed (undefined when free or not yet read). */
  get leader(): string | undefined {
    return this.lastHolder;
  }

  /** Start campaigning (idempotent). */
  start(): void {
    if (this.loop) return;
    const stop = new AbortController();
    this.loopStop = stop;
    this.loop = this.run(stop.signal);
  }

  /** Stop leading (signal aborted, onStoppedLeading called), then release the lease if we hold it. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.loopStop?.abort();
    this.stepDown("stopping");
    await loop;
    this.loop = undefined;
    // also after a lost renewal deadline: the lease may still name us
    await this.release();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const retryMs = this.opts.retryPeriodSeconds * 1000;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.withTimeout(this.tryAcquireOrRenew(), this.opts.renewDeadlineSeconds * 1000);
      } catch (err) {
        this.log.warn(
          { operation: "leader-election", lease: `${this.opts.namespace}/${this.opts.name}`, err: describeError(err) },
          "could not acquire or renew the lease",
        );
      }
      if (signal.aborted) break;
      if (ok) {
        this.lastRenewMs = this.clock.now();
        if (!this.leading) this.becomeLeader();
        this.armDeadline();
      } else if (this.leading && this.observed?.holder !== undefined && this.observed.holder !== this.opts.identity) {
        this.stepDown(`lease taken by ${this.observed.holder}`);
      }
      // jitter only while campaigning: spreads candidates; the leader renews on a steady beat
      const wait = this.leading ? retryMs : retryMs * (1 + 0.2 * this.random());
      await sleep(this.clock, wait, signal);
    }
  }

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let handle: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      handle = this.clock.setTimeout(() => reject(new Error(`lease request timed out after ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => {
      if (handle !== undefined) this.clock.clearTimeout(handle);
    });
  }

  private becomeLeader(): void {
    const controller = new AbortController();
    this.leading = controller;
    this.log.info({ operation: "leader-election", identity: this.opts.identity }, "started leading");
    void Promise.resolve()
      .then(() => this.opts.onStartedLeading(controller.signal))
      .catch((err: unknown) =>
        this.log.error({ operation: "leader-election", err: describeError(err) }, "onStartedLeading failed"),
      );
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    const due = this.lastRenewMs + this.opts.renewDeadlineSeconds * 1000 - this.clock.now();
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.stepDown(`no successful renewal for ${this.opts.renewDeadlineSeconds}s`);
      },
      Math.max(0, due),
    );
  }

  private stepDown(why: string): void {
    if (this.deadlineTimer !== undefined) {
      this.clock.clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
    const leading = this.leading;
    if (!leading) return;
    this.leading = undefined;
    this.log.warn({ operation: "leader-election", identity: this.opts.identity, reason: why }, "stopped leading");
    leading.abort(new Error(`leadership lost: ${why}`));
    try {
      this.opts.onStoppedLeading();
    } catch (err) {
      this.log.error({ operation: "leader-election", err: describeError(err) }, "onStoppedLeading failed");
    }
  }

  private observe(lease: V1Lease): void {
    const holder = lease.spec?.holderIdentity || undefined;
    const renewKey = `${holder ?? ""}|${lease.metadata?.resourceVersion ?? ""}`;
    if (!this.observed || this.observed.renewKey !== renewKey)
      this.observed = { holder, renewKey, atMs: this.clock.now() };
    if (holder !== this.lastHolder) {
      this.lastHolder = holder;
      this.opts.onNewLeader?.(holder);
    }
  }

  private spec(previous: V1Lease | undefined): V1Lease["spec"] {
    const now = new V1MicroTime(this.clock.now());
    const ours = previous?.spec?.holderIdentity === this.opts.identity;
    const acquired = ours ? toMs(previous?.spec?.acquireTime) : undefined;
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationSeconds,
      acquireTime: acquired !== undefined ? new V1MicroTime(acquired) : now,
      renewTime: now,
      leaseTransitions: (previous?.spec?.leaseTransitions ?? 0) + (ours || previous === undefined ? 0 : 1),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.opts;
    let current: V1Lease;
    try {
      current = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
      try {
        const created = await api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.spec(undefined) },
        });
        this.observe(created);
        return true;
      } catch (createErr) {
        if (statusCodeOf(createErr) === 409) return false; // another candidate created it first
        throw createErr;
      }
    }
    this.observe(current);
    const holder = current.spec?.holderIdentity || undefined;
    if (holder !== undefined && holder !== identity) {
      const duration = (current.spec?.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000;
      if (this.observed && this.observed.atMs + duration > this.clock.now()) return false;
    }
    try {
      const replaced = await api.replaceNamespacedLease({
        name,
        namespace,
        body: { metadata: { ...current.metadata, name, namespace }, spec: this.spec(current) },
      });
      this.observe(replaced);
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 409) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { api, namespace, name, identity } = this.opts;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const current = await api.readNamespacedLease({ name, namespace });
        if (current.spec?.holderIdentity !== identity) return;
        const now = new V1MicroTime(this.clock.now());
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            metadata: current.metadata,
            spec: {
              holderIdentity: "",
              leaseDurationSeconds: 1,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: current.spec?.leaseTransitions ?? 0,
            },
          },
        });
        this.log.info({ operation: "leader-election", identity }, "released the lease");
        return;
      } catch (err) {
        if (statusCodeOf(err) === 409) continue;
        this.log.warn(
          { operation: "leader-election", err: describeError(err) },
          "could not release the lease; standbys take over when it expires",
        );
        return;
      }
    }
  }
}
