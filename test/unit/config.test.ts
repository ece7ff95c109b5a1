import { readFileSync } from "node:fs";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { azureEndpoints, ConfigError, resolveOptions } from "../../src/config/options.js";
import { renderConfigurationDoc } from "../../hack/generate-config-docs.js";

const root = path.resolve(import.meta.dirname, "../..");
const SUBNET =
  "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/s";

function problems(flags: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    resolveOptions(flags, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe("configuration", () => {
  test("defaults follow Azure's read budget and the documented thresholds", () => {
    const o = resolveOptions({}, {});
    expect(o).toMatchObject({
      armReadBucket: 250,
      armReadRefill: 25,
      resyncPeriod: 180_000,
      freeRatioWarning: 0.2,
      freeRatioCritical: 0.05,
      headroomWarning: 10,
      headroomCritical: 2,
      leaderElect: false,
    });
    expect(o.metricsBindAddress).toEqual({ host: "0.0.0.0", port: 8080 });
  });

  test("flags win over environment variables; empty variables count as unset", () => {
    const o = resolveOptions(
      { resyncPeriod: "30s" },
      { RESYNC_PERIOD: "10m", VNET_SUBNET_ID: SUBNET, MAX_PODS: "", LEADER_ELECT: "true" },
    );
    expect(o.resyncPeriod).toBe(30_000);
    expect(o.vnetSubnetId).toBe(SUBNET);
    expect(o.maxPods).toBeUndefined();
    expect(o.leaderElect).toBe(true);
  });

  test.each([
    [{ vnetSubnetId: "/subscriptions/x/resourceGroups/rg" }, "--vnet-subnet-id"],
    [{ resyncPeriod: "soon" }, "--resync-period"],
    [{ freeRatioWarning: "1.5" }, "--free-ratio-warning"],
    [{ freeRatioWarning: "0.01", freeRatioCritical: "0.1" }, "--free-ratio-critical must not exceed"],
    [{ karpenterPrincipalId: "karpenter" }, "--karpenter-principal-id"],
    [{ allowedSubscriptions: "a,b" }, "--allowed-subscriptions"],
    [{ clusterResourceId: "/subscriptions/x" }, "--cluster-resource-id"],
    [{ metricsBindAddress: "nowhere" }, "--metrics-bind-address"],
    [{ armEndpoint: "http://management.azure.com" }, "--arm-endpoint"],
    [{ networkPlugin: "flannel" }, "--network-plugin"],
  ])("rejects %o with a message naming the setting", (flags, expected) => {
    const list = problems(flags);
    expect(list.length).toBeGreaterThan(0);
    expect(list.join("\n")).toContain(expected);
  });

  test("every problem is reported at once", () => {
    expect(problems({ resyncPeriod: "x", maxPods: "5", networkPolicy: "weave" })).toHaveLength(3);
  });

  test("sovereign clouds set endpoint, authority and token scope together", () => {
    const gov = azureEndpoints(resolveOptions({ azureCloud: "AzureUSGovernment" }, {}));
    expect(gov).toEqual({
      armEndpoint: "https://management.usgovcloudapi.net",
      authorityHost: "https://login.microsoftonline.us",
      armScope: "https://management.usgovcloudapi.net/.default",
    });
    const sim = azureEndpoints(resolveOptions({ armEndpoint: "https://127.0.0.1:8443/" }, {}));
    expect(sim.armEndpoint).toBe("https://127.0.0.1:8443");
    expect(sim.armScope).toBe("https://management.azure.com/.default");
  });

  test("docs/configuration.md lists every flag (regenerate with npx tsx hack/generate-config-docs.ts)", () => {
    expect(readFileSync(path.join(root, "docs/configuration.md"), "utf8")).toBe(renderConfigurationDoc());
  });

  test("the CLI exits 2 with one clear message on invalid configuration", async () => {
    const run = promisify(execFile);
    const err = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "run", "--resync-period", "never", "--max-pods", "3"],
      { cwd: root, env: { PATH: process.env.PATH ?? "" } },
    ).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain("invalid configuration");
    expect(err?.stderr).toContain("--resync-period");
    expect(err?.stderr).toContain("--max-pods");
  });
});
