/**
 * The HTTPS front door: routes, authenticates, injects faults, throttles, authorizes and answers,
 * in the order ARM's gateway does. Counts every request, whatever its fate.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { AdminError, handleAdmin, type SimCore } from "./admin.js";
import { parseSimToken } from "./credential.js";
import {
  ArmError,
  badRequest,
  internalServerError,
  invalidAuthenticationToken,
  subscriptionThrottled,
} from "./errors.js";
import { handleOperation, type Caller } from "./handlers.js";
import { routeRequest, scopeParts } from "./routes.js";

const MAX_BODY = 10 * 1024 * 1024;

export interface SimServerOptions {
  key: string;
  cert: string;
  core: SimCore;
}

interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new AdminError(413, "request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-cache",
    ...reply.headers,
  });
  res.end(text);
}

const HOSTILE_HTML =
  "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Proxy authentication required</h1></body></html>";

function isListing(body: unknown): body is Record<string, unknown> {
  return typeof body === "object" && body !== null && Array.isArray((body as Record<string, unknown>)["value"]);
}

function sendRaw(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headers: Record<string, string>,
): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { ...headers, "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A JSON body of `total` bytes, generated as it is sent (the simulator holds one 64 KiB chunk), without
 * content-length so that only reading it shows its size. Stops when the client goes away.
 */
function sendHuge(
  res: ServerResponse,
  total: number,
  noteSent: (n: number) => void,
  headers: Record<string, string>,
): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(200, { ...headers, "content-type": "application/json; charset=utf-8" });
  const head = '{"id":"/subscriptions/huge","properties":{},"padding":"';
  const tail = '"}';
  const chunk = Buffer.alloc(64 * 1024, "x");
  let remaining = Math.max(0, total - head.length - tail.length);
  res.write(head);
  noteSent(head.length);
  const pump = (): void => {
    while (remaining > 0 && !res.destroyed) {
      const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
      remaining -= piece.length;
      noteSent(piece.length);
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end(tail);
  };
  pump();
}

function errorReply(err: ArmError, headers: Record<string, string>): Reply {
  return { status: err.status, body: err.body(), headers: { ...headers, ...err.headers } };
}

export class SimServer {
  readonly server: Server;
  private readonly core: SimCore;
  private readonly sockets = new Set<Socket>();
  private readonly hangs = new Set<() => void>();
  private closing = false;
  private loopCounter = 0;

