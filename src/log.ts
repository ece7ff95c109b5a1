/**
 * Structured JSON logs (pino). Fields used across the operator: nodeclass, subnet, operation.
 * Redaction is a second line of defence: nothing in the operator should ever hand a token or an
 * Authorization header to the logger in the first place.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: "aks-subnet-health" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "authorization",
          "headers.authorization",
          "*.authorization",
          "*.headers.authorization",
          "token",
          "*.token",
          "accessToken",
          "*.accessToken",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/**
 * For failures that repeat (an Azure read failing every window, an API server down): the first of each
 * key is logged at warn, visible at the default level; repeats within `intervalMs` are counted and the
 * count goes with the next line. Keys are bounded (oldest dropped) so hostile input cannot grow the map.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 1_000,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    this.last.set(key, { at: t, suppressed: 0 });
    this.log.warn(seen && seen.suppressed > 0 ? { ...fields, repeatedSinceLastLog: seen.suppressed } : fields, msg);
  }

  /** Forget a key once its failure is over, so the next failure is logged at once. */
  clear(key: string): void {
    this.last.delete(key);
  }
}
