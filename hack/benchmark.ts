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
 *     image; tsx alone adds ~100 MiB of RSS) with the shipped memory settings: the heap cap of
 *     manifests/deployment.yaml and the image's Node flags and environment (RUNTIME_NODE_FLAGS,
 *     RUNTIME_ENV in src/config/memory-sizing.ts); --no-runtime-settings leaves the latter out.
 *
 * Per scenario: time from operator start to the first full report (all SubnetReady=True), ARM requests
 * until then, ARM requests of one resync (simulator counters between two idle gaps of the work queue),
 * API-server status writes in the next (quiet) resync, and the child's RSS, heap and event-loop lag
 * from its /metrics. Printed as raw numbers and as ratios to the first size: ratios measured in one
 * run on one machine, not absolute claims.
 *
 * Usage: npx tsx hack/benchmark.ts [--sizes 50,200,800] [--resync 10s] [--no-throttle] [--json FILE]
 *          [--tsx] (run the child under tsx instead of compiling it)
 *          [--child-node-options "--max-old-space-size=192"] [--no-runtime-settings] [--log-level error]
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
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from "@kubernetes/client-node";
import {
  memorySizing,
  RUNTIME_ENV,
  RUNTIME_NODE_FLAGS,
  SHIPPED_SIZING,
  type MemorySizing,
} from "../src/config/memory-sizing.js";
import { resolveOptions } from "../src/config/options.js";
import { AKSNODECLASS, CONDITION_PREFIX, VIEWS } from "../src/domain.js";
import { createLogger } from "../src/log.js";
import { startOperator } from "../src/operator/run.js";
import { GENERATED_CLUSTER_NETWORK_FLAGS, generatedTopology } from "../src/sim/generated-topology.js";
import { SimTokenCredential, startSimulator, type Counters, type RunningSimulator } from "../src/sim/index.js";
import { aksNode, aksNodeName, createNodesRaw } from "../test/support/aks-nodes.js";
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
  /**
   * peak resident set size of the child so far: VmHWM, the high-water mark of this process's own memory
   * since exec. Not getrusage's maxRSS: Linux carries that over from before exec, when the child was still
   * a forked copy of this (much larger) parent, so it reported the parent's size for small scenarios.
   */
  maxRssBytes: number;
  memory: NodeJS.MemoryUsage;
  /** Linux: anonymous vs file-backed resident memory (file pages are reclaimable under a cgroup limit) */
  rssAnonBytes: number | undefined;
  /** V8 heap spaces: committed (physical) and used bytes, to see where heap total goes */
  heapSpaces: Record<string, { physical: number; used: number }>;
  rssFileBytes: number | undefined;
}

/** RssAnon / RssFile / VmHWM from /proc/self/status (Linux), in bytes. */
function residentSplit(): {
  rssAnonBytes: number | undefined;
  rssFileBytes: number | undefined;
  hwmBytes: number | undefined;
} {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kib = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rssAnonBytes: kib("RssAnon"), rssFileBytes: kib("RssFile"), hwmBytes: kib("VmHWM") };
  } catch {
    return { rssAnonBytes: undefined, rssFileBytes: undefined, hwmBytes: undefined };
  }
}

type ParentMessage =
  { cmd: "stats"; id: number; settle?: boolean } | { cmd: "heap-snapshot"; id: number; file: string } | { cmd: "stop" };
