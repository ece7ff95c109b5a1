/**
 * Start-up checks that need the file system or the network stack: the files the configuration names
 * (kubeconfig, ARM CA bundle, token file) are there and readable and hold what they should, and the ports
 * to serve on are free. Run once before anything starts, so every problem is one line of one message and
 * the process exits 2, instead of a stack trace from deep inside a client.
 */
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { createServer } from "node:net";
import { delimiter } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Options } from "./options.js";

function errnoOf(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
}

function fileProblem(flag: string, file: string): { text?: string; problem?: string } {
  try {
    return { text: readFileSync(file, "utf8") };
  } catch (err) {
    const code = errnoOf(err);
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable by the operator's user"
          : code === "EISDIR"
            ? "is a directory, not a file"
            : `cannot be read (${code || String(err)})`;
    return { problem: `${flag}: ${file} ${why}` };
  }
}

/** First PEM certificate block that does not parse, or none in the text at all. */
function caProblem(text: string): string | undefined {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      return "holds a PEM certificate that does not parse";
    }
  }
  return undefined;
}

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export function fileProblems(o: Options, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (!o.kubeconfig) {
    if (!env.KUBERNETES_SERVICE_HOST) {
      out.push("no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST is unset)");
    } else {
      const { problem } = fileProblem("in-cluster service account token", SERVICE_ACCOUNT_TOKEN);
      if (problem) out.push(`${problem} (is automountServiceAccountToken off?)`);
    }
  } else if (o.kubeconfig.includes(delimiter)) {
    for (const file of o.kubeconfig.split(delimiter).filter(Boolean)) {
      const { problem } = fileProblem("KUBECONFIG", file);
      if (problem) out.push(problem);
    }
  } else {
    const { problem } = fileProblem("--kubeconfig", o.kubeconfig);
    if (problem) out.push(problem);
    else {
      try {
        const kc = new KubeConfig();
        kc.loadFromFile(o.kubeconfig);
        if (!kc.getCurrentCluster()) out.push(`--kubeconfig: ${o.kubeconfig} has no current context with a cluster`);
      } catch (err) {
        out.push(`--kubeconfig: ${o.kubeconfig} is not a valid kubeconfig (${String(err).slice(0, 160)})`);
      }
    }
  }
  if (o.azureCaFile) {
    const { text, problem } = fileProblem("--azure-ca-file", o.azureCaFile);
    const bad = text !== undefined ? caProblem(text) : undefined;
    if (problem) out.push(problem);
    else if (bad) out.push(`--azure-ca-file: ${o.azureCaFile} ${bad}`);
  }
  if (o.azureTokenFile) {
    const { text, problem } = fileProblem("--azure-token-file", o.azureTokenFile);
    if (problem) out.push(problem);
    else if (!text?.trim()) out.push(`--azure-token-file: ${o.azureTokenFile} is empty`);
  }
  return out;
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err) => resolve(errnoOf(err) || String(err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export async function portProblems(o: Options): Promise<string[]> {
  const out: string[] = [];
  const binds = [
    ["--metrics-bind-address", o.metricsBindAddress],
    ["--health-probe-bind-address", o.healthProbeBindAddress],
  ] as const;
  const [metrics, health] = binds.map(([, b]) => b);
  if (metrics && health && metrics.port !== 0 && metrics.port === health.port) {
    out.push(`--metrics-bind-address and --health-probe-bind-address both use port ${metrics.port}`);
    return out;
  }
  for (const [flag, { host, port }] of binds) {
    if (port === 0) continue;
    const code = await tryListen(host, port);
    if (code === undefined) continue;
    const why =
      code === "EADDRINUSE"
        ? "is already in use"
        : code === "EACCES"
          ? "needs privileges the operator does not have (use a port above 1023)"
          : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
            ? "names an address this host does not have"
            : `cannot be bound (${code})`;
    out.push(`${flag}: ${host}:${port} ${why}`);
  }
  return out;
}

/** Every problem found, one line each; empty when the operator may start. */
export async function preflight(o: Options): Promise<string[]> {
  return [...fileProblems(o), ...(await portProblems(o))];
}
