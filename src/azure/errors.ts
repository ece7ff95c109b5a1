/**
 * Turns whatever an SDK call threw into either a definite Azure answer (the resource or its resource group
 * or subscription does not exist, or we may not read it) or an `AzureFailure` (no answer). Only Azure's own
 * error envelope (an `error.code`) gives a definite answer: a connection reset, a proxy's bare 404 or a
 * timeout never makes a subnet "missing" (ARM's documented error responses).
 */
import type { AzureFailure } from "../health/types.js";
import { ArmGuardError } from "./request-guard.js";

/**
 * The 404 codes ARM and the resource providers document for a missing resource, resource group or
 * subscription (ARM's documented error responses). Any other code on a 404 (a proxy's, a gateway's own) is no answer.
 */
const DEFINITE_NOT_FOUND_CODES = new Set(
  [
    "NotFound",
    "ResourceNotFound",
    "ParentResourceNotFound",
    "ResourceGroupNotFound",
    "SubscriptionNotFound",
    "InvalidSubscriptionId",
    "RoleDefinitionDoesNotExist",
  ].map((c) => c.toLowerCase()),
);
/** The 403 codes ARM's authorization check answers with. */
const DEFINITE_FORBIDDEN_CODES = new Set(
  ["AuthorizationFailed", "LinkedAuthorizationFailed"].map((c) => c.toLowerCase()),
);

export type DefiniteKind =
  | "resource-group-not-found"
  | "subscription-not-found"
  | "vnet-not-found"
  | "subnet-not-found"
  | "not-found"
  | "forbidden";

export type ErrorClassification =
  | { outcome: "definite"; kind: DefiniteKind; statusCode: number; code: string | undefined; message: string }
  | { outcome: "failure"; failure: AzureFailure };

export interface ErrorContext {
  /** ARM operation name, e.g. VirtualNetworks_Get */
  operation: string;
  /** the ARM ID (or description) the call was about, for the message */
  resource?: string;
}

/**
 * On 429 the request-observer policy moves the retry headers here so the SDK's own throttling retry (which
 * waits Retry-After uncapped while holding a limiter slot) does not fire; our limiter pauses instead.
 */
export const HIDDEN_RETRY_HEADER_PREFIX = "x-aks-subnet-health-original-";
export const RETRY_AFTER_HEADERS = ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"] as const;

