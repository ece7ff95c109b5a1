/**
 * `aks-subnet-health check`: the preflight a GitOps pipeline runs on AKSNodeClass manifests, and the
 * one-off check of a live cluster. Real ARM simulator over HTTPS with the unmodified SDK clients, a
 * real kube-apiserver for --cluster, the command as a process for output and exit codes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { CheckReport } from "../../src/check/report.js";
import { runCheck } from "../../src/check/run-check.js";
import { resolveOptions, CHECK_OPTION_KEYS, type Options } from "../../src/config/options.js";
import { CONDITION_PREFIX } from "../../src/domain.js";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS, OPERATOR_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { SimTokenCredential, simToken, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { controlPlane, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const root = path.resolve(import.meta.dirname, "../..");
const EXAMPLES = path.join(root, "examples/nodeclasses.yaml");
const TOPOLOGY = path.join(root, "examples/topology.yaml");

/** Expected verdict per example scenario with the example cluster (examples/nodeclasses.yaml explains each). */
// Karpenter accepts only subnets in the cluster subnet's VNet (vnet-aks): everything elsewhere is refused first
const SCENARIOS: Record<string, { reason: string; exit: 0 | 1 | 3 }> = {
  healthy: { reason: "SubnetReady", exit: 0 },
  "nearly-full": { reason: "CapacityLow", exit: 0 },
  full: { reason: "SubnetFull", exit: 1 },
  "missing-subnet": { reason: "SubnetNotFound", exit: 1 },
  "missing-vnet": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "missing-rg": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  unreadable: { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "reader-only": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "approach-a": { reason: "SubnetReady", exit: 0 },
  "approach-b-custom-role": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "approach-b-conditioned": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "deny-assignment": { reason: "SubnetOutsideClusterVNet", exit: 1 },
  "pod-cidr-overlap": { reason: "CIDRConflict", exit: 1 },
  "service-cidr-overlap": { reason: "CIDRConflict", exit: 1 },
  "dual-stack": { reason: "SubnetReady", exit: 0 },
  "usage-not-reported": { reason: "UsageNotReported", exit: 3 },
  "nsg-deny-443": { reason: "NSGDeniesNodeTraffic", exit: 1 },
  "route-blackhole": { reason: "DefaultRouteDropped", exit: 1 },
  "aci-delegated": { reason: "SubnetDelegated", exit: 1 },
  "parity-differs": { reason: "DiffersFromClusterSubnet", exit: 0 },
  "case-mismatch": { reason: "SubnetCaseMismatch", exit: 1 },
  "malformed-id": { reason: "SubnetIDInvalid", exit: 1 },
  "default-subnet": { reason: "SubnetReady", exit: 0 },
};

/** Each example document as its own YAML text, by name. */
function exampleDocuments(): Map<string, string> {
  const out = new Map<string, string>();
  const docs = parseAllDocuments(readFileSync(EXAMPLES, "utf8"));
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const name = (doc.toJS() as { metadata?: { name?: string } } | null)?.metadata?.name;
    if (name) out.set(name, doc.toString());
  }
  return out;
}

let sim: RunningSimulator;
let tokenFile: string;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ topology: TOPOLOGY });
  dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-check-"));
  tokenFile = path.join(dir, "token");
  writeFileSync(tokenFile, simToken({ oid: OPERATOR_PRINCIPAL_ID }), { mode: 0o600 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  await sim.admin.resetCounters();
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command as a CI step runs it: a process, configured by flags and environment. */
function runCli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "check", ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      ARM_ENDPOINT: sim.url,
      AZURE_CA_FILE: sim.caFile,
      AZURE_TOKEN_FILE: tokenFile,
      CLUSTER_RESOURCE_ID: EXAMPLE_CLUSTER_ID,
      ...opts.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(opts.stdin ?? "");
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

function checkOptions(flags: Record<string, unknown> = {}): Options {
  return resolveOptions(
    { armEndpoint: sim.url, azureCaFile: sim.caFile, clusterResourceId: EXAMPLE_CLUSTER_ID, ...flags },
    {},
    CHECK_OPTION_KEYS,
  );
}
const credential = new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID });

