/**
 * `aks-subnet-health run` as a process, the way the container runs it: configured by flags and
 * environment, JSON logs without secrets, /healthz and /readyz, and a clean exit on SIGTERM.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS, OPERATOR_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { simToken, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { adminKubeConfig, controlPlane, eventually, nodeClassApi, uniqueName } from "../support/kube.js";

const root = path.resolve(import.meta.dirname, "../..");
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ topology: path.join(root, "examples/topology.yaml") });
});
afterAll(async () => {
  await sim?.close();
});

test("runs from flags and env, logs JSON without the token, reports ready, exits 0 on SIGTERM", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-cli-"));
  const token = simToken({ oid: OPERATOR_PRINCIPAL_ID });
  const tokenFile = path.join(dir, "token");
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const label = `cli${uniqueName("x").slice(2)}`;
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "run",
      "--kubeconfig",
      controlPlane("ours").kubeconfig,
      "--metrics-bind-address",
      "127.0.0.1:0",
      "--health-probe-bind-address",
      "127.0.0.1:0",
      "--nodeclass-selector",
      `aks-subnet-health-test=${label}`,
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        ARM_ENDPOINT: sim.url,
        AZURE_CA_FILE: sim.caFile,
        AZURE_TOKEN_FILE: tokenFile,
        CLUSTER_RESOURCE_ID: EXAMPLE_CLUSTER_ID,
        RESYNC_PERIOD: "2s",
        LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const started = await eventually(
      () => {
        const line = out.split("\n").find((l) => l.includes('"aks-subnet-health started"'));
        return line ? (JSON.parse(line) as { health: string; metrics: string }) : undefined;
      },
      { what: "start log line", timeoutMs: 30_000 },
    );
    await eventually(async () => ((await fetch(`${started.health}/readyz`)).status === 200 ? true : undefined), {
      what: "/readyz 200",
    });
    expect((await fetch(`${started.health}/healthz`)).status).toBe(200);

    const api = nodeClassApi(adminKubeConfig("ours"));
    const name = uniqueName("cli");
    await adminKubeConfig("ours")
      .makeApiClient(CustomObjectsApi)
      .createClusterCustomObject({
        group: "karpenter.azure.com",
        version: "v1beta1",
        plural: "aksnodeclasses",
        body: {
          apiVersion: "karpenter.azure.com/v1beta1",
          kind: "AKSNodeClass",
          metadata: { name, labels: { "aks-subnet-health-test": label } },
          spec: { vnetSubnetID: EXAMPLE_SUBNET_IDS["full"] },
        },
      });
    await eventually(
      async () => {
        const obj = await api.get(name);
        return obj.status?.conditions?.some(
          (c) => c.type === "aks-subnet-health.io/SubnetReady" && c.reason === "SubnetFull",
        )
          ? true
          : undefined;
      },
      { what: "SubnetFull written by the process" },
    );
    // only CLUSTER_RESOURCE_ID was given: the start log says what came from the managed cluster
    const resolved = out
      .split("\n")
      .filter((l) => l.includes('"operation":"resolved"'))
      .map((l) => JSON.parse(l) as Record<string, { from: string; value?: string }>);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      clusterResourceId: { value: EXAMPLE_CLUSTER_ID, from: "environment" },
      defaultSubnet: { from: "managed cluster" },
      karpenterPrincipal: { from: "managed cluster" },
      network: { from: "managed cluster" },
    });
    const metrics = await (await fetch(started.metrics)).text();
    expect(metrics).toContain(`aks_subnet_health_nodeclass_info{nodeclass="${name}"`);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const lines = out.split("\n").filter((l) => l.trim() !== "");
    for (const l of lines) expect(() => JSON.parse(l) as unknown, l).not.toThrow();
    expect(out).not.toContain(token);
    expect(out.toLowerCase()).not.toContain("bearer");
    expect(lines.some((l) => l.includes('"stopped"'))).toBe(true);
    const status = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "status updated" && l.nodeclass === name);
    expect(status).toMatchObject({ nodeclass: name, operation: "write-status", subnet: EXAMPLE_SUBNET_IDS["full"] });
    await api.remove(name);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