/** Raised by the limiter when its own per-call deadline passes. */
export class ArmTimeoutError extends Error {
  override readonly name = "ArmTimeoutError";
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} did not complete within ${timeoutMs} ms`);
  }
}

/** Raised by the limiter instead of waiting when ARM asked us to back off for longer than the call may wait. */
export class ArmThrottledError extends Error {
  override readonly name = "ArmThrottledError";
  constructor(
    readonly operation: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `${operation} not sent: Azure Resource Manager throttled this client; retrying after ${Math.ceil(retryAfterSeconds)} s`,
    );
  }
}

const UNREACHABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ENOENT",
  "EPROTO",
  "REQUEST_SEND_ERROR",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"]);

interface HeaderSource {
  get(name: string): string | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function headersOf(err: unknown): HeaderSource | undefined {
  if (!isRecord(err)) return undefined;
  const response = err["response"];
  if (!isRecord(response)) return undefined;
  const headers = response["headers"];
  if (!isRecord(headers)) return undefined;
  const getter = headers["get"];
  if (typeof getter === "function") {
    return { get: (name: string) => str((getter as (n: string) => unknown).call(headers, name)) };
  }
  // plain object (raw rest-level headers)
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => str(lower.get(name.toLowerCase())) };
}

/** Seconds to wait per retry-after-ms, x-ms-retry-after-ms or Retry-After (seconds or HTTP date). */
export function retryAfterSecondsFrom(headers: HeaderSource | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  for (const name of RETRY_AFTER_HEADERS) {
    const raw = headers.get(name) ?? headers.get(`${HIDDEN_RETRY_HEADER_PREFIX}${name}`);
    if (raw === undefined) continue;
    const n = Number(raw.trim());
    if (Number.isFinite(n) && raw.trim() !== "") {
      if (n < 0) continue;
      return name === "retry-after" ? n : n / 1000;
    }
    if (name === "retry-after") {
      const at = Date.parse(raw);
      if (!Number.isNaN(at)) return Math.max(0, (at - now) / 1000);
    }
  }
  return undefined;
}

function statusCodeOf(err: unknown): number | undefined {
  if (!isRecord(err)) return undefined;
  const s = err["statusCode"];
  if (typeof s === "number") return s;
  const response = err["response"];
  if (isRecord(response) && typeof response["status"] === "number" && response["status"] > 0) return response["status"];
  return undefined;
}

function codeOf(err: unknown): string | undefined {
  if (!isRecord(err)) return undefined;
  const code = str(err["code"]);
  if (code) return code;
  // classic clients sometimes leave the code only in the parsed body
  const details = err["details"];
  if (isRecord(details) && isRecord(details["error"])) return str(details["error"]["code"]);
  return undefined;
}

function nameOf(err: unknown): string | undefined {
  return isRecord(err) ? str(err["name"]) : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (isRecord(err) && typeof err["message"] === "string") return err["message"];
  return String(err);
}

/** Short label for metrics: the HTTP status ("404") or the error class ("ECONNRESET", "timeout"). */
export function errorClass(err: unknown): string {
  const status = statusCodeOf(err);
  if (status !== undefined) return String(status);
  const name = nameOf(err);
  if (name === "ArmTimeoutError" || name === "TimeoutError") return "timeout";
  if (name === "ArmThrottledError") return "throttled";
  if (name === "AbortError") return "aborted";
  const code = codeOf(err);
  if (code && (UNREACHABLE_CODES.has(code) || TIMEOUT_CODES.has(code))) return code;
  if (/socket hang up/i.test(messageOf(err))) return "ECONNRESET";
  if (name === "CredentialUnavailableError" || name === "AuthenticationError") return "auth";
  return "error";
}

function describe(ctx: ErrorContext): string {
  return ctx.resource ? `${ctx.operation} ${ctx.resource}` : ctx.operation;
}

function notFoundKind(operation: string, code: string, message: string): DefiniteKind {
  if (/^ResourceGroupNotFound$/i.test(code)) return "resource-group-not-found";
  if (/^SubscriptionNotFound$/i.test(code) || /^InvalidSubscriptionId$/i.test(code)) return "subscription-not-found";
  switch (operation) {
    case "VirtualNetworks_Get":
    case "VirtualNetworks_ListUsage":
      return "vnet-not-found";
    case "Subnets_Get":
      // The Network RP names the missing subnet ("Resource …/subnets/x not found"); the gateway form
      // (ResourceNotFound "…'Microsoft.Network/virtualNetworks/v'…") means the parent VNet is gone.
      if (/\/subnets\//i.test(message)) return "subnet-not-found";
      if (/^ResourceNotFound$/i.test(code) || /virtualNetworks\/[^/'\s]+'/i.test(message)) return "vnet-not-found";
      return "subnet-not-found";
    default:
      return "not-found";
  }
}

/** Classifies an error thrown by an SDK call (or by our limiter) for the given operation. */
export function classifyAzureError(err: unknown, ctx: ErrorContext, now: number = Date.now()): ErrorClassification {
  const where = describe(ctx);
  const status = statusCodeOf(err);
  const code = codeOf(err);
  const azureMessage = messageOf(err).trim();
  const name = nameOf(err);
  const fail = (failure: AzureFailure): ErrorClassification => ({ outcome: "failure", failure });

  if (err instanceof ArmGuardError) {
    // refused by us: a foreign nextLink, the page or body cap, or a 2xx that is not the resource
    return fail({
      kind: "other",
      code: err.code,
      ...(err.statusCode !== undefined ? { statusCode: err.statusCode } : {}),
      message: `${where}: ${err.message}`,
    });
  }
  if (err instanceof ArmThrottledError) {
    return fail({ kind: "throttled", message: `${where}: ${err.message}`, retryAfterSeconds: err.retryAfterSeconds });
  }
  if (err instanceof ArmTimeoutError) {
    return fail({ kind: "timeout", message: `${where}: no answer within ${err.timeoutMs} ms` });
  }

  if (status !== undefined) {
    const detail = `${status}${code ? ` ${code}` : ""}${azureMessage ? `: ${azureMessage}` : ""}`;
    const base = { statusCode: status, ...(code ? { code } : {}) };
    if (status === 404) {
      if (!code || !DEFINITE_NOT_FOUND_CODES.has(code.toLowerCase())) {
        return fail({
          kind: "other",
          ...base,
          message: `${where}: HTTP 404 ${code ? `with code ${code.slice(0, 80)}, not one of Azure's not-found codes` : "without an Azure error body"}; not treated as missing`,
        });
      }
      const kind = notFoundKind(ctx.operation, code, azureMessage);
      return { outcome: "definite", kind, statusCode: 404, code, message: `${where}: ${detail}` };
    }
    if (status === 403) {
      if (!code || !DEFINITE_FORBIDDEN_CODES.has(code.toLowerCase())) {
        return fail({
          kind: "other",
          ...base,
          message: `${where}: HTTP 403 ${code ? `with code ${code.slice(0, 80)}, not Azure's authorization failure` : "without an Azure error body"}`,
        });
      }
      return { outcome: "definite", kind: "forbidden", statusCode: 403, code, message: `${where}: ${detail}` };
    }
    if (status === 401) return fail({ kind: "auth", ...base, message: `${where}: ${detail}` });
    if (status === 429) {
      const retryAfterSeconds = retryAfterSecondsFrom(headersOf(err), now);
      // RetryableErrorDueToAnotherOperation is a resource lock, not throttling: no global pause.
      const kind = code && /^RetryableErrorDueToAnotherOperation$/i.test(code) ? "other" : "throttled";
      return fail({
        kind,
        ...base,
        message: `${where}: ${detail}`,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      });
    }
    if (status === 408) return fail({ kind: "timeout", ...base, message: `${where}: ${detail}` });
    if (status >= 500) {
      const retryAfterSeconds = retryAfterSecondsFrom(headersOf(err), now);
      return fail({
        kind: "server-error",
        ...base,
        message: `${where}: ${detail}`,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      });
    }
    return fail({ kind: "other", ...base, message: `${where}: ${detail}` });
  }

  if (name === "TimeoutError" || (code && TIMEOUT_CODES.has(code))) {
    return fail({
      kind: "timeout",
      ...(code ? { code } : {}),
      message: `${where}: timed out (${code ?? name}): ${azureMessage}`,
    });
  }
  if (name === "AbortError") {
    return fail({ kind: "timeout", message: `${where}: request aborted: ${azureMessage}` });
  }
  if ((code && UNREACHABLE_CODES.has(code)) || /socket hang up|ECONNRESET|ECONNREFUSED/i.test(azureMessage)) {
    return fail({
      kind: "unreachable",
      ...(code ? { code } : {}),
      message: `${where}: Azure Resource Manager unreachable (${code ?? "connection error"}): ${azureMessage}`,
    });
  }
  if (code && /^CERT_|^ERR_TLS|SELF_SIGNED|UNABLE_TO_/.test(code)) {
    return fail({ kind: "unreachable", code, message: `${where}: TLS failure (${code}): ${azureMessage}` });
  }
  if (
    name === "CredentialUnavailableError" ||
    name === "AuthenticationError" ||
    name === "AggregateAuthenticationError"
  ) {
    return fail({ kind: "auth", message: `${where}: could not get an Azure token: ${azureMessage}` });
  }
  return fail({ kind: "other", ...(code ? { code } : {}), message: `${where}: ${azureMessage}` });
}
