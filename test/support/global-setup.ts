/**
 * Starts two real control planes once per test run: one with our AKSNodeClass CRD, one with the
 * upstream Karpenter CRD, so every integration test can prove it works with both. Tests isolate by
 * object names. Logs are kept when the run fails (the directory is printed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { binDir, startControlPlane, stopControlPlane, type ControlPlaneState } from "../../hack/control-plane.js";

declare module "vitest" {
  export interface ProvidedContext {
    controlPlanes: { ours: ControlPlaneState; upstream: ControlPlaneState };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-test-"));
  const bins = binDir();
  const started: ControlPlaneState[] = [];
  let failed = false;
  const stopAll = (): void => {
    for (const s of started) stopControlPlane(s);
  };
  const onSignal = (): void => {
    stopAll();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const [ours, upstream] = await Promise.all([
      startControlPlane({ dir: path.join(runDir, "ours"), crd: "ours", bins }).then((s) => (started.push(s), s)),
      startControlPlane({ dir: path.join(runDir, "upstream"), crd: "upstream", bins }).then(
        (s) => (started.push(s), s),
      ),
    ]);
    project.provide("controlPlanes", { ours, upstream });
  } catch (err) {
    stopAll();
    console.error(`control plane failed to start; logs kept in ${runDir}`);
    throw err;
  }
  project.onTestsRerun?.(() => undefined);
  return async () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    stopAll();
    failed = process.exitCode !== undefined && process.exitCode !== 0;
    if (failed || process.env.KEEP_TEST_LOGS) console.error(`control-plane logs kept in ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  };
}
