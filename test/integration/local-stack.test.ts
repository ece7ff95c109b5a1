/**
 * The local stack as a developer uses it: hack/local-up.sh in the background, kubectl with
 * .local/env sourced, a second local-up that starts nothing, and hack/local-down.sh leaving no
 * process behind. Runs in its own directory so a developer's running demo is not disturbed.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { processAlive } from "../../hack/control-plane.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-local-"));
const env = { ...process.env, AKS_SUBNET_HEALTH_LOCAL_DIR: dir, RESYNC_PERIOD: "2s" };

function recordedPids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(path.join(dir, "env"), "utf8").matchAll(/^export (\w+_PID)=(\d+)$/gm))
    out[m[1] ?? ""] = Number(m[2]);
  return out;
}

afterAll(async () => {
  await run("bash", ["hack/local-down.sh"], { cwd: root, env }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test(
  "local-up, kubectl against it, idempotent local-up, local-down leaves no process",
  { timeout: 240_000 },
  async () => {
    await run("bash", ["hack/local-up.sh"], { cwd: root, env, timeout: 200_000 });
    const pids = recordedPids();
    expect(Object.keys(pids).sort()).toEqual(["APISERVER_PID", "ETCD_PID", "OPERATOR_PID", "SIM_PID"]);
    for (const pid of Object.values(pids)) expect(processAlive(pid)).toBe(true);

    const sh = (cmd: string) =>
      run("bash", ["-c", `source "${dir}/env" && ${cmd}`], { cwd: root, env, timeout: 60_000 });
    await sh("kubectl apply -f examples/nodeclasses.yaml");
    const table = await sh("kubectl get aksnodeclass");
    expect(table.stdout).toMatch(/NAME\s+READY\s+SUBNETREADY\s+SUBNETREASON\s+FREEIPS\s+NODEHEADROOM\s+AGE/);
    expect(table.stdout).toContain("reader-only");
    const metrics = await sh('curl -fsS "$METRICS_URL"');
    expect(metrics.stdout).toContain("aks_subnet_health_build_info");
    // .local/env alone is enough to act as the operator against the simulator (a benchmark or a manual run)
    const cluster = await sh(
      'curl -fsS --cacert "$ARM_SIM_CA_FILE" -H "Authorization: Bearer $(cat "$OPERATOR_TOKEN_FILE")" ' +
        '"$ARM_SIM_URL$EXAMPLE_CLUSTER_RESOURCE_ID?api-version=2025-07-01"',
    );
    expect(JSON.parse(cluster.stdout)).toMatchObject({ type: "Microsoft.ContainerService/managedClusters" });

    const again = await run("bash", ["hack/local-up.sh"], { cwd: root, env, timeout: 60_000 });
    expect(again.stdout + again.stderr).toContain("already running");
    expect(recordedPids()).toEqual(pids);

    await run("bash", ["hack/local-down.sh"], { cwd: root, env, timeout: 60_000 });
    for (const pid of Object.values(pids)) expect(processAlive(pid)).toBe(false);
  },
);