describe("check on manifests", () => {
  test("the examples as a table: a row per scenario, the fixes below, exit 1 because some are blocked", async () => {
    const ran = await runCli([EXAMPLES]);
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(1);
    const lines = ran.stdout.split("\n");
    expect(lines[0]).toMatch(/^NODECLASS\s+SUBNET\s+READY\s+REASON\s+FREE-IPS\s+HEADROOM\s+SOURCE$/);
    for (const [name, s] of Object.entries(SCENARIOS)) {
      const row = lines.find((l) => l.startsWith(`${name} `));
      expect(row, name).toBeDefined();
      expect(row?.split(/\s{2,}/)[3], name).toBe(s.reason);
    }
    expect(lines.find((l) => l.startsWith("full ")) ?? "").toMatch(
      /^full\s+vnet-aks\/full\s+False\s+SubnetFull\s+0\s+0\s+spec$/,
    );
    expect(lines.find((l) => l.startsWith("default-subnet ")) ?? "").toMatch(/\sdefault$/);
    // the fix for a blocked nodeclass is printed with it
    expect(ran.stdout).toContain("full (");
    expect(ran.stdout).toMatch(/SubnetCapacity False SubnetFull: .*Add an address prefix/);
    expect(ran.stdout.trimEnd().split("\n").at(-1)).toBe(
      "23 nodeclasses: 4 ready, 2 with warnings, 16 blocked, 1 undecided (network plan: managed-cluster); exit 1",
    );
  });

  test("JSON from stdin: every scenario's verdict, reason and numbers", async () => {
    const ran = await runCli(["-", "--output", "json"], { stdin: readFileSync(EXAMPLES, "utf8") });
    expect(ran.code).toBe(1);
    const report = JSON.parse(ran.stdout) as CheckReport;
    expect(report.exitCode).toBe(1);
    expect(report.networkSource).toBe("managed-cluster");
    const byName = new Map(report.nodeClasses.map((n) => [n.name, n]));
    for (const [name, s] of Object.entries(SCENARIOS)) expect(byName.get(name)?.reason, name).toBe(s.reason);
    expect(byName.get("nearly-full")).toMatchObject({
      subnet: "vnet-aks/nearly-full",
      verdict: "warning",
      ready: "True",
      freeIPs: 21,
      totalIPs: 251,
      usedIPs: 230,
      utilizationPercent: 92,
      origin: "stdin#2",
    });
    // access granted, placement refused: blocked for the placement alone
    expect(byName.get("approach-b-custom-role")).toMatchObject({
      verdict: "blocked",
      accessApproach: "subnet-custom-role",
    });
    expect(byName.get("default-subnet")).toMatchObject({ source: "default", subnetID: EXAMPLE_SUBNET_IDS.healthy });
    expect(byName.get("unreadable")?.verdict).toBe("blocked");
    expect(byName.get("full")?.conditions.map((c) => c.type.slice(CONDITION_PREFIX.length))).toEqual([
      "SubnetReady",
      "SubnetFound",
      "SubnetAccess",
      "SubnetCapacity",
      "NetworkPlan",
      "SubnetConnectivity",
      "SubnetStable",
    ]);
  });

  test("exit code per scenario: 0 usable, 1 blocked, 3 undecided", async () => {
    const docs = exampleDocuments();
    expect([...docs.keys()].sort()).toEqual(Object.keys(SCENARIOS).sort());
    const options = checkOptions();
    const got: Record<string, number> = {};
    for (const [name, text] of docs) {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, text);
      got[name] = (await runCheck(options, { paths: [file], cluster: false }, { credential })).exitCode;
    }
    expect(got).toEqual(Object.fromEntries(Object.entries(SCENARIOS).map(([n, s]) => [n, s.exit])));
    // and as a process, the exit code a pipeline sees
    const healthy = await runCli([path.join(dir, "approach-a.yaml"), "-o", "yaml"]);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain("kind: CheckReport");
    expect((await runCli([path.join(dir, "usage-not-reported.yaml")])).code).toBe(3);
  });

  test("a malformed ID makes no Azure request", async () => {
    const file = path.join(dir, "malformed-only.yaml");
    writeFileSync(file, exampleDocuments().get("malformed-id") ?? "");
    // network from flags, so not even the managed cluster is read
    const report = await runCheck(
      checkOptions({ clusterResourceId: undefined, networkPlugin: "azure", networkPluginMode: "overlay" }),
      { paths: [file], cluster: false },
      { credential },
    );
    expect(report.nodeClasses[0]).toMatchObject({ reason: "SubnetIDInvalid", verdict: "blocked" });
    expect((await sim.admin.counters()).total).toBe(0);
  });

  test("usage and configuration errors exit 2 with the reason on stderr and nothing on stdout", async () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [[], /nothing to check/],
      [[path.join(dir, "does-not-exist.yaml")], /no such file/],
      [[EXAMPLES, "--cluster"], /either manifest paths or --cluster/],
      [[EXAMPLES, "--output", "xml"], /xml/],
      [[EXAMPLES, "--no-such-flag"], /unknown option/],
      [[EXAMPLES], /--cluster-resource-id/, { CLUSTER_RESOURCE_ID: "/subscriptions/nope" }],
      [[path.join(root, "package.json")], /no AKSNodeClass/],
    ];
    for (const [args, err, env] of cases) {
      const ran = await runCli(args, env ? { env } : {});
      expect(ran.code, args.join(" ")).toBe(2);
      expect(ran.stderr, args.join(" ")).toMatch(err);
      expect(ran.stdout, args.join(" ")).toBe("");
    }
    expect((await sim.admin.counters()).total).toBe(0);
  });

  test("Azure unreachable: undecided (exit 3), never 'missing'", async () => {
    const file = path.join(dir, "approach-a.yaml");
    writeFileSync(file, exampleDocuments().get("approach-a") ?? "");
    const report = await runCheck(
      checkOptions({
        armEndpoint: "https://127.0.0.1:1",
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        clusterResourceId: undefined,
      }),
      { paths: [file], cluster: false },
      { credential, azureRetry: { maxRetries: 0 }, armTimeoutMs: 2_000 },
    );
    expect(report.exitCode).toBe(3);
    expect(report.nodeClasses[0]).toMatchObject({ ready: "Unknown", verdict: "undecided" });
    expect(report.nodeClasses[0]?.reason).not.toMatch(/NotFound/);
  });
});