type ChildMessage =
  | { type: "started"; metricsUrl: string; startedAt: number }
  | { type: "stats"; id: number; stats: ChildStats }
  | { type: "heap-snapshot"; id: number; file: string }
  | { type: "error"; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

async function runChild(): Promise<void> {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (!raw) throw new Error("BENCH_CHILD_CONFIG is not set");
  const cfg = JSON.parse(raw) as ChildConfig;
  const send = (m: ChildMessage): void => {
    if (process.connected) process.send?.(m);
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
    if (msg.cmd === "heap-snapshot") {
      send({ type: "heap-snapshot", id: msg.id, file: writeHeapSnapshot(msg.file) });
    } else if (msg.cmd === "stats") {
      // settle: collect garbage first, so heap used is what the operator retains (the child runs with --expose-gc)
      const gc = (globalThis as { gc?: () => void }).gc;
      if (msg.settle && gc) gc();
      const c = op.controller;
      const split = residentSplit();
      send({
        type: "stats",
        id: msg.id,
        stats: {
          ...c.stats,
          queued: c.queue.size,
          processing: c.queue.processing,
          delayed: c.queue.delayedCount,
          memory: process.memoryUsage(),
          ...split,
          // off Linux, getrusage's figure (see maxRssBytes)
          maxRssBytes: split.hwmBytes ?? process.resourceUsage().maxRSS * 1024,
          heapSpaces: Object.fromEntries(
            getHeapSpaceStatistics().map((h) => [
              h.space_name,
              { physical: h.physical_space_size, used: h.space_used_size },
            ]),
          ),
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
  private readonly snapshots = new Map<number, (file: string) => void>();
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
        } else if (msg.type === "heap-snapshot") {
          this.snapshots.get(msg.id)?.(msg.file);
          this.snapshots.delete(msg.id);
        }
      });
      child.once("exit", (code) => reject(new Error(`operator child exited (${code}) before it started`)));
    });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    this.died = new Promise<never>((_, reject) =>
      child.once("exit", (code, signal) => {
        if (!this.stopping) reject(new Error(`operator exited (code ${code}, signal ${signal})`));
      }),
    );
    this.died.catch(() => undefined);
  }

  /** rejects when the operator exits without being asked to (e.g. out of heap) */
  readonly died: Promise<never>;
  private stopping = false;

  stats(settle = false): Promise<ChildStats> {
    const id = ++this.seq;
    const p = new Promise<ChildStats>((resolve) => this.pending.set(id, resolve));
    this.child.send({ cmd: "stats", id, settle } satisfies ParentMessage);
    return within("operator stats", 10_000, p);
  }

  heapSnapshot(file: string): Promise<string> {
    const id = ++this.seq;
    const p = new Promise<string>((resolve) => this.snapshots.set(id, resolve));
    this.child.send({ cmd: "heap-snapshot", id, file } satisfies ParentMessage);
    return within("heap snapshot", 120_000, p);
  }

  async stop(): Promise<void> {
    this.stopping = true;
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
  /** added to the child's environment */
  env: Record<string, string>;
}

function startChild(launch: ChildLaunch, cfg: ChildConfig): OperatorChild {
  const child = fork(launch.script, ["--child"], {
    execArgv: launch.execArgv,
    env: { ...process.env, ...launch.env, BENCH_CHILD_CONFIG: JSON.stringify(cfg) },
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
 * SubnetReady=True. A watch costs the operator nothing and has no polling granularity; when it ends
 * (a client timeout on a loaded machine), it lists again and resumes.
 */
async function watchUntilAllReady(
  kc: KubeConfig,
  label: string,
  n: number,
  timeoutMs: number,
): Promise<{ done: Promise<number>; stop: () => void }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  const ready = new Set<string>();
  let resolveDone!: (t: number) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined); // awaited later; a failure before then must not crash the process
  let stopped = false;
  let controller: AbortController | undefined;
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
  const start = async (): Promise<void> => {
    const list = (await api.listClusterCustomObject({ ...base, labelSelector: `${LABEL_KEY}=${label}` })) as {
      items?: unknown[];
      metadata?: { resourceVersion?: string };
    };
    for (const o of list.items ?? []) {
      const r = readyOf(o);
      if (r?.ready) ready.add(r.name);
    }
    check();
    controller = await new Watch(kc).watch(
      `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
      { labelSelector: `${LABEL_KEY}=${label}`, resourceVersion: list.metadata?.resourceVersion },
      (phase: string, obj: unknown) => {
        const r = readyOf(obj);
        if (!r) return;
        if (phase !== "DELETED" && r.ready) ready.add(r.name);
        else ready.delete(r.name);
        check();
      },
      () => {
        if (!stopped && ready.size < n) restart();
      },
    );
  };
  const restart = (): void => {
    setTimeout(() => {
      if (!stopped) start().catch(() => restart());
    }, 500);
  };
  await start();
  return {
    done,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
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
  /** nodeclasses */
  n: number;
  /** AKS-shaped nodes present before the operator starts */
  nodes: number;
  /** the simulator's per-caller read bucket (default ARM's 250 / 25 per s) */
  simBucket?: { capacity: number; refillPerSecond: number };
  /** extra operator flags */
  flags?: Record<string, unknown>;
}

/** One scenario's numbers; the snake_case fields are the benchmark's published JSON. */
interface ScenarioResult {
  name: string;
  n: number;
  nodes: number;
  /** n plain status merge-patches through the same API server at the operator's concurrency: the floor */
  raw_patch_ms: number;
  /** operator start → every nodeclass SubnetReady=True */
  converge_ms: number;
  converge_ratio: number;
  rss_peak_mib: number;
  rss_steady_mib: number;
  /** heap used after a full GC once the quiet resync is done: what the operator retains */
  heap_used_mib: number;
  series_per_nodeclass: number;
  metrics_scrape_ms: number;
  metrics_kib: number;
  arm_requests_per_resync: number;
  writes_quiet_resync: number;
  /** the memory formula's settings for this size and whether the measurement stayed inside them */
  sizing: MemorySizing & { peak_within_limit: boolean; steady_within_limit: boolean };
  arm_to_first_report: number;
  throttled_429_to_first_report: number;
  arm_per_resync_ops: Record<string, number>;
  resync_burst_ms: number;
  writes_to_first_report: number;
  writes_first_resync: number;
  memory_mib: {
    rss: number;
    rss_anon: number | undefined;
    rss_file: number | undefined;
    heap_total: number;
    heap_used: number;
    external: number;
    array_buffers: number;
    heap_spaces: Record<string, string>;
  };
  lag_p99_first_report_ms: number;
  lag_max_first_report_ms: number;
  lag_p99_steady_ms: number;
  lag_max_steady_ms: number;
  heap_snapshot?: string;
}

interface Env {
  launch: ChildLaunch;
  cp: ControlPlaneState;
  kc: KubeConfig;
  resync: string;
  vnetTtl: string;
  logLevel: string;
  concurrency: number;
  heapSnapshotDir: string | undefined;
  /** --max-old-space-size given to the child, MiB (for the sizing check) */
  heapCapMiB: number | undefined;
}

const NODECLASS_API = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };

/** Nodeclass names do not depend on the scenario, so nodes created once belong to every scenario's nodeclasses. */
const nodeClassName = (i: number): string => `bench-nc-${String(i).padStart(4, "0")}`;

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

async function createNodeClasses(api: CustomObjectsApi, label: string, n: number): Promise<void> {
  await inBatches(
    Array.from({ length: n }, (_, i) => i),
    25,
    (i) =>
      api.createClusterCustomObject({
        ...NODECLASS_API,
        body: {
          apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
          kind: AKSNODECLASS.kind,
          metadata: { name: nodeClassName(i), labels: { [LABEL_KEY]: label } },
          spec: { vnetSubnetID: SUBNET_IDS[i % SUBNET_IDS.length] },
        },
      }),
  );
}

async function deleteNodeClasses(api: CustomObjectsApi, label: string): Promise<void> {
  await api.deleteCollectionClusterCustomObject({ ...NODECLASS_API, labelSelector: `${LABEL_KEY}=${label}` });
  await until(`nodeclasses of ${label} deleted`, 120_000, 250, async () => {
    const list = (await api.listClusterCustomObject({
      ...NODECLASS_API,
      labelSelector: `${LABEL_KEY}=${label}`,
      limit: 1,
    })) as { items?: unknown[] };
    return (list.items ?? []).length === 0 ? true : undefined;
  });
}

/**
 * The scenario's views. In a cluster Kubernetes' garbage collector deletes them with their nodeclasses
 * (owner references); this control plane runs no controller manager, and views left over would make the
 * next scenario's operator start by deleting a thousand orphans, inflating its memory and time.
 */
async function deleteViews(api: CustomObjectsApi): Promise<void> {
  for (const plural of [VIEWS.nodeClassPlural, VIEWS.subnetPlural]) {
    const ref = { group: VIEWS.group, version: VIEWS.version, plural };
    await api.deleteCollectionClusterCustomObject(ref);
    await until(`${plural} deleted`, 120_000, 250, async () => {
      const list = (await api.listClusterCustomObject({ ...ref, limit: 1 })) as { items?: unknown[] };
      return (list.items ?? []).length === 0 ? true : undefined;
    });
  }
}

/** The InternalIP of node `i` of nodeclass `nc`: inside that nodeclass's /24 (hosts .4–.253), so no drift is reported. */
function nodeIp(i: number, nodeclassIndex: number): string {
  const subnetIndex = nodeclassIndex % SUBNET_IDS.length;
  const vnet = Math.floor(subnetIndex / SUBNETS_PER_VNET);
  const sub = subnetIndex % SUBNETS_PER_VNET;
  return `10.${10 * (vnet + 1)}.${sub}.${4 + (i % 250)}`;
}

/** Creates `count` AKS-shaped nodes spread over the first `classes` nodeclass names. */
async function createNodes(kc: KubeConfig, count: number, classes: number): Promise<void> {
  const t = Date.now();
  await createNodesRaw(kc, {
    count,
    make: (i) =>
      aksNode(aksNodeName("bench", i), i, {
        nodeclass: nodeClassName(i % classes),
        internalIP: nodeIp(i, i % classes),
        labels: { [LABEL_KEY]: "nodes" },
      }),
  });
  process.stderr.write(`created ${count} AKS-shaped nodes in ${Date.now() - t} ms\n`);
}

async function deleteNodes(core: CoreV1Api): Promise<void> {
  await core.deleteCollectionNode({ labelSelector: `${LABEL_KEY}=nodes` });
  await until("bench nodes deleted", 180_000, 500, async () => {
    const list = await core.listNode({ labelSelector: `${LABEL_KEY}=nodes`, limit: 1 });
    return list.items.length === 0 ? true : undefined;
  });
}

/**
 * The floor: `n` JSON merge patches of one condition to /status, `concurrency` at a time, through the
 * same API server, as plain as a write can be (no read before it, no resourceVersion).
 */
async function rawPatchFloor(api: CustomObjectsApi, n: number, concurrency: number): Promise<number> {
  const t = performance.now();
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await inBatches(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    (i) =>
      api.patchClusterCustomObjectStatus(
        {
          ...NODECLASS_API,
          name: nodeClassName(i),
          body: {
            status: {
              conditions: [
                {
                  type: "bench.example.com/Floor",
                  status: "True",
                  reason: "Floor",
                  message: "a plain status write, for the benchmark's floor",
                  lastTransitionTime: at,
                },
              ],
            },
          },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
  );
  return Math.round(performance.now() - t);
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

/** Series that carry a `nodeclass` label, per nodeclass. */
function seriesPerNodeclass(text: string, n: number): number {
  let count = 0;
  for (const line of text.split("\n")) if (!line.startsWith("#") && line.includes('nodeclass="')) count++;
  return Math.round((count / n) * 10) / 10;
}

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
    const rawPatchMs = await rawPatchFloor(api, sc.n, env.concurrency);
    process.stderr.write(`[${sc.name}] floor: ${sc.n} status patches in ${rawPatchMs} ms\n`);
    const watch = await watchUntilAllReady(env.kc, label, sc.n, 600_000);
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
        concurrency: env.concurrency,
        ...sc.flags,
      },
    });
    const { metricsUrl, startedAt } = await within("operator start", 120_000, op.started);
    process.stderr.write(`[${sc.name}] operator started; waiting for the first full report\n`);
    const readyAt = await Promise.race([watch.done, op.died]);
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
    const first = await oneResync(op, sc.n, resyncTimeout, () => Promise.resolve());
    const measured = await oneResync(op, sc.n, resyncTimeout, () => sim!.admin.resetCounters());
    const perResync = await sim.admin.counters();
    const steady = await scrape(metricsUrl);
    // a second scrape right away: its duration is the scrape's own cost (nothing else is running)
    const timed = await timedScrape(metricsUrl);
    const final = await op.stats(true);
    let heapSnapshot: string | undefined;
    if (env.heapSnapshotDir) {
      heapSnapshot = await op.heapSnapshot(
        path.join(env.heapSnapshotDir, `${sc.name.replace(/[^\w-]/g, "_")}.heapsnapshot`),
      );
      process.stderr.write(`[${sc.name}] heap snapshot: ${heapSnapshot}\n`);
    }
    const convergeMs = readyAt - startedAt;
    const peak = mib(final.maxRssBytes);
    const steadyRss = mib(final.memory.rss);
    const sizing = memorySizing({ nodeclasses: sc.n, nodes: sc.nodes });

    return {
      name: sc.name,
      n: sc.n,
      nodes: sc.nodes,
      raw_patch_ms: rawPatchMs,
      converge_ms: convergeMs,
      converge_ratio: Math.round((convergeMs / rawPatchMs) * 100) / 100,
      rss_peak_mib: peak,
      rss_steady_mib: steadyRss,
      heap_used_mib: mib(final.memory.heapUsed),
      series_per_nodeclass: seriesPerNodeclass(timed.text, sc.n),
      metrics_scrape_ms: timed.ms,
      metrics_kib: timed.kib,
      arm_requests_per_resync: perResync.total,
      writes_quiet_resync: measured.after.writes - measured.before.writes,
      sizing: {
        ...sizing,
        peak_within_limit: peak <= sizing.limitMiB,
        steady_within_limit: steadyRss <= sizing.limitMiB,
      },
      arm_to_first_report: toFirst.total,
      throttled_429_to_first_report: count429(toFirst),
      arm_per_resync_ops: perOperation(perResync),
      resync_burst_ms: measured.burstMs,
      writes_to_first_report: statsAtFirst.writes,
      writes_first_resync: first.after.writes - first.before.writes,
      memory_mib: {
        rss: mib(final.memory.rss),
        rss_anon: final.rssAnonBytes === undefined ? undefined : mib(final.rssAnonBytes),
        rss_file: final.rssFileBytes === undefined ? undefined : mib(final.rssFileBytes),
        heap_total: mib(final.memory.heapTotal),
        heap_used: mib(final.memory.heapUsed),
        external: mib(final.memory.external),
        array_buffers: mib(final.memory.arrayBuffers),
        heap_spaces: Object.fromEntries(
          Object.entries(final.heapSpaces).map(([k, v]) => [k, `${mib(v.physical)} / ${mib(v.used)}`]),
        ),
      },
      lag_p99_first_report_ms: ms(metricValue(firstWindow, `${METRIC_PREFIX}nodejs_eventloop_lag_p99_seconds`)),
      lag_max_first_report_ms: ms(metricValue(firstWindow, `${METRIC_PREFIX}nodejs_eventloop_lag_max_seconds`)),
      lag_p99_steady_ms: ms(metricValue(steady, `${METRIC_PREFIX}nodejs_eventloop_lag_p99_seconds`)),
      lag_max_steady_ms: ms(metricValue(steady, `${METRIC_PREFIX}nodejs_eventloop_lag_max_seconds`)),
      ...(heapSnapshot ? { heap_snapshot: heapSnapshot } : {}),
    };
  } finally {
    stopWatch?.();
    await op
      ?.stop()
      .catch((err: unknown) => process.stderr.write(`[${sc.name}] stopping the operator: ${String(err)}\n`));
    await deleteNodeClasses(api, label).catch((err: unknown) =>
      process.stderr.write(`[${sc.name}] cleanup: ${String(err)}\n`),
    );
    await deleteViews(api).catch((err: unknown) => process.stderr.write(`[${sc.name}] cleanup: ${String(err)}\n`));
    await sim?.close();
  }
}

/** A scenario whose operator died (e.g. out of heap) is reported, not hidden. */
interface FailedScenario {
  name: string;
  n: number;
  nodes: number;
  error: string;
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${headers.join(" | ")} |`,
    `|${headers.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** Retained memory per nodeclass and per node, from the settled heap of scenarios that differ in one of them. */
function retained(results: ScenarioResult[]): { perNodeclassKiB?: number; perNodeKiB?: number; notes: string[] } {
  const notes: string[] = [];
  const out: { perNodeclassKiB?: number; perNodeKiB?: number; notes: string[] } = { notes };
  const byNodes = new Map<number, ScenarioResult[]>();
  for (const r of results) byNodes.set(r.nodes, [...(byNodes.get(r.nodes) ?? []), r]);
  const zero = [...(byNodes.get(0) ?? [])].sort((a, b) => a.n - b.n);
  if (zero.length >= 2) {
    const [a, b] = [zero[0]!, zero[zero.length - 1]!];
    out.perNodeclassKiB = Math.round((((b.heap_used_mib - a.heap_used_mib) * 1024) / (b.n - a.n)) * 10) / 10;
    notes.push(`per nodeclass: heap used (after GC) ${a.n}→${b.n} nodeclasses, 0 nodes`);
  }
  for (const r of results) {
    if (r.nodes === 0) continue;
    const base = zero.find((z) => z.n === r.n);
    if (!base) continue;
    out.perNodeKiB = Math.round((((r.heap_used_mib - base.heap_used_mib) * 1024) / r.nodes) * 100) / 100;
    notes.push(`per node: heap used (after GC) 0→${r.nodes} nodes at ${r.n} nodeclasses`);
  }
  return out;
}

function report(results: ScenarioResult[], failed: FailedScenario[], args: Args, child: string): string {
  const out: string[] = [];
  const cpu = cpus();
  out.push(
    `machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; resync ${args.resync}; concurrency ${args.concurrency}; 10 subnets in 2 VNets; operator: ${child}`,
  );
  out.push("");
  out.push(
    table(
      [
        "scenario",
        "n",
        "nodes",
        "raw_patch_ms",
        "converge_ms",
        "converge_ratio",
        "rss_peak_mib",
        "rss_steady_mib",
        "heap_used_mib",
        "series_per_nodeclass",
        "metrics_scrape_ms",
        "arm_requests_per_resync",
        "writes_quiet_resync",
        "sizing limit / heap MiB",
      ],
      [
        ...results.map((r) => [
          r.name,
          r.n,
          r.nodes,
          r.raw_patch_ms,
          r.converge_ms,
          `${r.converge_ratio}×`,
          r.rss_peak_mib,
          r.rss_steady_mib,
          r.heap_used_mib,
          r.series_per_nodeclass,
          r.metrics_scrape_ms,
          r.arm_requests_per_resync,
          r.writes_quiet_resync,
          `${r.sizing.limitMiB} / ${r.sizing.heapMiB} ${r.sizing.peak_within_limit ? "ok" : "EXCEEDED"}`,
        ]),
        ...failed.map((f) => [
          f.name,
          f.n,
          f.nodes,
          "—",
          `failed: ${f.error.slice(0, 80)}`,
          "",
          "",
          "",
          "",
          "",
          "",
          "",
          "",
          "",
        ]),
      ],
    ),
  );
  const ret = retained(results);
  out.push("");
  out.push(
    `retained heap: ${ret.perNodeclassKiB ?? "n/a"} KiB per nodeclass, ${ret.perNodeKiB ?? "n/a"} KiB per node (${ret.notes.join("; ") || "needs 0-node scenarios at two sizes"})`,
  );
  out.push("");
  out.push("Operator memory after the quiet resync and a full GC (MiB):");
  out.push("");
  out.push(
    table(
      [
        "scenario",
        "rss",
        "anonymous",
        "file-backed",
        "heap total",
        "heap used",
        "young gen committed / used",
        "old space committed / used",
        "external",
        "array buffers",
      ],
      results.map((r) => [
        r.name,
        r.memory_mib.rss,
        r.memory_mib.rss_anon ?? "n/a",
        r.memory_mib.rss_file ?? "n/a",
        r.memory_mib.heap_total,
        r.memory_mib.heap_used,
        r.memory_mib.heap_spaces.new_space ?? "n/a",
        r.memory_mib.heap_spaces.old_space ?? "n/a",
        r.memory_mib.external,
        r.memory_mib.array_buffers,
      ]),
    ),
  );
  out.push("");
  out.push(
    table(
      [
        "scenario",
        "ARM req to first report",
        "429s",
        "resync burst ms",
        "writes to first report",
        "writes 1st resync",
        "/metrics KiB",
        "lag p99 / max ms (first report)",
        "lag p99 / max ms (steady)",
      ],
      results.map((r) => [
        r.name,
        r.arm_to_first_report,
        r.throttled_429_to_first_report,
        r.resync_burst_ms,
        r.writes_to_first_report,
        r.writes_first_resync,
        r.metrics_kib,
        `${r.lag_p99_first_report_ms} / ${r.lag_max_first_report_ms}`,
        `${r.lag_p99_steady_ms} / ${r.lag_max_steady_ms}`,
      ]),
    ),
  );
  out.push("");
  out.push("ARM requests of one resync, by operation:");
  for (const r of results)
    out.push(
      `- ${r.name}: ${
        Object.entries(r.arm_per_resync_ops)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }`,
    );
  return out.join("\n");
}

interface Args {
  quick: boolean;
  sizes: number[];
  nodes: number[];
  resync: string;
  throttle: boolean;
  json: string | undefined;
  logLevel: string;
  tsx: boolean;
  concurrency: number;
  childNodeOptions: string[];
  runtimeSettings: boolean;
  cpuProf: boolean;
  heapSnapshot: boolean;
  /** where profiles and heap snapshots go */
  out: string | undefined;
}

const USAGE = `Usage: npx tsx hack/benchmark.ts [--quick] [--json FILE] [--sizes 100,1000] [--nodes 0,5000]
  [--resync 10s] [--throttle | --no-throttle] [--concurrency 10] [--child-node-options "--max-old-space-size=…"]
  [--no-runtime-settings] [--cpu-prof] [--heap-snapshot] [--out DIR] [--tsx] [--log-level error]`;

function parseArgs(argv: string[]): Args {
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (flag: string, dflt: string, max: number): number[] => {
    const v = (get(flag) ?? dflt).split(",").map((s) => Number(s.trim()));
    if (v.some((n) => !Number.isInteger(n) || n < 0 || n > max))
      throw new Error(`${flag}: comma-separated integers between 0 and ${max}`);
    return v;
  };
  const quick = argv.includes("--quick");
  // the image's Node flags and environment (src/config/memory-sizing.ts), unless asked to measure without
  const runtimeSettings = !argv.includes("--no-runtime-settings");
  const sizes = list("--sizes", "100,1000", 5_000);
  if (sizes.some((n) => n < 1)) throw new Error("--sizes: at least 1 nodeclass");
  const nodes = list("--nodes", "0,5000", 20_000);
  return {
    quick,
    sizes,
    nodes,
    resync: get("--resync") ?? "10s",
    // the throttling scenarios (800-style, 0 nodes) run unless --quick or --no-throttle
    throttle: argv.includes("--throttle") || (!quick && !argv.includes("--no-throttle")),
    json: get("--json"),
    logLevel: get("--log-level") ?? "error",
    tsx: argv.includes("--tsx"),
    concurrency: Number(get("--concurrency") ?? "10"),
    // the shipped heap cap: the formula's at the design point (docs/performance.md)
    runtimeSettings,
    childNodeOptions: (
      get("--child-node-options") ??
      [`--max-old-space-size=${SHIPPED_SIZING.heapMiB}`, ...(runtimeSettings ? RUNTIME_NODE_FLAGS : [])].join(" ")
    )
      .split(/\s+/)
      .filter(Boolean),
    cpuProf: argv.includes("--cpu-prof"),
    heapSnapshot: argv.includes("--heap-snapshot"),
    out: get("--out"),
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
  const outDir = path.resolve(args.out ?? path.join(repoRoot, ".local", "bench"));
  if (args.cpuProf || args.heapSnapshot) mkdirSync(outDir, { recursive: true });
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
  const started = Date.now();
  let exitCode = 0;
  try {
    process.stderr.write(`starting a control plane in ${dir}\n`);
    cp = await startControlPlane({ dir: path.join(dir, "control-plane"), crd: "ours" });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    // --expose-gc lets the child settle its heap before memory is read; it changes nothing else
    const childArgs = [
      ...args.childNodeOptions,
      "--expose-gc",
      ...(args.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${outDir}`] : []),
    ];
    const childEnv = args.runtimeSettings ? { ...RUNTIME_ENV } : {};
    let launch: ChildLaunch;
    if (args.tsx) {
      launch = { script: thisFile, execArgv: [...process.execArgv, ...childArgs], env: childEnv };
    } else {
      process.stderr.write("compiling the operator child with tsc\n");
      launch = { script: compileChild(path.join(dir, "build")), execArgv: childArgs, env: childEnv };
    }
    const heapCap = /--max-old-space-size=(\d+)/.exec(args.childNodeOptions.join(" "));
    const childText = `${args.tsx ? "tsx" : "tsc-compiled JavaScript"}, ${Object.entries(childEnv)
      .map(([k, v]) => `${k}=${v} `)
      .join("")}node ${childArgs.join(" ")}`;
    const env: Env = {
      launch,
      cp,
      kc,
      resync: args.resync,
      vnetTtl,
      logLevel: args.logLevel,
      concurrency: args.concurrency,
      heapSnapshotDir: args.heapSnapshot ? outDir : undefined,
      heapCapMiB: heapCap ? Number(heapCap[1]) : undefined,
    };
    const results: ScenarioResult[] = [];
    const failed: FailedScenario[] = [];
    const run = async (sc: Scenario): Promise<void> => {
      try {
        results.push(await runScenario(env, sc));
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`[${sc.name}] FAILED: ${error}\n`);
        failed.push({ name: sc.name, n: sc.n, nodes: sc.nodes, error });
      }
    };
    const maxN = Math.max(...args.sizes);
    const nodeCounts = [...args.nodes].sort((a, b) => a - b);
    for (const [k, nodes] of nodeCounts.entries()) {
      if (nodes > 0) await createNodes(kc, nodes, maxN);
      for (const n of args.sizes) await run({ name: `n=${n} nodes=${nodes}`, n, nodes });
      // the control plane goes away at the end; only a later phase needs the nodes gone
      if (nodes > 0 && (k < nodeCounts.length - 1 || args.throttle)) await deleteNodes(core);
    }
    if (args.throttle) {
      const simBucket = { capacity: 20, refillPerSecond: 5 };
      await run({ name: `throttled, default limiter (250, 25/s)`, n: maxN, nodes: 0, simBucket });
      await run({
        name: `throttled, limiter 20, 5/s`,
        n: maxN,
        nodes: 0,
        simBucket,
        flags: { armReadBucket: 20, armReadRefill: 5 },
      });
    }
    const text = report(results, failed, args, childText);
    process.stdout.write(`${text}\n\nbenchmark took ${Math.round((Date.now() - started) / 1000)} s\n`);
    const exceeded = results.filter((r) => !r.sizing.peak_within_limit).map((r) => r.name);
    if (exceeded.length > 0)
      process.stdout.write(
        `memory formula check FAILED: peak RSS above the formula's limit in ${exceeded.join(", ")}\n`,
      );
    if (failed.length > 0 || exceeded.length > 0) exitCode = 2;
    if (args.json) {
      const cpu = cpus();
      writeFileSync(
        args.json,
        JSON.stringify(
          {
            at: new Date().toISOString(),
            machine: {
              cores: cpu.length,
              cpu: cpu[0]?.model,
              memGiB: Math.round(totalmem() / 2 ** 30),
              node: process.versions.node,
            },
            operator: childText,
            resync: args.resync,
            concurrency: args.concurrency,
            retained: retained(results),
            results,
            failed,
          },
          null,
          2,
        ),
      );
    }
    if (args.cpuProf || args.heapSnapshot) process.stdout.write(`profiles and snapshots in ${outDir}\n`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  }
  process.exitCode = exitCode;
}

if (process.argv.includes("--child")) {
  runChild().catch((err: unknown) => {
    process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) } satisfies ChildMessage);
    process.exit(1);
  });
} else if (path.resolve(process.argv[1] ?? "") === thisFile) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
