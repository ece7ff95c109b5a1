/**
 * Benchmark of the operator built from the same blocks as the integration tests: how its cost moves
 * with the number of nodeclasses when the number of subnets (10) and VNets (2) stays fixed. Everything
 * runs on loopback:
 *
 *   parent (this process): a real kube-apiserver + etcd (hack/control-plane.ts, temp dir, stopped by
 *     PID at the end), one ARM simulator per scenario (src/sim), the nodeclasses, a watch that notes
 *     when every nodeclass first has SubnetReady=True, and the measurements;
 *   child (this file with --child, one per scenario): only the operator (startOperator from
 *     src/operator/run.ts with a SimTokenCredential for the operator's oid), so its RSS and
 *     event-loop lag are the operator's own. It answers "stats" over the IPC channel. By default the
 *     child runs as plain JavaScript compiled by tsc into a temp dir (as `node dist/...` runs in the
 *     image; tsx alone adds ~100 MiB of RSS) with --max-old-space-size=192 as in
 *     manifests/deployment.yaml.
 *
 * Per scenario: time from operator start to the first full report (all SubnetReady=True), ARM requests
 * until then, ARM requests of one resync (simulator counters between two idle gaps of the work queue),
 * API-server status writes in the next (quiet) resync, and the child's RSS, heap and event-loop lag
 * from its /metrics. Printed as raw numbers and as ratios to the first size: ratios measured in one
 * run on one machine, not absolute claims.
 *
 * Usage: npx tsx hack/benchmark.ts [--sizes 50,200,800] [--resync 10s] [--no-throttle] [--json FILE]
 *          [--tsx] (run the child under tsx instead of compiling it)
 *          [--child-node-options "--max-old-space-size=192"] [--log-level error]
 */
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CustomObjectsApi, KubeConfig, Watch } from "@kubernetes/client-node";
import { resolveOptions } from "../src/config/options.js";
import { AKSNODECLASS, CONDITION_PREFIX } from "../src/domain.js";
import { createLogger } from "../src/log.js";
import { startOperator } from "../src/operator/run.js";
import { GENERATED_CLUSTER_NETWORK_FLAGS, generatedTopology } from "../src/sim/generated-topology.js";
import { SimTokenCredential, startSimulator, type Counters, type RunningSimulator } from "../src/sim/index.js";
import { startControlPlane, stopControlPlane, type ControlPlaneState } from "./control-plane.js";

const OPERATOR_OID = "22222222-2222-2222-2222-222222222222";
const KARPENTER_OID = "11111111-1111-1111-1111-111111111111";
const SUBSCRIPTION = "00000000-0000-0000-0000-0000000000be";
const RG = "rg-bench";
const VNETS = ["vnet-a", "vnet-b"] as const;
const SUBNETS_PER_VNET = 5;
const PAGE_SIZE = 2;
const LABEL_KEY = "aks-subnet-health-bench";
const METRIC_PREFIX = "aks_subnet_health_";

const { topology: TOPOLOGY, subnetIds: SUBNET_IDS } = generatedTopology({
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RG,
  vnets: VNETS,
  subnetsPerVnet: SUBNETS_PER_VNET,
  pageSize: PAGE_SIZE,
  operatorPrincipalId: OPERATOR_OID,
  karpenterPrincipalId: KARPENTER_OID,
});

// ---------------------------------------------------------------------------------------------- child

interface ChildConfig {
  kubeconfig: string;
  flags: Record<string, unknown>;
}

interface ChildStats {
  reconciles: number;
  writes: number;
  conflicts: number;
  events: number;
  queued: number;
  processing: number;
  delayed: number;
  /** peak resident set size of the child so far */
  maxRssBytes: number;
  memory: NodeJS.MemoryUsage;
  /** Linux: anonymous vs file-backed resident memory (file pages are reclaimable under a cgroup limit) */
  rssAnonBytes: number | undefined;
  rssFileBytes: number | undefined;
}

/** RssAnon / RssFile from /proc/self/status (Linux), in bytes. */
function residentSplit(): { rssAnonBytes: number | undefined; rssFileBytes: number | undefined } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kib = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rssAnonBytes: kib("RssAnon"), rssFileBytes: kib("RssFile") };
  } catch {
    return { rssAnonBytes: undefined, rssFileBytes: undefined };
  }
}

