/**
 * hack/control-plane-bins.sh: where the control-plane binaries come from, and the message a user
 * without Go gets. (The real build is exercised by every integration run: its cache is what they use.)
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
// no PATH at all: the script must decide from builtins alone, and can never start a real build here
const script = path.resolve(import.meta.dirname, "../../hack/control-plane-bins.sh");

function fakeBins(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "fake-bins-"));
  for (const n of names) {
    writeFileSync(path.join(dir, n), "#!/bin/sh\n");
    chmodSync(path.join(dir, n), 0o755);
  }
  return dir;
}

describe("hack/control-plane-bins.sh", () => {
  test("KUBEBUILDER_ASSETS holding kube-apiserver and etcd is used as is", async () => {
    const dir = fakeBins(["kube-apiserver", "etcd"]);
    const { stdout } = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), KUBEBUILDER_ASSETS: dir },
    });
    expect(stdout.trim()).toBe(dir);
  });

  test("a version-keyed cache directory is used without building", async () => {
    const dir = fakeBins(["kube-apiserver", "etcd", "kubectl"]);
    const { stdout } = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), K8S_BIN_DIR: dir },
    });
    expect(stdout.trim()).toBe(dir);
  });

  test("without Go and without binaries: a clear error naming the fix", async () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), "no-bins-")), "k8s");
    mkdirSync(empty);
    const err = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), K8S_BIN_DIR: empty, KUBEBUILDER_ASSETS: fakeBins(["etcd"]) },
    }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toContain("lacks kube-apiserver or etcd");
    expect(err?.stderr).toContain("Go is not installed");
    expect(err?.stderr).toContain("KUBEBUILDER_ASSETS");
  });
});
