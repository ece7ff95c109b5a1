/**
 * The operator's memory settings, derived from measurements rather than guessed (docs/performance.md,
 * "Memory settings"). Two quantities grow with the cluster:
 *
 * - retained heap (what is left after a full GC): the libraries' objects, plus per nodeclass its
 *   informer copy, last evaluation and metric series, plus per node its summary (name, nodeclass,
 *   InternalIPs). The heap cap is twice that, so garbage of a start-up burst fits without GC thrash.
 * - resident memory: the retained heap, the garbage V8 lets build up below the cap, code, and native
 *   memory (TLS, HTTP buffers, freed-but-kept malloc pages). It is a high-water mark, not a sum; the
 *   coefficients are a linear envelope over the benchmark's scenarios (1 / 100 / 1,000 nodeclasses × 0 /
 *   5,000 AKS-shaped nodes) run with RUNTIME_NODE_FLAGS and RUNTIME_ENV (below), so request ≈ the
 *   steady RSS expected and limit = that plus the largest transient seen above it.
 *
 * `npm run bench` checks every scenario's peak RSS against `limitMiB`, and runs the operator with
 * `SHIPPED_SIZING.heapMiB`. charts/aks-subnet-health/values.yaml and manifests/deployment.yaml carry
 * `SHIPPED_SIZING`; test/unit/memory-sizing.test.ts keeps them in step.
 */

export interface MemorySizing {
  /** container memory request: the steady RSS expected */
  requestMiB: number;
  /** container memory limit: steady RSS plus a margin for start-up and list transients */
  limitMiB: number;
  /** --max-old-space-size */
  heapMiB: number;
}

export const MEMORY_MODEL = {
  /** steady RSS with a handful of nodeclasses and no node: Node.js, client-node, the Azure SDKs */
  rssBaseMiB: 165,
  /** steady RSS per nodeclass */
  rssPerNodeclassKiB: 40,
  /** steady RSS per node (transient page decoding that the allocator keeps, not retained objects) */
  rssPerNodeKiB: 6,
  /** above steady: the start-up burst, a node page in flight, a scrape */
  transientMiB: 64,
  /** heap retained after GC with no nodeclass and no node */
  heapBaseMiB: 60,
  heapPerNodeclassKiB: 20,
  heapPerNodeKiB: 0.6,
  /** heap cap = this × retained heap */
  heapHeadroom: 2,
} as const;

/** The design point of the shipped settings: AKS's node limit and a large fleet of nodeclasses. */
export const DESIGN_POINT = { nodeclasses: 1_000, nodes: 5_000 } as const;

const roundUp32 = (mib: number): number => Math.ceil(mib / 32) * 32;

export function memorySizing(size: { nodeclasses: number; nodes: number }): MemorySizing {
  const m = MEMORY_MODEL;
  const steady = m.rssBaseMiB + (size.nodeclasses * m.rssPerNodeclassKiB + size.nodes * m.rssPerNodeKiB) / 1024;
  const retained = m.heapBaseMiB + (size.nodeclasses * m.heapPerNodeclassKiB + size.nodes * m.heapPerNodeKiB) / 1024;
  return {
    requestMiB: roundUp32(steady),
    limitMiB: roundUp32(steady + m.transientMiB),
    heapMiB: roundUp32(m.heapHeadroom * retained),
  };
}

/** What manifests/deployment.yaml and the chart ship. */
export const SHIPPED_SIZING: MemorySizing = memorySizing(DESIGN_POINT);

/**
 * How the image runs Node (Dockerfile: ENTRYPOINT and ENV; test/unit/image-build.test.ts holds them
 * equal). Measured in docs/performance.md ("Runtime settings"): with V8's defaults the young generation
 * alone kept 128 MiB committed after the start-up burst, and glibc's per-thread malloc arenas kept
 * about 20 MiB more of freed native memory.
 * - `--optimize-for-size`: V8 keeps a small young generation and grows the old one in smaller steps.
 *   Node does not accept it in NODE_OPTIONS, hence the command line.
 * - `MALLOC_ARENA_MAX=2`: native allocations of V8's and libuv's threads share two arenas.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ["--optimize-for-size"];
export const RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };
