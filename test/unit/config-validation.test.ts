/**
 * Configuration is validated completely before anything starts: CIDRs, IPs, label selectors, names, files
 * and ports. Every problem is one line of one message, the exit status is 2, and there is no stack trace.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, resolveOptions } from "../../src/config/options.js";
import { fileProblems, portProblems } from "../../src/config/preflight.js";
import { labelSelectorProblem } from "../../src/config/validate.js";

const root = path.resolve(import.meta.dirname, "../..");

function problems(flags: Record<string, unknown>): string[] {
  try {
    resolveOptions(flags, {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe("values", () => {
  test.each([
    [{ podCidr: "10.0.0.0/33" }, '--pod-cidr / POD_CIDR: "10.0.0.0/33" has an invalid prefix length'],
    [{ podCidr: "10.244.0.0/16,notacidr" }, '--pod-cidr / POD_CIDR: "notacidr" is not a CIDR'],
    [{ serviceCidr: "garbage" }, '--service-cidr / SERVICE_CIDR: "garbage" is not a CIDR'],
    [{ dnsServiceIp: "999.1.1.1" }, '--dns-service-ip / DNS_SERVICE_IP: "999.1.1.1" is not an IP address'],
    [{ nodeclassSelector: "team in (a,b" }, "--nodeclass-selector / NODECLASS_SELECTOR"],
    [{ nodeclassSelector: "=x" }, "--nodeclass-selector / NODECLASS_SELECTOR"],
    [{ eventsNamespace: "aks-subnet-health" }, '--events-namespace: "aks-subnet-health": Events about AKSNodeClasses'],
    [{ leaderElectionId: "UPPER" }, "--leader-election-id"],
    [{ metricsBindAddress: ":70000" }, "port must be 0-65535"],
  ])("%o is refused: %s", (flags, expected) => {
    const list = problems(flags);
    expect(list).toHaveLength(1);
    expect(list[0]).toContain(expected);
  });

  test("the issue's flags give one line each", () => {
    const list = problems({ podCidr: "10.0.0.0/33,notacidr", serviceCidr: "garbage", dnsServiceIp: "999.1.1.1" });
    expect(list).toHaveLength(4);
  });

  test("valid values pass", () => {
    expect(
      problems({
        podCidr: "10.244.0.0/16, fd00::/48",
        serviceCidr: "10.0.0.0/16",
        dnsServiceIp: "10.0.0.10",
        nodeclassSelector: "team=a,env in (prod, staging),!legacy,karpenter.azure.com/pool!=x,tier",
      }),
    ).toEqual([]);
  });

  test.each(["a", "a=b", "a==b", "a!=", "!a", "a in (b)", "a notin (b,c)", "example.com/a=b", "a=b,c!=d"])(
    "selector %s is valid",
    (s) => expect(labelSelectorProblem(s)).toBeUndefined(),
  );
  test.each(["a=b,", "a in b", "a=(b)", "-a=b", "a=b c", "x/y/z=1", "a in (b", "a=" + "v".repeat(64)])(
    "selector %s is refused",
    (s) => expect(labelSelectorProblem(s)).toBeDefined(),
  );
});

describe("files and ports", () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-config-"));
    writeFileSync(path.join(dir, "empty-token"), "\n");
    writeFileSync(path.join(dir, "not-a-ca.pem"), "hello");
    writeFileSync(path.join(dir, "bad-kubeconfig"), "{{{ not yaml");
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  });

  test("missing, unreadable or wrong files are named, one line each", () => {
    const o = resolveOptions(
      {
        kubeconfig: path.join(dir, "missing-kubeconfig"),
        azureCaFile: path.join(dir, "not-a-ca.pem"),
        azureTokenFile: path.join(dir, "empty-token"),
      },
      {},
    );
    expect(fileProblems(o, {})).toEqual([
      `--kubeconfig: ${dir}/missing-kubeconfig does not exist`,
      `--azure-ca-file: ${dir}/not-a-ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      `--azure-token-file: ${dir}/empty-token is empty`,
    ]);
    const bad = resolveOptions({ kubeconfig: path.join(dir, "bad-kubeconfig") }, {});
    expect(fileProblems(bad, {})[0]).toMatch(/--kubeconfig: .* is not a valid kubeconfig/);
    expect(fileProblems(resolveOptions({}, {}), {})[0]).toMatch(/^no kubeconfig/);
  });

  test("a port in use is named", async () => {
    const o = resolveOptions(
      { metricsBindAddress: `127.0.0.1:${busyPort}`, healthProbeBindAddress: "127.0.0.1:0" },
      {},
    );
    expect(await portProblems(o)).toEqual([`--metrics-bind-address: 127.0.0.1:${busyPort} is already in use`]);
  });

  test("the CLI exits 2 with one message, one line per problem, no stack trace", { timeout: 60_000 }, async () => {
    const run = promisify(execFile);
    const cli = async (args: string[]): Promise<{ code?: number; stderr?: string }> =>
      run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", ...args], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "" },
      }).then(
        () => ({}),
        (e: { code?: number; stderr?: string }) => e,
      );
    const values = await cli([
      "--pod-cidr",
      "10.0.0.0/33,notacidr",
      "--dns-service-ip",
      "999.1.1.1",
      "--nodeclass-selector",
      "a in (b",
    ]);
    expect(values.code).toBe(2);
    expect(values.stderr?.match(/^ {2}- /gm)).toHaveLength(4);
    const files = await cli([
      "--kubeconfig",
      path.join(dir, "missing-kubeconfig"),
      "--azure-token-file",
      path.join(dir, "missing-token"),
      "--metrics-bind-address",
      `127.0.0.1:${busyPort}`,
      "--health-probe-bind-address",
      "127.0.0.1:0",
    ]);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain("missing-kubeconfig does not exist");
    expect(files.stderr).toContain("missing-token does not exist");
    expect(files.stderr).toContain("is already in use");
    for (const r of [values, files]) {
      expect(r.stderr?.split("\n").filter((l) => l.startsWith("aks-subnet-health:"))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