  constructor(opts: SimServerOptions) {
    this.core = opts.core;
    this.server = createServer({ key: opts.key, cert: opts.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        send(res, {
          status: 500,
          body: {
            error: {
              code: "InternalServerError",
              message: `simulator bug: ${err instanceof Error ? err.message : String(err)}`,
            },
          },
          headers: {},
        });
      });
    });
    this.server.on("secureConnection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const release of this.hangs) release();
    this.hangs.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    // Not `new URL`: a path starting with `//` would be read as a host.
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? "" : rawUrl.slice(q + 1);
    const baseHeaders: Record<string, string> = {
      "x-ms-request-id": requestId,
      "x-ms-correlation-request-id": req.headers["x-ms-client-request-id"]?.toString() ?? requestId,
    };

    if (/^\/+_admin(\/|$)/i.test(rawPath)) {
      await this.handleAdmin(req, res, rawPath.replace(/^\/+/, "/"), baseHeaders);
      return;
    }

    const routed = routeRequest(rawPath);
    const operation = routed.ok ? routed.route.operation : "Unknown";
    const query = new URLSearchParams(rawQuery);
    const apiVersion = query.get("api-version") ?? undefined;
    const core = this.core;

    // Identity first: throttling and authorization are per caller.
    const auth = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const claims = m?.[1] !== undefined ? parseSimToken(m[1]) : undefined;
    const callerKey = claims?.oid ?? "anonymous";
    core.counters.arrived(operation, callerKey, apiVersion);
    let outcome = "unknown";
    res.on("close", () =>
      core.counters.finished({
        method: req.method ?? "GET",
        path: rawPath,
        query: rawQuery,
        operation,
        caller: callerKey,
        status: outcome,
      }),
    );
    const finish = (reply: Reply): void => {
      outcome = String(reply.status);
      send(res, reply);
    };
    const remainingHeader = (n: number): Record<string, string> => ({
      ...baseHeaders,
      "x-ms-ratelimit-remaining-subscription-reads": String(n),
    });

    if (claims === undefined) {
      const detail =
        m === null
          ? "Authentication failed. The 'Authorization' header is missing or not a Bearer token."
          : "Could not parse the token.";
      finish(
        errorReply(
          invalidAuthenticationToken(core.state.tenantId, detail),
          remainingHeader(core.buckets.settings.capacity),
        ),
      );
      return;
    }
    const caller: Caller = {
      oid: claims.oid,
      clientId: claims.appid ?? core.state.principals.get(claims.oid.toLowerCase())?.appId ?? claims.oid,
    };

    const decision = core.faults.decide(operation, caller.oid);
    if (decision.latencyMs > 0) {
      const released = await this.wait(decision.latencyMs, res);
      if (!released) return;
    }
    const fault = decision.terminal;
    let rewriteNextLink: ((body: Record<string, unknown>) => void) | undefined;
    if (fault !== undefined) {
      switch (fault.kind) {
        case "html":
          outcome = "200";
          sendRaw(res, 200, "text/html; charset=utf-8", HOSTILE_HTML, baseHeaders);
          return;
        case "error-body":
          outcome = "200";
          sendRaw(
            res,
            200,
            "application/json; charset=utf-8",
            JSON.stringify({
              error: {
                code: fault.code ?? "ResourceNotFound",
                message: fault.message ?? "The Resource was not found.",
              },
            }),
            baseHeaders,
          );
          return;
        case "wrong-shape":
          outcome = "200";
          sendRaw(res, 200, "application/json; charset=utf-8", JSON.stringify({ hello: "world" }), baseHeaders);
          return;
        case "huge-body":
          outcome = "200";
          sendHuge(res, fault.bodyBytes ?? 512 * 1024 * 1024, (n) => fault.noteBytesSent(n), baseHeaders);
          return;
        case "foreign-next-link": {
          const link = fault.nextLink ?? "";
          rewriteNextLink = (body) => (body["nextLink"] = link);
          break;
        }
        case "looping-next-link": {
          const base = `https://${req.headers.host ?? "127.0.0.1"}${rawUrl}`;
          const distinct = fault.distinct;
          rewriteNextLink = (body) => {
            if (!distinct) {
              body["nextLink"] = base;
              return;
            }
            const u = new URL(base);
            u.searchParams.set("loop", String(++this.loopCounter));
            body["nextLink"] = u.toString();
          };
          break;
        }
        case "reset":
          outcome = "reset";
          req.socket.destroy();
          return;
        case "hang":
          outcome = "hang";
          await this.wait(Number.POSITIVE_INFINITY, res);
          if (!res.destroyed) res.destroy();
          return;
        case "throttle": {
          const seconds = fault.retryAfterSeconds ?? 1;
          const err = subscriptionThrottled(subscriptionOf(routed.ok ? routed.route : undefined), caller.oid, seconds);
          finish(errorReply(err, remainingHeader(0)));
          return;
        }
        case "error": {
          const status = fault.status ?? 500;
          const base = status >= 500 && fault.code === undefined ? internalServerError(requestId) : undefined;
          const err = new ArmError(
            status,
            fault.code ?? base?.code ?? "InjectedFault",
            fault.message ?? base?.message ?? `Injected fault (${status}).`,
          );
          const extra: Record<string, string> = {};
          if (fault.retryAfterSeconds !== undefined) extra["retry-after"] = String(fault.retryAfterSeconds);
          finish(errorReply(err, { ...remainingHeader(core.buckets.remaining(caller.oid)), ...extra }));
          return;
        }
        case "latency":
          break;
      }
    }

    if ((req.method ?? "GET").toUpperCase() !== "GET") {
      finish(
        errorReply(
          new ArmError(
            405,
            "MethodNotAllowed",
            `The simulator serves reads only; ${req.method ?? ""} is not supported.`,
          ),
          remainingHeader(core.buckets.remaining(caller.oid)),
        ),
      );
      return;
    }

    const taken = core.buckets.take(caller.oid);
    if (!taken.ok) {
      finish(
        errorReply(
          subscriptionThrottled(
            subscriptionOf(routed.ok ? routed.route : undefined),
            caller.oid,
            taken.retryAfterSeconds,
          ),
          remainingHeader(0),
        ),
      );
      return;
    }
    const headers = remainingHeader(taken.remaining);

    if (!routed.ok) {
      finish(
        errorReply(
          new ArmError(404, "InvalidResourceType", `The simulator does not serve GET ${routed.tidyPath}.`),
          headers,
        ),
      );
      return;
    }
    if (apiVersion === undefined) {
      finish(
        errorReply(
          badRequest(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
          ),
          headers,
        ),
      );
      return;
    }
    try {
      const result = handleOperation({
        state: core.state,
        route: routed.route,
        query,
        baseUrl: `https://${req.headers.host ?? "127.0.0.1"}`,
        tidyPath: routed.tidyPath,
        apiVersion,
        caller,
      });
      if (rewriteNextLink && result.status === 200 && isListing(result.body)) rewriteNextLink(result.body);
      finish({ status: result.status, body: result.body, headers });
    } catch (err) {
      if (err instanceof ArmError) finish(errorReply(err, headers));
      else throw err;
    }
  }

  /** Resolves true after `ms`, or false early if the client went away or the simulator closes. */
  private wait(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ok: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.hangs.delete(release);
        res.off("close", onClose);
        resolve(ok);
      };
      const release = (): void => done(false);
      const onClose = (): void => done(false);
      if (this.closing) {
        resolve(false);
        return;
      }
      this.hangs.add(release);
      res.on("close", onClose);
      if (Number.isFinite(ms)) timer = setTimeout(() => done(true), ms);
    });
  }

  private async handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    headers: Record<string, string>,
  ): Promise<void> {
    try {
      const text = await readBody(req);
      let body: unknown = undefined;
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch {
          throw new AdminError(400, "request body is not valid JSON");
        }
      }
      const result = handleAdmin(this.core, (req.method ?? "GET").toUpperCase(), path, body);
      send(res, { status: 200, body: result, headers });
    } catch (err) {
      const status = err instanceof AdminError ? err.status : 500;
      send(res, {
        status,
        body: {
          error: {
            code: status === 404 ? "NotFound" : status === 400 ? "BadRequest" : "AdminError",
            message: err instanceof Error ? err.message : String(err),
          },
        },
        headers,
      });
    }
  }
}

function subscriptionOf(route: import("./routes.js").Route | undefined): string {
  if (route === undefined) return "unknown";
  if ("sub" in route) return route.sub;
  return scopeParts(route.scope).sub ?? "unknown";
}