type ParentMessage = { cmd: "stats"; id: number } | { cmd: "stop" };
type ChildMessage =
  | { type: "started"; metricsUrl: string; startedAt: number }
  | { type: "stats"; id: number; stats: ChildStats }
  | { type: "error"; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

async function runChild(): Promise<void> {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (!raw) throw new Error("BENCH_CHILD_CONFIG is not set");
  const cfg = JSON.parse(raw) as ChildConfig;
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  const kc = new KubeConfig();
  kc.loadFromFile(cfg.kubeconfig);
  const options = resolveOptions(cfg.flags, {});
  const startedAt = Date.now();
  const op = await startOperator(options, {
    kubeConfig: kc,
    credential: new SimTokenCredential({ oid: OPERATOR_OID }),
    log: createLogger(options.logLevel),
  });
  send({ type: "started", metricsUrl: op.metricsUrl, startedAt });
  let stopping = false;
  process.on("message", (m: unknown) => {
    if (!isRecord(m)) return;
    const msg = m as ParentMessage;
    if (msg.cmd === "stats") {
      const c = op.controller;
      send({
        type: "stats",
        id: msg.id,
        stats: {
          ...c.stats,
          queued: c.queue.size,
          processing: c.queue.processing,
          delayed: c.queue.delayedCount,
          maxRssBytes: process.resourceUsage().maxRSS * 1024,
          memory: process.memoryUsage(),
          ...residentSplit(),
        },
      });
    } else if (msg.cmd === "stop" && !stopping) {
      stopping = true;
      op.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  // the parent going away must not leave an operator behind
  process.on("disconnect", () => {
    if (!stopping) void op.stop().finally(() => process.exit(0));
  });
}

// --------------------------------------------------------------------------------------------- parent

const thisFile = fileURLToPath(import.meta.url);

async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `fn` until it returns a value, at most `timeoutMs`. */
async function until<T>(
  what: string,
  timeoutMs: number,
  intervalMs: number,
  fn: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

class OperatorChild {
  private seq = 0;
  private readonly pending = new Map<number, (s: ChildStats) => void>();
  readonly started: Promise<{ metricsUrl: string; startedAt: number }>;
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.started = new Promise((resolve, reject) => {
      child.on("message", (m: unknown) => {
        if (!isRecord(m)) return;
        const msg = m as ChildMessage;
        if (msg.type === "started") resolve({ metricsUrl: msg.metricsUrl, startedAt: msg.startedAt });
        else if (msg.type === "error") reject(new Error(`operator child: ${msg.message}`));
        else if (msg.type === "stats") {
          this.pending.get(msg.id)?.(msg.stats);
          this.pending.delete(msg.id);
        }
      });
      child.once("exit", (code) => reject(new Error(`operator child exited (${code}) before it started`)));
    });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  stats(): Promise<ChildStats> {
    const id = ++this.seq;
    const p = new Promise<ChildStats>((resolve) => this.pending.set(id, resolve));
    this.child.send({ cmd: "stats", id } satisfies ParentMessage);
    return within("operator stats", 5_000, p);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ cmd: "stop" } satisfies ParentMessage);
    try {
      await within("operator shutdown", 30_000, this.exited);
    } catch {
      if (this.child.pid !== undefined) process.kill(this.child.pid, "SIGKILL");
      await within("operator kill", 5_000, this.exited);
    }
  }
}

interface ChildLaunch {
  /** the script to fork with --child */
  script: string;
  execArgv: string[];
}

function startChild(launch: ChildLaunch, cfg: ChildConfig): OperatorChild {
  const child = fork(launch.script, ["--child"], {
    execArgv: launch.execArgv,
    env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(cfg) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new OperatorChild(child);
}

/** Sum of a metric's samples whose labels include `labels` (text exposition). */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[part[1] ?? ""] = part[2] ?? "";
    if (!Object.entries(labels).every(([k, v]) => got[k] === v)) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  const res = await within("scrape /metrics", 10_000, fetch(url));
  return res.text();
}

/** One scrape, timed: what a Prometheus scrape costs at this size. */
async function timedScrape(url: string): Promise<{ text: string; ms: number; kib: number }> {
  const t = performance.now();
  const text = await scrape(url);
  return { text, ms: Math.round(performance.now() - t), kib: Math.round(Buffer.byteLength(text) / 1024) };
}

function readyOf(obj: unknown): { name: string; ready: boolean } | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata) || typeof obj.metadata.name !== "string") return undefined;
  const status = isRecord(obj.status) ? obj.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.some(
    (c: unknown) => isRecord(c) && c.type === `${CONDITION_PREFIX}SubnetReady` && c.status === "True",
  );
  return { name: obj.metadata.name, ready };
}

/**
 * Watches the scenario's nodeclasses and resolves with the time at which all `n` first had
 * SubnetReady=True. A watch costs the operator nothing and has no polling granularity.
 */
async function watchUntilAllReady(
  kc: KubeConfig,
  label: string,
  n: number,
  timeoutMs: number,
): Promise<{ done: Promise<number>; stop: () => void }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  const list = (await api.listClusterCustomObject({ ...base, labelSelector: `${LABEL_KEY}=${label}` })) as {
    items?: unknown[];
    metadata?: { resourceVersion?: string };
  };
  const ready = new Set<string>();
  for (const o of list.items ?? []) {
    const r = readyOf(o);
    if (r?.ready) ready.add(r.name);
  }
  let resolveDone!: (t: number) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const timer = setTimeout(
    () => rejectDone(new Error(`timed out after ${timeoutMs} ms: ${ready.size}/${n} nodeclasses SubnetReady=True`)),
    timeoutMs,
  );
  const check = (): void => {
    if (ready.size >= n) {
      clearTimeout(timer);
      resolveDone(Date.now());
    }
  };
  const controller = await new Watch(kc).watch(
    `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
    { labelSelector: `${LABEL_KEY}=${label}`, resourceVersion: list.metadata?.resourceVersion },
    (phase: string, obj: unknown) => {
      const r = readyOf(obj);
      if (!r) return;
      if (phase !== "DELETED" && r.ready) ready.add(r.name);
      else ready.delete(r.name);
      check();
    },
    (err: unknown) => {
      if (ready.size < n)
        rejectDone(new Error(`watch ended before all were ready (${ready.size}/${n}): ${String(err)}`));
    },
  );
  check();
  return {
    done,
    stop: () => {
      clearTimeout(timer);
      controller.abort();
    },
  };
}

function perOperation(c: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(c.byOperation)) if (n > 0) out[op] = n;
  return out;
}

function count429(c: Counters): number {
  let n = 0;
  for (const byStatus of Object.values(c.byOperationStatus)) n += byStatus["429"] ?? 0;
  return n;
}

interface Scenario {
  name: string;
  n: number;
  /** the simulator's per-caller read bucket (default ARM's 250 / 25 per s) */
  simBucket?: { capacity: number; refillPerSecond: number };
  /** extra operator flags */
  flags?: Record<string, unknown>;
}

interface ScenarioResult {
  name: string;
  n: number;
  firstReportMs: number;
  armToFirstReport: number;
  throttled429ToFirstReport: number;
  armPerResync: number;
  armPerResyncOps: Record<string, number>;
  throttled429PerResync: number;
  resyncBurstMs: number;
  writesToFirstReport: number;
  writesFirstResync: number;
  writesQuietResync: number;
  operatorThrottledTotal: number;
  rssMiB: number;
  peakRssMiB: number;
  heapUsedMiB: number;
  /** process.memoryUsage() of the child after the quiet resync, MiB */
  memoryMiB: {
    rss: number;
    rssAnon: number | undefined;
    rssFile: number | undefined;
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
  };
  scrapeMs: number;
  scrapeKiB: number;
  lagP99FirstReportMs: number;
  lagMaxFirstReportMs: number;
  lagP99SteadyMs: number;
  lagMaxSteadyMs: number;
}

interface Env {
  launch: ChildLaunch;
  cp: ControlPlaneState;
  kc: KubeConfig;
  resync: string;
  vnetTtl: string;
  logLevel: string;
}

async function createNodeClasses(api: CustomObjectsApi, label: string, n: number): Promise<void> {
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  for (let start = 0; start < n; start += 25) {
    const batch = Array.from({ length: Math.min(25, n - start) }, (_, k) => start + k);
    await Promise.all(
      batch.map((i) =>
        api.createClusterCustomObject({
          ...base,
          body: {
            apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
            kind: AKSNODECLASS.kind,
            metadata: { name: `${label}-${String(i).padStart(4, "0")}`, labels: { [LABEL_KEY]: label } },
            spec: { vnetSubnetID: SUBNET_IDS[i % SUBNET_IDS.length] },
          },
        }),
      ),
    );
  }
}

async function deleteNodeClasses(api: CustomObjectsApi, label: string): Promise<void> {
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  await api.deleteCollectionClusterCustomObject({ ...base, labelSelector: `${LABEL_KEY}=${label}` });
  await until(`nodeclasses of ${label} deleted`, 60_000, 250, async () => {
    const list = (await api.listClusterCustomObject({ ...base, labelSelector: `${LABEL_KEY}=${label}`, limit: 1 })) as {
      items?: unknown[];
    };
    return (list.items ?? []).length === 0 ? true : undefined;
  });
}

const idle = (s: ChildStats): boolean => s.queued === 0 && s.processing === 0 && s.delayed === 0;

/**
 * Waits for an idle gap between resyncs, runs `atStart` inside it (retrying at the next gap if a
 * reconcile began meanwhile), then waits until all `n` nodeclasses were reconciled again and the
 * queue is idle: exactly one resync lies between the two.
 */
async function oneResync(
  op: OperatorChild,
  n: number,
  timeoutMs: number,
  atStart: () => Promise<void>,
): Promise<{ before: ChildStats; after: ChildStats; burstMs: number }> {
  const before = await until("an idle gap between resyncs", timeoutMs, 50, async () => {
    const s = await op.stats();
    if (!idle(s)) return undefined;
    await atStart();
    const again = await op.stats();
    return idle(again) && again.reconciles === s.reconciles ? again : undefined;
  });
  let burstStart: number | undefined;
  const after = await until(`one resync of ${n} nodeclasses`, timeoutMs, 20, async () => {
    const s = await op.stats();
    if (burstStart === undefined && s.reconciles > before.reconciles) burstStart = Date.now();
    return s.reconciles >= before.reconciles + n && idle(s) ? s : undefined;
  });
  return { before, after, burstMs: Date.now() - (burstStart ?? Date.now()) };
}

const mib = (bytes: number | undefined): number => Math.round(((bytes ?? 0) / 1024 / 1024) * 10) / 10;
const ms = (seconds: number | undefined): number => Math.round((seconds ?? 0) * 1000 * 10) / 10;

async function runScenario(env: Env, sc: Scenario): Promise<ScenarioResult> {
  const label = `b${randomBytes(3).toString("hex")}-${sc.name.replace(/[^a-z0-9-]/g, "")}`.slice(0, 40);
  const api = env.kc.makeApiClient(CustomObjectsApi);
  let sim: RunningSimulator | undefined;
  let op: OperatorChild | undefined;
  let stopWatch: (() => void) | undefined;
  const resyncMs = resolveOptions({ resyncPeriod: env.resync }, {}).resyncPeriod;
  try {
    sim = await startSimulator({ topology: TOPOLOGY, ...(sc.simBucket ? { readBucket: sc.simBucket } : {}) });
    process.stderr.write(`[${sc.name}] creating ${sc.n} nodeclasses\n`);
    await createNodeClasses(api, label, sc.n);
    const watch = await watchUntilAllReady(env.kc, label, sc.n, 240_000);
    stopWatch = watch.stop;
    await sim.admin.resetCounters();

    op = startChild(env.launch, {
      kubeconfig: env.cp.kubeconfig,
      flags: {
        armEndpoint: sim.url,
        azureCaFile: sim.caFile,
        metricsBindAddress: "127.0.0.1:0",
        healthProbeBindAddress: "127.0.0.1:0",
        nodeclassSelector: `${LABEL_KEY}=${label}`,
        podName: `bench-${label}`,
        logLevel: env.logLevel,
        ...GENERATED_CLUSTER_NETWORK_FLAGS,
        karpenterPrincipalId: KARPENTER_OID,
        resyncPeriod: env.resync,
        vnetCacheTtl: env.vnetTtl,
        ...sc.flags,
      },
    });
    const { metricsUrl, startedAt } = await within("operator start", 60_000, op.started);
    process.stderr.write(`[${sc.name}] operator started; waiting for the first full report\n`);
    const readyAt = await watch.done;
    watch.stop();
    stopWatch = undefined;
    const firstWindow = await scrape(metricsUrl); // lag histogram: since start; reading it resets it
    const toFirst = await sim.admin.counters();
    const statsAtFirst = await op.stats();

    process.stderr.write(`[${sc.name}] all SubnetReady after ${readyAt - startedAt} ms; measuring one resync\n`);
    // a resync starts every resyncMs; give each wait two periods plus the slowest burst
    const resyncTimeout = 2 * resyncMs + 60_000;
    // the first resync after the report may still find the VNet data the report fetched fresh, so ARM
    // cost is measured on the resync after it (each VNet read is then a full period old)
    const first = await oneResync(op, sc.n, resyncTimeout, async () => undefined);
    const measured = await oneResync(op, sc.n, resyncTimeout, () => sim!.admin.resetCounters());
    const perResync = await sim.admin.counters();
    const quiet = measured;
    const steady = await scrape(metricsUrl);
    // a second scrape right away: its duration is the scrape's own cost (nothing else is running)
    const timed = await timedScrape(metricsUrl);
    const final = await op.stats();

    return {
      name: sc.name,
      n: sc.n,
      firstReportMs: readyAt - startedAt,
      armToFirstReport: toFirst.total,
      throttled429ToFirstReport: count429(toFirst),
      armPerResync: perResync.total,
      armPerResyncOps: perOperation(perResync),
      throttled429PerResync: count429(perResync),
      resyncBurstMs: measured.burstMs,
      writesToFirstReport: statsAtFirst.writes,
      writesFirstResync: first.after.writes - first.before.writes,
      writesQuietResync: quiet.after.writes - quiet.before.writes,
      operatorThrottledTotal: metricValue(steady, `${METRIC_PREFIX}azure_throttled_total`) ?? 0,
      rssMiB: mib(metricValue(steady, `${METRIC_PREFIX}process_resident_memory_bytes`)),
      peakRssMiB: mib(final.maxRssBytes),
      memoryMiB: {
        rss: mib(final.memory.rss),
        rssAnon: final.rssAnonBytes === undefined ? undefined : mib(final.rssAnonBytes),
        rssFile: final.rssFileBytes === undefined ? undefined : mib(final.rssFileBytes),
        heapTotal: mib(final.memory.heapTotal),
        heapUsed: mib(final.memory.heapUsed),
        external: mib(final.memory.external),
        arrayBuffers: mib(final.memory.arrayBuffers),
      },
      scrapeMs: timed.ms,
      scrapeKiB: timed.kib,
      heapUsedMiB: mib(metricValue(steady, `${METRIC_PREFIX}nodejs_heap_size_used_bytes`)),
      lagP99FirstReportMs: ms(metricValue(firstWindow, `${METRIC_PREFIX}nodejs_eventloop_lag_p99_seconds`)),
      lagMaxFirstReportMs: ms(metricValue(firstWindow, `${METRIC_PREFIX}nodejs_eventloop_lag_max_seconds`)),
      lagP99SteadyMs: ms(metricValue(steady, `${METRIC_PREFIX}nodejs_eventloop_lag_p99_seconds`)),
      lagMaxSteadyMs: ms(metricValue(steady, `${METRIC_PREFIX}nodejs_eventloop_lag_max_seconds`)),
    };
  } finally {
    stopWatch?.();
    await op
      ?.stop()
      .catch((err: unknown) => process.stderr.write(`[${sc.name}] stopping the operator: ${String(err)}\n`));
    await deleteNodeClasses(api, label).catch((err: unknown) =>
      process.stderr.write(`[${sc.name}] cleanup: ${String(err)}\n`),
    );
    await sim?.close();
  }
}

function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? "—" : "∞";
  return `${(a / b).toFixed(2)}×`;
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function report(
  results: ScenarioResult[],
  scaling: ScenarioResult[],
  throttled: ScenarioResult[],
  resync: string,
  child: string,
): string {
  const out: string[] = [];
  const cpu = cpus();
  out.push(
    `machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; resync ${resync}; 10 subnets in 2 VNets; operator: ${child}`,
  );
  out.push("");
  if (scaling.length > 0) {
    const base = scaling[0]!;
    out.push(`Ratios to N=${base.n} (one run):`);
    out.push("");
    out.push(
      table(
        [
          "N",
          "nodeclasses",
          "first full report",
          "ARM req to first report",
          "ARM req / resync",
          "writes / quiet resync",
          "RSS",
          "peak RSS",
          "heap used",
          "lag p99 (first report)",
          "/metrics size",
        ],
        scaling.map((r) => [
          r.n,
          ratio(r.n, base.n),
          ratio(r.firstReportMs, base.firstReportMs),
          ratio(r.armToFirstReport, base.armToFirstReport),
          ratio(r.armPerResync, base.armPerResync),
          ratio(r.writesQuietResync, base.writesQuietResync),
          ratio(r.rssMiB, base.rssMiB),
          ratio(r.peakRssMiB, base.peakRssMiB),
          ratio(r.heapUsedMiB, base.heapUsedMiB),
          ratio(r.lagP99FirstReportMs, base.lagP99FirstReportMs),
          ratio(r.scrapeKiB, base.scrapeKiB),
        ]),
      ),
    );
    out.push("");
  }
  out.push("Raw numbers:");
  out.push("");
  out.push(
    table(
      [
        "scenario",
        "N",
        "first full report ms",
        "ARM req to first report",
        "429s to first report",
        "ARM req / resync",
        "resync burst ms",
        "writes to first report",
        "writes 1st resync",
        "writes quiet resync",
        "RSS / peak MiB",
        "heap MiB",
        "lag p99 / max ms (first report)",
        "lag p99 / max ms (steady)",
        "/metrics KiB / ms",
      ],
      results.map((r) => [
        r.name,
        r.n,
        r.firstReportMs,
        r.armToFirstReport,
        r.throttled429ToFirstReport,
        r.armPerResync,
        r.resyncBurstMs,
        r.writesToFirstReport,
        r.writesFirstResync,
        r.writesQuietResync,
        `${r.rssMiB} / ${r.peakRssMiB}`,
        r.heapUsedMiB,
        `${r.lagP99FirstReportMs} / ${r.lagMaxFirstReportMs}`,
        `${r.lagP99SteadyMs} / ${r.lagMaxSteadyMs}`,
        `${r.scrapeKiB} / ${r.scrapeMs}`,
      ]),
    ),
  );
  out.push("");
  out.push("Operator memory after the quiet resync (process.memoryUsage(), MiB):");
  out.push("");
  out.push(
    table(
      [
        "scenario",
        "rss",
        "of which anonymous",
        "of which file-backed",
        "heap total",
        "heap used",
        "external",
        "array buffers",
      ],
      results.map((r) => [
        r.name,
        r.memoryMiB.rss,
        r.memoryMiB.rssAnon ?? "n/a",
        r.memoryMiB.rssFile ?? "n/a",
        r.memoryMiB.heapTotal,
        r.memoryMiB.heapUsed,
        r.memoryMiB.external,
        r.memoryMiB.arrayBuffers,
      ]),
    ),
  );
  out.push("");
  out.push("ARM requests of one resync, by operation:");
  out.push("");
  for (const r of results)
    out.push(
      `- ${r.name}: ${
        Object.entries(r.armPerResyncOps)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }`,
    );
  if (throttled.length > 0) {
    out.push("");
    out.push("Throttling (simulator read bucket 20 tokens, 5/s):");
    out.push("");
    out.push(
      table(
        [
          "scenario",
          "N",
          "first full report ms",
          "ARM req to first report",
          "429s to first report",
          "429s in one resync",
          "operator azure_throttled_total",
        ],
        throttled.map((r) => [
          r.name,
          r.n,
          r.firstReportMs,
          r.armToFirstReport,
          r.throttled429ToFirstReport,
          r.throttled429PerResync,
          r.operatorThrottledTotal,
        ]),
      ),
    );
  }
  return out.join("\n");
}

interface Args {
  sizes: number[];
  resync: string;
  throttle: boolean;
  json: string | undefined;
  logLevel: string;
  tsx: boolean;
  childNodeOptions: string[];
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (get("--sizes") ?? "50,200,800").split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5_000))
    throw new Error("--sizes: comma-separated integers between 1 and 5000");
  return {
    sizes,
    resync: get("--resync") ?? "10s",
    throttle: !argv.includes("--no-throttle"),
    json: get("--json"),
    logLevel: get("--log-level") ?? "error",
    tsx: argv.includes("--tsx"),
    childNodeOptions: (get("--child-node-options") ?? "--max-old-space-size=192").split(/\s+/).filter(Boolean),
  };
}

const repoRoot = path.resolve(path.dirname(thisFile), "..");

/**
 * Compiles this file and everything it imports (src/, hack/control-plane.ts) with tsc into `outDir`,
 * which gets a node_modules link and package.json so imports and the version lookup resolve.
 */
function compileChild(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(outDir, "node_modules"), "dir");
  copyFileSync(path.join(repoRoot, "package.json"), path.join(outDir, "package.json"));
  const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const flags = [
    "--outDir",
    outDir,
    "--rootDir",
    repoRoot,
    "--target",
    "ES2024",
    "--module",
    "NodeNext",
    "--moduleResolution",
    "NodeNext",
  ];
  const more = ["--strict", "--skipLibCheck", "--esModuleInterop", "--resolveJsonModule", "--types", "node"];
  // type errors still emit JavaScript (someone else's work in progress must not stop a benchmark)
  const res = spawnSync(process.execPath, [tsc, ...flags, ...more, path.join(repoRoot, "hack", "benchmark.ts")], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const script = path.join(outDir, "hack", "benchmark.js");
  if (!existsSync(script))
    throw new Error(`tsc produced no ${script}: ${res.error?.message ?? ""}${res.stdout}${res.stderr}`);
  if (res.status !== 0) {
    const errors = res.stdout.split("\n").filter((l) => / error TS\d+/.test(l));
    process.stderr.write(
      `tsc reported ${errors.length} type error(s); JavaScript emitted anyway:\n${errors.slice(0, 5).join("\n")}\n`,
    );
  }
  return script;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const resyncMs = resolveOptions({ resyncPeriod: args.resync }, {}).resyncPeriod;
  // the VNet cache must outlive a resync burst (else one resync reads a VNet several times) and
  // expire before the next resync (else a resync reads nothing)
  const vnetTtl = `${Math.round(resyncMs * 0.7)}ms`;
  const dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-bench-"));
  let cp: ControlPlaneState | undefined;
  const cleanup = (): void => {
    if (cp) stopControlPlane(cp);
    cp = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    process.stderr.write(`starting a control plane in ${dir}\n`);
    cp = await startControlPlane({ dir: path.join(dir, "control-plane"), crd: "ours" });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    let launch: ChildLaunch;
    if (args.tsx) {
      launch = { script: thisFile, execArgv: [...process.execArgv, ...args.childNodeOptions] };
    } else {
      process.stderr.write("compiling the operator child with tsc\n");
      const outDir = path.join(dir, "build");
      launch = { script: compileChild(outDir), execArgv: args.childNodeOptions };
    }
    const childText = `${args.tsx ? "tsx" : "tsc-compiled JavaScript"}${args.childNodeOptions.length > 0 ? `, node ${args.childNodeOptions.join(" ")}` : ""}`;
    const env: Env = { launch, cp, kc, resync: args.resync, vnetTtl, logLevel: args.logLevel };
    const scaling: ScenarioResult[] = [];
    for (const n of args.sizes) scaling.push(await runScenario(env, { name: `N=${n}`, n }));
    const throttled: ScenarioResult[] = [];
    if (args.throttle) {
      const simBucket = { capacity: 20, refillPerSecond: 5 };
      const n = Math.max(...args.sizes);
      throttled.push(await runScenario(env, { name: `throttled, default limiter (250, 25/s)`, n, simBucket }));
      throttled.push(
        await runScenario(env, {
          name: `throttled, limiter 20, 5/s`,
          n,
          simBucket,
          flags: { armReadBucket: 20, armReadRefill: 5 },
        }),
      );
    }
    const results = [...scaling, ...throttled];
    const text = report(results, scaling, throttled, args.resync, childText);
    process.stdout.write(`${text}\n`);
    if (args.json)
      writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), resync: args.resync, results }, null, 2));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  }
}

if (process.argv.includes("--child")) {
  runChild().catch((err: unknown) => {
    process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) } satisfies ChildMessage);
    process.exit(1);
  });
} else if (path.resolve(process.argv[1] ?? "") === thisFile) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