describe("check --cluster", () => {
  let stack: Stack;
  beforeAll(async () => {
    // the NAP situation: AKS owns the (upstream) CRD, which prunes status.subnetHealth
    stack = await startStack({
      topology: TOPOLOGY,
      flavor: "upstream",
      flags: { clusterResourceId: EXAMPLE_CLUSTER_ID },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("says what the operator writes, and writes nothing itself", async () => {
    const scenarios = [
      "approach-b-custom-role",
      "nearly-full",
      "full",
      "reader-only",
      "pod-cidr-overlap",
      "malformed-id",
      "missing-subnet",
    ] as const;
    const names = new Map<string, string>();
    for (const s of scenarios) {
      const name = uniqueName(s);
      names.set(name, s);
      await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS[s] });
    }
    const written = new Map<string, Array<Record<string, unknown>>>();
    for (const name of names.keys()) {
      const obj = await stack.waitForCondition(name, "SubnetReady", () => true);
      written.set(
        name,
        (obj.status?.conditions ?? []).filter((c) => String(c.type).startsWith(CONDITION_PREFIX)),
      );
    }
    // nothing may move underneath the comparison: stop the writer, then record every version
    await stack.operator.stop();
    const versions = new Map<string, string | undefined>();
    for (const name of names.keys()) versions.set(name, (await stack.get(name)).metadata.resourceVersion);
    const core = stack.kc.makeApiClient(CoreV1Api);
    const eventsBefore = (await core.listNamespacedEvent({ namespace: "default" })).items.length;

    const report = await runCheck(
      resolveOptions(
        {
          armEndpoint: stack.sim.url,
          azureCaFile: stack.sim.caFile,
          clusterResourceId: EXAMPLE_CLUSTER_ID,
          nodeclassSelector: `aks-subnet-health-test=${stack.runLabel}`,
        },
        {},
        CHECK_OPTION_KEYS,
      ),
      { paths: [], cluster: true },
      { kubeConfig: stack.kc, credential },
    );
    expect(report.target).toBe("cluster");
    expect(report.nodeClasses.map((n) => n.name).sort()).toEqual([...names.keys()].sort());
    for (const n of report.nodeClasses) {
      const stored = (written.get(n.name) ?? []).map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
      }));
      expect(n.conditions, `${names.get(n.name)}`).toEqual(stored);
      expect(n.origin).toBe("cluster");
    }
    expect(report.nodeClasses.find((n) => names.get(n.name) === "nearly-full")).toMatchObject({
      freeIPs: 21,
      verdict: "warning",
    });
    expect(report.exitCode).toBe(1);

    for (const name of names.keys())
      expect((await stack.get(name)).metadata.resourceVersion, name).toBe(versions.get(name));
    expect((await core.listNamespacedEvent({ namespace: "default" })).items.length).toBe(eventsBefore);
  });

  test("as a process against the cluster: JSON, exit code, selector", async () => {
    const name = uniqueName("cli-cluster");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
    const ran = await runCli(
      ["--cluster", "-o", "json", "--nodeclass-selector", `aks-subnet-health-test=${stack.runLabel}`],
      {
        env: {
          KUBECONFIG: controlPlane("upstream").kubeconfig,
          ARM_ENDPOINT: stack.sim.url,
          AZURE_CA_FILE: stack.sim.caFile,
        },
      },
    );
    const report = JSON.parse(ran.stdout) as CheckReport;
    expect(report.nodeClasses.find((n) => n.name === name)).toMatchObject({ verdict: "ok", reason: "SubnetReady" });
    expect(ran.code).toBe(report.exitCode);
    const noCluster = await runCli(["--cluster"], { env: { KUBECONFIG: path.join(dir, "none") } });
    expect(noCluster.code).toBe(2);
  });
});
