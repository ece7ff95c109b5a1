/**
 * hack/helm-bin.sh: where helm comes from (HELM_BIN, the version-keyed cache) and the message a user
 * without Go gets. (The real build from Go modules is what every chart test run uses.)
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

const run = promisify(execFile);
// no PATH at all: the script decides from builtins alone, and can never start a real build here
const script = path.resolve(import.meta.dirname, "../../hack/helm-bin.sh");

function fakeHelm(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "helm");
  writeFileSync(file, "#!/bin/sh\n");
  chmodSync(file, 0o755);
  return file;
}

describe("hack/helm-bin.sh", () => {
  test("an executable HELM_BIN is used as is", async () => {
    const helm = fakeHelm(mkdtempSync(path.join(tmpdir(), "helm-bin-")));
    const { stdout } = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), HELM_BIN: helm },
    });
    expect(stdout.trim()).toBe(helm);
  });

  test("the version-keyed cache is used without building", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "helm-cache-"));
    const helm = fakeHelm(path.join(cache, "helm-v9.9.9"));
    const { stdout } = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), AKS_SUBNET_HEALTH_CACHE: cache, HELM_VERSION: "v9.9.9" },
    });
    expect(stdout.trim()).toBe(helm);
  });

  test("without Go and without a cached helm: a clear error naming the fix", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), "helm-empty-"));
    const err = await run("/bin/bash", [script], {
      env: { PATH: "/nonexistent", HOME: tmpdir(), AKS_SUBNET_HEALTH_CACHE: cache },
    }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toContain("Go is not installed");
    expect(err?.stderr).toContain("HELM_BIN");
  });
});
