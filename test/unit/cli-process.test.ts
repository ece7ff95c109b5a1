/**
 * `aks-subnet-health run` at its edges, as a process: a placeholder or unparseable setting stops it at
 * start with exit 2 and one message naming the setting and the fix; SIGTERM before the first sync
 * exits 0 without a stack trace; an unreachable API server is logged with its endpoint and the cause.
 * No API server is needed: these are the moments before there is one to talk to.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-cli-process-"));
// the token file must exist at start (checked before anything starts); its content is never used here
const TOKEN_FILE = path.join(dir, "unused-token");
writeFileSync(TOKEN_FILE, "not-a-real-token");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLUSTER =
  "/subscriptions/5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c";

interface Proc {
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (sig: NodeJS.Signals) => void;
}

function operator(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { output: () => out, exited, kill: (sig) => child.kill(sig) };
}

async function waitForOutput(p: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = p
      .output()
      .split("\n")
      .find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no output matching ${String(pattern)} within ${timeoutMs} ms; got:\n${p.output()}`);
}

/** A loopback port nobody listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function unreachableKubeconfig(): Promise<{ file: string; server: string }> {
  const server = `https://127.0.0.1:${await closedPort()}`;
  const file = path.join(dir, `kubeconfig-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: c",
      "  cluster:",
      `    server: ${server}`,
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: u",
      "  user:",
      "    token: not-a-secret",
      "contexts:",
      "- name: c",
      "  context: {cluster: c, user: u}",
      "current-context: c",
      "",
    ].join("\n"),
  );
  return { file, server };
}

describe("configuration refused at start (exit 2)", { timeout: 60_000 }, () => {
  test.each([
    [
      "CLUSTER_RESOURCE_ID",
      CLUSTER.replace("5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c", "00000000-0000-0000-0000-000000000000"),
      /--cluster-resource-id \/ CLUSTER_RESOURCE_ID holds a placeholder.*az aks show/,
    ],
    [
      "CLUSTER_RESOURCE_ID",
      CLUSTER.replace("/c", "/CHANGE-ME"),
      /--cluster-resource-id \/ CLUSTER_RESOURCE_ID holds a placeholder/,
    ],
    [
      "KARPENTER_PRINCIPAL_ID",
      "00000000-0000-0000-0000-000000000000",
      /--karpenter-principal-id \/ KARPENTER_PRINCIPAL_ID holds a placeholder.*unset it/,
    ],
    [
      "VNET_SUBNET_ID",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/CHANGE-ME/providers/Microsoft.Network/virtualNetworks/CHANGE-ME/subnets/CHANGE-ME",
      /--vnet-subnet-id \/ VNET_SUBNET_ID holds a placeholder.*unset it to use the cluster's default subnet/,
    ],
    ["CLUSTER_RESOURCE_ID", "aks-prod", /--cluster-resource-id must be \/subscriptions\//],
  ])("%s=%s", async (name, value, message) => {
    const p = operator([], { [name]: value, CLUSTER_RESOURCE_ID: name === "CLUSTER_RESOURCE_ID" ? value : CLUSTER });
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.output()).toMatch(message);
    expect(p.output()).not.toMatch(/\n\s+at /); // one message, no stack trace
  });
});

describe("process edges", { timeout: 60_000 }, () => {
  test("SIGTERM before the first sync: exit 0, no stack trace", async () => {
    const kc = await unreachableKubeconfig();
    const p = operator(
      ["--kubeconfig", kc.file, "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"],
      { CLUSTER_RESOURCE_ID: CLUSTER, AZURE_TOKEN_FILE: TOKEN_FILE, ARM_ENDPOINT: kc.server },
    );
    await waitForOutput(p, /"aks-subnet-health started"/);
    p.kill("SIGTERM");
    const { code, signal } = await p.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(p.output()).not.toMatch(/\n\s+at /);
    expect(p.output()).not.toMatch(/"level":(50|60)/);
    expect(p.output()).toContain('"stopped"');
  });

  test("an unreachable API server and Azure endpoint are logged with the endpoint and the cause", async () => {
    const kc = await unreachableKubeconfig();
    const p = operator(
      ["--kubeconfig", kc.file, "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"],
      { CLUSTER_RESOURCE_ID: CLUSTER, AZURE_TOKEN_FILE: TOKEN_FILE, ARM_ENDPOINT: kc.server },
    );
    try {
      const line = JSON.parse(await waitForOutput(p, /"operation":"list-watch"/)) as Record<string, unknown>;
      expect(line.endpoint).toBe(kc.server);
      expect(line.err).toMatch(/ECONNREFUSED/);
      // the managed cluster could not be read: the start-up log says so, with ARM's address and the cause
      const resolved = JSON.parse(await waitForOutput(p, /"operation":"resolved"/)) as {
        level: string;
        clusterResourceId: { readError?: string };
      };
      expect(resolved.level).toBe("warn");
      expect(resolved.clusterResourceId.readError).toContain(`ECONNREFUSED ${new URL(kc.server).host}`);
    } finally {
      p.kill("SIGTERM");
      await p.exited;
    }
  });
});
