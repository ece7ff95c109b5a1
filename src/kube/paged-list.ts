/**
 * LIST a collection in pages (`limit` / `continue`) and reduce each page to what the caller keeps
 * before the next one is fetched. A 5,000-node cluster answers an unpaginated node LIST with 75 MB
 * of JSON; parsed, that is several hundred MB of heap at once. In pages of `pageSize`, the peak is
 * one page.
 *
 * Pages come from `rawPageFetcher`: a plain GET whose body is only JSON.parse'd. client-node's typed
 * `listNode` would, on top of that, copy every field of every object into its model classes — a
 * second full copy of each page, and most of the CPU of a large list.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { statusCodeOf } from "./errors.js";

export interface PageRequest {
  labelSelector?: string;
  limit: number;
  continue?: string;
}

export type PageFetcher<T extends KubernetesObject> = (req: PageRequest) => Promise<KubernetesListObject<T>>;

export const DEFAULT_PAGE_SIZE = 250;

export interface PagedListResult<U> {
  items: U[];
  /** the list's resourceVersion (every page of one continued list carries the first page's) */
  resourceVersion: string | undefined;
  pages: number;
}

function continueOf(list: KubernetesListObject<KubernetesObject>): string | undefined {
  // client-node's model names it `_continue`; the raw JSON of the API server `continue`
  const meta: { _continue?: string; continue?: string } | undefined = list.metadata;
  const c = meta?._continue ?? meta?.continue;
  return c ? c : undefined;
}

/**
 * Fetches every page and maps each item through `reduce` as its page arrives (items for which it
 * returns undefined are dropped). When a continue token has expired (410 Gone, the server compacted
 * past the list's snapshot), the list starts over, at most `maxRestarts` times.
 */
export async function listInPages<T extends KubernetesObject, U>(
  fetchPage: PageFetcher<T>,
  reduce: (item: T) => U | undefined,
  opts: { labelSelector?: string; pageSize?: number; maxRestarts?: number } = {},
): Promise<PagedListResult<U>> {
  const limit = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const maxRestarts = opts.maxRestarts ?? 3;
  let pages = 0;
  for (let restarts = 0; ; restarts++) {
    const items: U[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    try {
      do {
        const page = await fetchPage({
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          limit,
          ...(cont ? { continue: cont } : {}),
        });
        pages++;
        resourceVersion ??= page.metadata?.resourceVersion;
        for (const item of page.items ?? []) {
          const u = reduce(item);
          if (u !== undefined) items.push(u);
        }
        cont = continueOf(page);
      } while (cont);
      return { items, resourceVersion, pages };
    } catch (err) {
      if (cont === undefined || statusCodeOf(err) !== 410 || restarts >= maxRestarts) throw err;
    }
  }
}

/** An error shaped like client-node's (`statusCode`, `headers`, `body`), so errors.ts reads it. */
class ListError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    super(message);
  }
}

/** How a page is asked for and read: JSON by default; the node list asks for protobuf (node-list-protobuf.ts). */
export interface PageEncoding<T extends KubernetesObject> {
  /** the Accept header */
  accept: string;
  /** a 200 answer's body with its Content-Type */
  decode(body: Buffer, contentType: string | undefined): KubernetesListObject<T>;
  /** an error answer's body as text (errors.ts reads a JSON Status) */
  errorText?(body: Buffer, contentType: string | undefined): string | undefined;
}

const jsonEncoding = <T extends KubernetesObject>(): PageEncoding<T> => ({
  accept: "application/json",
  decode: (body) => JSON.parse(body.toString("utf8")) as KubernetesListObject<T>,
});

/**
 * A PageFetcher for a collection path (e.g. /api/v1/nodes) with the kubeconfig's server, CA and
 * credentials (client certificates, tokens, exec plugins: whatever client-node applies).
 */
export function rawPageFetcher<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  timeoutMs = 60_000,
  encoding: PageEncoding<T> = jsonEncoding<T>(),
): PageFetcher<T> {
  return async (req) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/$/, "") + path);
    url.searchParams.set("limit", String(req.limit));
    if (req.labelSelector) url.searchParams.set("labelSelector", req.labelSelector);
    if (req.continue) url.searchParams.set("continue", req.continue);
    const opts: RequestOptions = { method: "GET", headers: {} };
    await kc.applyToHTTPSOptions(opts);
    // a plain-HTTP server (a local proxy) takes the credentials' headers but not the TLS agent
    const plain = url.protocol === "http:";
    if (plain) delete opts.agent;
    const request = plain ? httpRequest : httpsRequest;
    return new Promise<KubernetesListObject<T>>((resolve, reject) => {
      const r = request(
        url,
        { ...opts, headers: { ...(opts.headers ?? {}), accept: encoding.accept }, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const body = Buffer.concat(chunks);
            chunks.length = 0;
            const status = res.statusCode ?? 0;
            const contentType = res.headers["content-type"];
            if (status !== 200) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers[k] = v;
              const text = encoding.errorText?.(body, contentType) ?? body.toString("utf8");
              reject(new ListError(`GET ${path}: HTTP ${status}`, status, headers, text.slice(0, 4096)));
              return;
            }
            try {
              resolve(encoding.decode(body, contentType));
            } catch (err) {
              reject(new Error(`GET ${path}: response cannot be read (${String(err)})`));
            }
          });
        },
      );
      r.on("timeout", () => r.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
      r.on("error", reject);
      r.end();
    });
  };
}
