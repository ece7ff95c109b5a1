/**
 * Faults injected on demand: latency, error responses, bursts of 429, connection resets and hangs.
 * Deterministic by default (rate 1, count-limited, optional `after`), seeded when a rate is used,
 * so tests built on them are not flaky.
 */
import { z } from "zod";
import { OPERATIONS } from "./operations.js";

export const FaultSpecSchema = z
  .strictObject({
    /** operation name (e.g. Subnets_Get) or "*" for all */
    operation: z.union([z.enum(OPERATIONS), z.literal("*")]),
    /**
     * latency, error, throttle, reset, hang: see docs/simulator.md. Hostile answers (a proxy or an attacker
     * in ARM's place): `html` (200 text/html), `error-body` (200 with ARM's error envelope), `wrong-shape`
     * (200 JSON that is not the resource), `huge-body` (200 JSON of `bodyBytes` bytes, streamed),
     * `foreign-next-link` (the real page, its nextLink replaced by `nextLink`), `looping-next-link` (the
     * real page, its nextLink pointing back at this request; with `distinct` each time with a new query).
     */
    kind: z.enum([
      "latency",
      "error",
      "throttle",
      "reset",
      "hang",
      "html",
      "error-body",
      "wrong-shape",
      "huge-body",
      "foreign-next-link",
      "looping-next-link",
    ]),
    /** only requests from this caller (oid) */
    caller: z.string().optional(),
    /** latency: added delay in ms */
    latencyMs: z.number().int().min(0).optional(),
    /** probability a matching request is affected (default 1) */
    rate: z.number().min(0).max(1).default(1),
    /** seed for the rate's random draws (default 1) */
    seed: z.number().int().default(1),
    /** error: HTTP status (default 500) */
    status: z.number().int().min(400).max(599).optional(),
    /** error: Azure error code (default InternalServerError for 5xx) */
    code: z.string().optional(),
    message: z.string().optional(),
    /** throttle (and error with 429/503): Retry-After seconds (default 1) */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** how many requests to affect; omitted = until cleared */
    count: z.number().int().min(1).optional(),
    /** let this many matching requests pass untouched first */
    after: z.number().int().min(0).default(0),
    /** huge-body: size of the body in bytes (default 512 MiB) */
    bodyBytes: z.number().int().min(1).optional(),
    /** foreign-next-link: the URL put in nextLink */
    nextLink: z.url().optional(),
    /** looping-next-link: a new query string each time, so the URLs differ (default false: the same URL) */
    distinct: z.boolean().default(false),
  })
  .refine((f) => f.kind !== "foreign-next-link" || f.nextLink !== undefined, {
    message: "foreign-next-link faults need nextLink",
    path: ["nextLink"],
  })
  .refine((f) => f.kind !== "latency" || f.latencyMs !== undefined, {
    message: "latency faults need latencyMs",
    path: ["latencyMs"],
  });

export type FaultSpec = z.input<typeof FaultSpecSchema>;
type ParsedFault = z.output<typeof FaultSpecSchema>;

export interface FaultStatus {
  spec: ParsedFault;
  /** matching requests seen */
  seen: number;
  /** requests it was applied to */
  applied: number;
  /** huge-body: bytes actually written before the client stopped reading */
  bytesSent?: number;
}

export interface FaultDecision {
  latencyMs: number;
  terminal: AppliedFault | undefined;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveFault extends FaultStatus {
  rng: () => number;
}

/** The fault chosen for a request, with a way to report bytes sent (huge-body). */
export interface AppliedFault extends ParsedFault {
  noteBytesSent(n: number): void;
}

export class FaultBook {
  private faults: ActiveFault[] = [];

  /** Replaces the active faults; throws a readable error for a bad spec. */
  set(specs: readonly unknown[]): void {
    const parsed = specs.map((s, i) => {
      const r = FaultSpecSchema.safeParse(s);
      if (!r.success)
        throw new Error(
          `fault[${i}]: ${r.error.issues.map((x) => `${x.path.join(".") || "(root)"}: ${x.message}`).join("; ")}`,
        );
      return r.data;
    });
    this.faults = parsed.map((spec) => ({ spec, seen: 0, applied: 0, rng: mulberry32(spec.seed) }));
  }

  clear(): void {
    this.faults = [];
  }

  status(): FaultStatus[] {
    return this.faults.map(({ spec, seen, applied, bytesSent }) => ({
      spec,
      seen,
      applied,
      ...(bytesSent !== undefined ? { bytesSent } : {}),
    }));
  }

  /** Decides what happens to one request; updates the faults' counts. */
  decide(operation: string, caller: string): FaultDecision {
    let latencyMs = 0;
    let terminal: AppliedFault | undefined;
    for (const f of this.faults) {
      if (f.spec.operation !== "*" && f.spec.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (f.spec.caller !== undefined && f.spec.caller.toLowerCase() !== caller.toLowerCase()) continue;
      if (f.spec.kind !== "latency" && terminal !== undefined) continue;
      if (f.spec.count !== undefined && f.applied >= f.spec.count) continue;
      f.seen++;
      if (f.seen <= f.spec.after) continue;
      if (f.spec.rate < 1 && f.rng() >= f.spec.rate) continue;
      f.applied++;
      if (f.spec.kind === "latency") latencyMs += f.spec.latencyMs ?? 0;
      else {
        const active = f;
        terminal = { ...f.spec, noteBytesSent: (n) => (active.bytesSent = (active.bytesSent ?? 0) + n) };
      }
    }
    return { latencyMs, terminal };
  }
}
