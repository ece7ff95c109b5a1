/**
 * ARM's read throttling: a token bucket per caller (ARM's documented request limits: 250 capacity, 25/s refill).
 * Time comes from an injectable clock so the arithmetic is testable without waiting.
 */
export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

export const DEFAULT_READ_BUCKET: BucketConfig = { capacity: 250, refillPerSecond: 25 };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export type TakeResult = { ok: true; remaining: number } | { ok: false; remaining: 0; retryAfterSeconds: number };

export class ReadBuckets {
  private config: BucketConfig;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(config: BucketConfig = DEFAULT_READ_BUCKET, now: () => number = () => performance.now()) {
    validate(config);
    this.config = { ...config };
    this.now = now;
  }

  get settings(): BucketConfig {
    return { ...this.config };
  }

  /** New limits; every bucket starts full again so tests begin from a known state. */
  configure(config: BucketConfig): void {
    validate(config);
    this.config = { ...config };
    this.buckets.clear();
  }

  private refill(key: string): Bucket {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.config.capacity, updatedMs: t };
    b.tokens = Math.min(this.config.capacity, b.tokens + ((t - b.updatedMs) / 1000) * this.config.refillPerSecond);
    b.updatedMs = t;
    this.buckets.set(key, b);
    return b;
  }

  remaining(key: string): number {
    return Math.floor(this.refill(key).tokens);
  }

  take(key: string): TakeResult {
    const b = this.refill(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens) };
    }
    const wait = this.config.refillPerSecond > 0 ? (1 - b.tokens) / this.config.refillPerSecond : 3600;
    return { ok: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
  }
}

function validate(c: BucketConfig): void {
  if (!Number.isFinite(c.capacity) || c.capacity < 1)
    throw new Error(`read bucket capacity must be >= 1, got ${c.capacity}`);
  if (!Number.isFinite(c.refillPerSecond) || c.refillPerSecond < 0)
    throw new Error(`read bucket refillPerSecond must be >= 0, got ${c.refillPerSecond}`);
}
