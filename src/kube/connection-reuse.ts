/**
 * One connection pool to the API server instead of one per request.
 *
 * client-node 2.0.1 builds a new undici Agent inside every request (`KubeConfig.applySecurityAuthentication`
 * → `createDispatcher`), so each API call opens a new TLS connection with a freshly parsed CA bundle and
 * leaves it to time out. Profiling 1,000 nodeclasses converging (`npm run bench -- --cpu-prof`) put TLS
 * set-up at about a fifth of the operator's CPU, and the abandoned connections' native buffers showed as
 * RSS outside the V8 heap. Here the dispatcher is kept per distinct TLS configuration (server, proxy,
 * CA, client certificate and key, verification settings), so rotated client certificates still get a
 * new one. `createDispatcher` is private in client-node's typings; if a later version renames it,
 * nothing is patched and the unit test says so.
 */
import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";

type CreateDispatcher = (cluster: unknown, agentOptions: Record<string, unknown>) => unknown;

const PATCHED = Symbol("aks-subnet-health.connection-reuse");

function keyOf(cluster: unknown, agentOptions: Record<string, unknown>): string {
  const h = createHash("sha256");
  const c = (cluster ?? {}) as { server?: string; proxyUrl?: string; skipTLSVerify?: boolean };
  h.update(JSON.stringify([c.server, c.proxyUrl, c.skipTLSVerify]));
  for (const k of ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"]) {
    const v = agentOptions[k];
    h.update(`|${k}=`);
    if (Buffer.isBuffer(v) || typeof v === "string") h.update(v);
    else if (v !== undefined) h.update(JSON.stringify(v));
  }
  return h.digest("hex");
}

/** Makes `kc` reuse one dispatcher (connection pool) per TLS configuration. Returns whether it could. */
export function reuseConnections(kc: KubeConfig): boolean {
  const target = kc as unknown as { createDispatcher?: CreateDispatcher; [PATCHED]?: true };
  if (target[PATCHED]) return true;
  const original = target.createDispatcher;
  if (typeof original !== "function") return false;
  let current: { key: string; dispatcher: unknown } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = keyOf(cluster, agentOptions);
    // only the latest is kept: a superseded pool is dropped once its open watches end
    if (current?.key !== key) current = { key, dispatcher: original.call(kc, cluster, agentOptions) };
    return current.dispatcher;
  };
  target[PATCHED] = true;
  return true;
}
