/**
 * What the operator lets the Azure SDK send and accept. The SDK follows whatever `nextLink` a listing
 * returns, with the bearer token attached, and turns any 2xx body into a model (an HTML page reads as a VNet
 * without subnets). So, around every request:
 *  - `armTargetGuardPolicy` runs before the SDK's bearer-token policy: a request to another origin than the
 *    configured ARM endpoint, or to a path that is not one of the reads the operator makes, fails before a
 *    token is even requested; it also counts the pages of one listing (`withListingBudget`) and stops a
 *    listing past its page cap or at a `nextLink` it already followed;
 *  - `checkRequestTarget` is checked again right before each attempt leaves (after retries and redirects);
 *  - `readCappedBody` reads a response body with a size cap, aborting the transfer past it;
 *  - `checkResponseShape` refuses a 2xx that is not JSON, is ARM's error envelope, or lacks the shape of the
 *    expected resource.
 * Every refusal is an `ArmGuardError`: classified as a failure (never an answer), counted and logged by the
 * `onRefused` hook. Written here because the SDK has no origin pinning, page cap or body cap.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Readable } from "node:stream";
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { operationFromRequest, type ArmOperation } from "./operations.js";

export const ARM_TARGET_GUARD_POLICY_NAME = "aksSubnetHealthArmTargetGuard";

/** Default cap on the pages of one listing (a subnet's role assignments, a VNet's usages, …). */
export const DEFAULT_MAX_PAGES = 100;
/** Default cap on one response body (decoded): a VNet with thousands of subnets is a few MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Metric label of a refusal (bounded set). */
export type RefusalReason =
  | "foreign-host"
  | "path"
  | "page-limit"
  | "next-link-loop"
  | "body-too-large"
  | "content-type"
  | "error-body"
  | "shape";

const CODES: Record<RefusalReason, string> = {
  "foreign-host": "RequestToForeignHostRefused",
  path: "RequestPathRefused",
  "page-limit": "PageLimitExceeded",
  "next-link-loop": "NextLinkLoop",
  "body-too-large": "ResponseTooLarge",
  "content-type": "UnexpectedContentType",
  "error-body": "ErrorBodyWithSuccessStatus",
  shape: "UnexpectedResponseBody",
};

/** A request the operator refused to send, or a response it refused to read as an answer. */
export class ArmGuardError extends Error {
  override readonly name = "ArmGuardError";
  /** Azure-style code for messages and conditions, e.g. RequestToForeignHostRefused */
  readonly code: string;
  constructor(
    readonly reason: RefusalReason,
    readonly operation: ArmOperation,
    detail: string,
    /** the offending host (foreign-host), for the log */
    readonly host?: string,
    /** the HTTP status of a refused response */
    readonly statusCode?: number,
  ) {
    super(detail);
    this.code = CODES[reason];
  }
}

/** Told once per refusal: the caller counts it and logs it (rate-limited). Never sees headers or tokens. */
export type RefusalObserver = (err: ArmGuardError) => void;

export interface GuardSettings {
  /** origin of the configured ARM endpoint, e.g. https://management.azure.com */
  origin: string;
  onRefused?: RefusalObserver;
}

/** Bytes of a path that no strictly parsed ARM ID produces: encoded separators and dot segments. */
const SUSPICIOUS_PATH = /%2f|%5c|%2e|%00|\\|\/\.\.?(\/|$)/i;

/**
 * Undefined when the request may go: GET, to the configured origin, over https, on one of the paths the
 * operator reads (see operations.ts). Otherwise the refusal.
 */
