/**
 * client-node surfaces failures in two shapes: generated API calls throw `ApiException`
 * (`.code`, `.headers`, `.body` as a string or parsed Status), watches fail with an `Error`
 * carrying `.statusCode`. These helpers read both without `any`.
 */
function field(obj: unknown, key: string): unknown {
  return typeof obj === "object" && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

function statusBody(err: unknown): unknown {
  const body = field(err, "body");
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return body;
}

/** HTTP status of a failed Kubernetes call, if it has one. */
export function statusCodeOf(err: unknown): number | undefined {
  for (const key of ["code", "statusCode"]) {
    const v = field(err, key);
    if (typeof v === "number" && v >= 100 && v < 600) return v;
  }
  const code = field(statusBody(err), "code");
  return typeof code === "number" ? code : undefined;
}

/** Server-requested wait in ms from `Retry-After` or `Status.details.retryAfterSeconds`. */
export function retryAfterMsOf(err: unknown): number | undefined {
  const headers = field(err, "headers");
  const raw = field(headers, "retry-after") ?? field(headers, "Retry-After");
  if (typeof raw === "string" && raw.trim() !== "") {
    const secs = Number(raw);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const secs = field(field(statusBody(err), "details"), "retryAfterSeconds");
  return typeof secs === "number" && secs >= 0 ? secs * 1000 : undefined;
}

/**
 * The underlying causes of a failure without an HTTP answer: undici's "fetch failed" says nothing by
 * itself; its cause says "connect ECONNREFUSED 10.0.0.1:443" or names the certificate problem.
 */
function causes(err: unknown): string[] {
  const out: string[] = [];
  let cause = field(err, "cause");
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    const code = field(cause, "code");
    const text = cause.message || (typeof code === "string" ? code : "");
    if (text && !out.includes(text)) out.push(text);
    cause = field(cause, "cause");
  }
  return out;
}

/** A short, token-free description for logs and wrapped errors. */
export function describeError(err: unknown): string {
  const code = statusCodeOf(err);
  const message = field(statusBody(err), "message");
  const text = typeof message === "string" ? message : err instanceof Error ? err.message : String(err);
  if (code !== undefined) return `HTTP ${code}: ${text}`;
  return [text, ...causes(err)].join(": ");
}
