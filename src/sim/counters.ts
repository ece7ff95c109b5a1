/** Per-operation and per-caller request counters, so tests can assert how hard a client hits ARM. */
export interface Counters {
  total: number;
  byOperation: Record<string, number>;
  /** caller oid ("anonymous" without a valid token) → operation → count */
  byCaller: Record<string, Record<string, number>>;
  /** operation → HTTP status (or "reset" / "hang") → count */
  byOperationStatus: Record<string, Record<string, number>>;
  /** operation → api-version → count (the simulator accepts any api-version and records it) */
  apiVersions: Record<string, Record<string, number>>;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  query: string;
  operation: string;
  caller: string;
  status: string;
}

const LOG_LIMIT = 1000;

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function nested(map: Record<string, Record<string, number>>, key: string): Record<string, number> {
  let inner = map[key];
  if (inner === undefined) {
    inner = {};
    map[key] = inner;
  }
  return inner;
}

export class CounterStore {
  private c: Counters = CounterStore.empty();
  private log: RequestLogEntry[] = [];

  static empty(): Counters {
    return { total: 0, byOperation: {}, byCaller: {}, byOperationStatus: {}, apiVersions: {} };
  }

  arrived(operation: string, caller: string, apiVersion: string | undefined): void {
    this.c.total++;
    bump(this.c.byOperation, operation);
    bump(nested(this.c.byCaller, caller), operation);
    if (apiVersion !== undefined) bump(nested(this.c.apiVersions, operation), apiVersion);
  }

  finished(entry: Omit<RequestLogEntry, "at">): void {
    bump(nested(this.c.byOperationStatus, entry.operation), entry.status);
    this.log.push({ at: new Date().toISOString(), ...entry });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  snapshot(): Counters {
    return structuredClone(this.c);
  }

  requests(): RequestLogEntry[] {
    return structuredClone(this.log);
  }

  reset(): void {
    this.c = CounterStore.empty();
    this.log = [];
  }
}