export function checkRequestTarget(
  method: string,
  url: string,
  origin: string,
  listingOperation?: ArmOperation,
): ArmGuardError | undefined {
  const own = operationFromRequest(method, url);
  const operation = own === "Other" && listingOperation ? listingOperation : own;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new ArmGuardError("path", operation, "request refused: not a URL");
  }
  if (parsed.origin.toLowerCase() !== origin.toLowerCase() || parsed.username !== "" || parsed.password !== "") {
    return new ArmGuardError(
      "foreign-host",
      operation,
      `request refused: ${parsed.host} is not the configured Azure Resource Manager endpoint (${new URL(origin).host}); a nextLink or redirect pointed elsewhere`,
      parsed.host,
    );
  }
  const rawPath = url.slice(url.indexOf(parsed.host) + parsed.host.length).split(/[?#]/)[0] ?? "";
  if (own === "Other" || SUSPICIOUS_PATH.test(rawPath) || !/^\/+subscriptions\//i.test(parsed.pathname)) {
    return new ArmGuardError(
      "path",
      operation,
      `request refused: ${method.toUpperCase()} ${parsed.pathname.slice(0, 120)} is not a read the operator makes`,
    );
  }
  return undefined;
}

interface ListingBudget {
  /** the listing's operation: a page on a foreign or odd URL is still reported under it */
  operation: ArmOperation;
  maxPages: number;
  pages: number;
  seen: Set<string>;
}

const listing = new AsyncLocalStorage<ListingBudget>();

/**
 * Runs one listing (all its pages) under a page cap: the guard counts each page request made inside `fn`
 * and fails the listing past `maxPages`, or at once when a nextLink repeats a page already read.
 */
export function withListingBudget<T>(operation: ArmOperation, maxPages: number, fn: () => Promise<T>): Promise<T> {
  return listing.run({ operation, maxPages, pages: 0, seen: new Set() }, fn);
}

function notify(onRefused: RefusalObserver | undefined, err: ArmGuardError): ArmGuardError {
  try {
    onRefused?.(err);
  } catch {
    // an observer's bug must not turn a refusal into something else
  }
  return err;
}

/**
 * Per call (once per page, before the bearer-token policy): refuses foreign or unexpected targets before a
 * token is requested or attached, and enforces the listing's page budget.
 */
export function armTargetGuardPolicy(settings: GuardSettings): PipelinePolicy {
  return {
    name: ARM_TARGET_GUARD_POLICY_NAME,
    sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const budget = listing.getStore();
      const refused = checkRequestTarget(request.method, request.url, settings.origin, budget?.operation);
      if (refused) return Promise.reject(notify(settings.onRefused, refused));
      if (budget) {
        const operation = budget.operation;
        budget.pages++;
        if (budget.seen.has(request.url)) {
          return Promise.reject(
            notify(
              settings.onRefused,
              new ArmGuardError(
                "next-link-loop",
                operation,
                `listing stopped after ${budget.pages - 1} pages: its nextLink repeats a page already read`,
              ),
            ),
          );
        }
        if (budget.pages > budget.maxPages) {
          return Promise.reject(
            notify(
              settings.onRefused,
              new ArmGuardError(
                "page-limit",
                operation,
                `listing stopped at the page cap (${budget.maxPages} pages, --arm-max-pages); the answer is incomplete`,
              ),
            ),
          );
        }
        budget.seen.add(request.url);
      }
      return next(request);
    },
  };
}

/**
 * Reads a streamed response body up to `maxBytes`, destroying the stream past it (the rest is never
 * transferred). Sets `bodyAsText` as the transport would have.
 */
export async function readCappedBody(
  response: PipelineResponse,
  maxBytes: number,
  operation: ArmOperation,
): Promise<void> {
  const stream = response.readableStreamBody as (NodeJS.ReadableStream & Partial<Readable>) | undefined;
  delete response.readableStreamBody;
  const tooLarge = (): ArmGuardError =>
    new ArmGuardError(
      "body-too-large",
      operation,
      `response body larger than ${maxBytes} bytes (--arm-max-response-bytes); not read`,
      undefined,
      response.status,
    );
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    stream?.destroy?.();
    throw tooLarge();
  }
  if (!stream) return;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > maxBytes) {
      stream.destroy?.();
      throw tooLarge();
    }
    chunks.push(buf);
  }
  response.bodyAsText = Buffer.concat(chunks, total).toString("utf8");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const LISTINGS: ReadonlySet<ArmOperation> = new Set([
  "VirtualNetworks_ListUsage",
  "RoleAssignments_ListForScope",
  "DenyAssignments_ListForResource",
  "DenyAssignments_ListForScope",
  "Permissions_ListForResource",
]);

/** What a resource read must at least carry to be read as that resource. */
function shapeProblem(operation: ArmOperation, body: Record<string, unknown>): string | undefined {
  if (LISTINGS.has(operation)) {
    if (!Array.isArray(body["value"])) return "a listing without a 'value' array";
    if (!body["value"].every(isRecord)) return "a listing whose items are not objects";
    const next = body["nextLink"];
    if (next !== undefined && next !== null && typeof next !== "string") return "a listing with a non-string nextLink";
    return undefined;
  }
  if (typeof body["id"] !== "string" || body["id"] === "") return "a resource without an 'id'";
  if (!isRecord(body["properties"])) return "a resource without 'properties'";
  return undefined;
}

/**
 * Refuses a 2xx answer that is not the resource asked for: not JSON (an HTML page from a proxy), ARM's
 * error envelope with a success status, or JSON of another shape. Non-2xx answers are left to the SDK
 * and to errors.ts.
 */
export function checkResponseShape(operation: ArmOperation, response: PipelineResponse): ArmGuardError | undefined {
  if (response.status < 200 || response.status >= 300) return undefined;
  const fail = (reason: RefusalReason, what: string): ArmGuardError =>
    new ArmGuardError(
      reason,
      operation,
      `HTTP ${response.status} answer is ${what}, not the expected resource; not used`,
      undefined,
      response.status,
    );
  const contentType = (response.headers.get("content-type") ?? "").toLowerCase();
  if (!/^application\/([a-z0-9.+-]+\+)?json\b/.test(contentType)) {
    return fail("content-type", `of content type '${contentType.slice(0, 60) || "none"}'`);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.bodyAsText ?? "");
  } catch {
    return fail("shape", "not valid JSON");
  }
  if (!isRecord(body)) return fail("shape", "not a JSON object");
  if (isRecord(body["error"])) {
    const code = body["error"]["code"];
    return fail("error-body", `an Azure error body${typeof code === "string" ? ` (${code.slice(0, 60)})` : ""}`);
  }
  const problem = shapeProblem(operation, body);
  return problem ? fail("shape", problem) : undefined;
}
