/**
 * The operator's memory settings, derived from what it holds rather than guessed: a base (the
 * runtime and the loaded libraries), a cost per nodeclass (its informer copy, its last evaluation,
 * its metric series) and a cost per node (name, nodeclass and InternalIPs; nodes are listed in pages
 * and never kept whole). The coefficients are measured by `npm run bench` (docs/performance.md), which
 * also checks every scenario's peak RSS against `limitMiB`; manifests/deployment.yaml and the chart
 * carry `SHIPPED_SIZING`, and a unit test keeps them in step.
 */

export interface MemorySizing {
  /** container memory request: the expected steady RSS */
  requestMiB: number;
  /** container memory limit: steady RSS plus the start-up and list transients */
  limitMiB: number;
  /** --max-old-space-size: the limit minus what lives outside V8's old space */
  heapMiB: number;
}

export const MEMORY_MODEL = {
  /** steady RSS with no nodeclass and no node */
  baseMiB: 150,
  /** steady RSS per nodeclass */
  perNodeclassKiB: 80,
  /** steady RSS per node */
  perNodeKiB: 4,
  /** above steady: start-up (every nodeclass evaluated at once), one node page in flight, a scrape */
  transientMiB: 64,
  /** RSS that is not V8's old space: code, new space, native libraries, TLS */
  outsideHeapMiB: 110,
} as const;

/** The design point of the shipped settings: AKS's node limit and a large fleet of nodeclasses. */
export const DESIGN_POINT = { nodeclasses: 1_000, nodes: 5_000 } as const;

const roundUp = (mib: number, step: number): number => Math.ceil(mib / step) * step;

export function memorySizing(size: { nodeclasses: number; nodes: number }): MemorySizing {
  const m = MEMORY_MODEL;
  const steady = m.baseMiB + (size.nodeclasses * m.perNodeclassKiB + size.nodes * m.perNodeKiB) / 1024;
  const requestMiB = roundUp(steady, 32);
  const limitMiB = roundUp(steady + m.transientMiB, 32);
  return { requestMiB, limitMiB, heapMiB: limitMiB - m.outsideHeapMiB };
}

/** What manifests/deployment.yaml and the chart ship. */
export const SHIPPED_SIZING: MemorySizing = memorySizing(DESIGN_POINT);
