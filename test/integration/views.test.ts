/**
 * The NAP situation: AKS owns the AKSNodeClass CRD (the upstream one, which prunes status.subnetHealth
 * and shows no free IPs). The operator's own resources, NodeClassHealth and SubnetHealth, show them in
 * `kubectl get`, aggregate per subnet, follow deletions and stay quiet when nothing changes.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { CustomObjectsApi, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binDir } from "../../hack/control-plane.js";
import { VIEWS } from "../../src/domain.js";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { SCOPE_LABEL, viewScope } from "../../src/views/project.js";
import { controlPlane, eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const run = promisify(execFile);
const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");

interface View extends KubernetesObject {
  status?: Record<string, unknown>;
}

describe("views on the upstream AKSNodeClass CRD", () => {
  let stack: Stack;
  let kubectlBin: string;
  let scope: string;
  const api = () => stack.kc.makeApiClient(CustomObjectsApi);
  const list = async (plural: string): Promise<View[]> =>
    (
      (await api().listClusterCustomObject({
        group: VIEWS.group,
        version: VIEWS.version,
        plural,
        labelSelector: `${SCOPE_LABEL}=${scope}`,
      })) as KubernetesListObject<View>
    ).items;
  /** kubectl as a user runs it, limited to this test's objects */
  const kubectl = async (...args: string[]): Promise<string[]> => {
    const { stdout } = await run(kubectlBin, [
      "--kubeconfig",
      controlPlane("upstream").kubeconfig,
      ...args,
      "-l",
      `${SCOPE_LABEL}=${scope}`,
    ]);
    return stdout.trimEnd().split("\n");
  };
  /** a table's rows as column → value maps (kubectl separates columns by 3+ spaces) */
  const table = (lines: string[]): Array<Record<string, string>> => {
    const header = lines[0] ?? "";
    const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
    return lines
      .slice(1)
      .map((line) =>
        Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()])),
      );
  };

  beforeAll(async () => {
    kubectlBin = path.join(binDir(), "kubectl");
    stack = await startStack({
      topology: TOPOLOGY,
      flavor: "upstream",
      flags: { clusterResourceId: EXAMPLE_CLUSTER_ID },
    });
    scope = viewScope(stack.options.nodeclassSelector);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("kubectl get shows free IPs and reasons per nodeclass, and the subnets with their nodeclasses", async () => {
    const names = {
      good: uniqueName("good"),
      low: uniqueName("low"),
      lowToo: uniqueName("low-too"),
      full: uniqueName("full"),
      join: uniqueName("reader-only"),
      bad: uniqueName("malformed"),
    };
    await stack.createNodeClass(names.good, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-b-custom-role"] });
    await stack.createNodeClass(names.low, { vnetSubnetID: EXAMPLE_SUBNET_IDS["nearly-full"] });
    await stack.createNodeClass(names.lowToo, { vnetSubnetID: EXAMPLE_SUBNET_IDS["nearly-full"] });
    await stack.createNodeClass(names.full, { vnetSubnetID: EXAMPLE_SUBNET_IDS.full });
    await stack.createNodeClass(names.join, { vnetSubnetID: EXAMPLE_SUBNET_IDS["reader-only"] });
    await stack.createNodeClass(names.bad, { vnetSubnetID: EXAMPLE_SUBNET_IDS["malformed-id"] });

    const rows = await eventually(
      async () => {
        const r = table(await kubectl("get", "nodeclasshealth"));
        return r.length === 6 && r.every((x) => x.READY) ? r : undefined;
      },
      { what: "six NodeClassHealth rows with READY", timeoutMs: 60_000 },
    );
    const row = (n: string) => rows.find((r) => r.NAME === n);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      "NAME",
      "SUBNET",
      "READY",
      "REASON",
      "FREEIPS",
      "NODEHEADROOM",
      "SOURCE",
      "AGE",
    ]);
    // vnet-workloads is outside the cluster subnet's VNet: Karpenter refuses it, so READY is False with that reason
    expect(row(names.good)).toMatchObject({
      SUBNET: "vnet-workloads/approach-b-custom-role",
      READY: "False",
      REASON: "SubnetOutsideClusterVNet",
      FREEIPS: "246",
      NODEHEADROOM: "246",
      SOURCE: "spec",
    });
    expect(row(names.low)).toMatchObject({ READY: "True", REASON: "CapacityLow", FREEIPS: "21" });
    expect(row(names.full)).toMatchObject({ READY: "False", REASON: "SubnetFull", FREEIPS: "0" });
    expect(row(names.join)).toMatchObject({ READY: "False", REASON: "SubnetOutsideClusterVNet", FREEIPS: "246" });
    expect(row(names.bad)).toMatchObject({ READY: "False", REASON: "SubnetIDInvalid", SUBNET: "" });

    // -o wide: subscription, resource group, utilization, access approach
    const wide = table(await kubectl("get", "nch", "-o", "wide"));
    expect(wide.find((r) => r.NAME === names.good)).toMatchObject({
      SUBSCRIPTION: "00000000-0000-0000-0000-0000000000a1",
      RESOURCEGROUP: "rg-network",
      "USED%": "2",
      ACCESS: "subnet-custom-role",
    });

    // one SubnetHealth per subnet in use; the two nodeclasses on nearly-full are counted together
    const subnets = await eventually(
      async () => {
        const r = table(await kubectl("get", "subnethealth"));
        return r.length === 4 ? r : undefined;
      },
      { what: "four SubnetHealth rows" },
    );
    const nearlyFull = subnets.find((r) => (r.NAME ?? "").startsWith("vnet-aks.nearly-full."));
    expect(nearlyFull).toMatchObject({
      VNET: "vnet-aks",
      PREFIXES: "10.226.0.0/24",
      TOTAL: "251",
      USED: "230",
      FREE: "21",
      "USED%": "92",
      NODECLASSES: "2",
      READY: "True",
    });
    expect(subnets.find((r) => (r.NAME ?? "").startsWith("vnet-workloads.reader-only."))?.READY).toBe("False");
    const stored = (await list(VIEWS.subnetPlural)).find((v) => v.metadata?.name === nearlyFull?.NAME);
    expect(stored?.status?.nodeClasses).toEqual([names.low, names.lowToo].sort());
    expect(stored?.metadata?.ownerReferences?.map((o) => o.name).sort()).toEqual([names.low, names.lowToo].sort());

    // the shared category lists both kinds at once
    const both = await kubectl("get", "aks-subnet-health", "-o", "name");
    expect(both.filter((l) => l.startsWith("nodeclasshealth."))).toHaveLength(6);
    expect(both.filter((l) => l.startsWith("subnethealth."))).toHaveLength(4);
  });

  test("deleting a nodeclass removes its view and updates its subnet's count; the last one removes the subnet's", async () => {
    const a = uniqueName("share-a");
    const b = uniqueName("share-b");
    await stack.createNodeClass(a, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
    await stack.createNodeClass(b, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
    const subnetView = async (): Promise<View | undefined> =>
      (await list(VIEWS.subnetPlural)).find((v) => String(v.metadata?.name).startsWith("vnet-aks.karpenter-a."));
    await eventually(async () => ((await subnetView())?.status?.nodeClassCount === 2 ? true : undefined), {
      what: "karpenter-a counted twice",
      timeoutMs: 60_000,
    });

    await stack.deleteNodeClass(a);
    await eventually(
      async () => {
        const views = await list(VIEWS.nodeClassPlural);
        const s = await subnetView();
        return !views.some((v) => v.metadata?.name === a) && s?.status?.nodeClassCount === 1 ? true : undefined;
      },
      { what: "a's view gone, karpenter-a counted once" },
    );
    expect((await subnetView())?.status?.nodeClasses).toEqual([b]);

    await stack.deleteNodeClass(b);
    await eventually(async () => ((await subnetView()) === undefined ? true : undefined), {
      what: "karpenter-a's view gone with its last nodeclass",
    });
    expect((await list(VIEWS.nodeClassPlural)).some((v) => v.metadata?.name === b)).toBe(false);
  });

  test("a quiet resync writes nothing to the views", async () => {
    const name = uniqueName("quiet");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["dual-stack"] });
    await eventually(
      async () => ((await list(VIEWS.nodeClassPlural)).some((v) => v.metadata?.name === name) ? true : undefined),
      {
        what: "quiet's view",
        timeoutMs: 60_000,
      },
    );
    const ctl = stack.operator.controller;
    const idle = (): boolean => ctl.queue.size === 0 && ctl.queue.processing === 0;
    const versions = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const plural of [VIEWS.nodeClassPlural, VIEWS.subnetPlural])
        for (const v of await list(plural)) out[`${plural}/${v.metadata?.name}`] = v.metadata?.resourceVersion ?? "";
      return out;
    };
    // settle: everything written, the queue idle after a resync
    let before: Record<string, string> = {};
    await eventually(
      async () => {
        const start = ctl.stats.resyncs;
        before = await versions();
        await eventually(() => (ctl.stats.resyncs >= start + 1 && idle() ? true : undefined), {
          what: "one resync",
          intervalMs: 50,
        });
        return JSON.stringify(await versions()) === JSON.stringify(before) ? true : undefined;
      },
      { what: "views settled", timeoutMs: 60_000 },
    );
    const writesBefore = { ...stack.operator.views?.stats };
    const resyncs = ctl.stats.resyncs;
    await eventually(() => (ctl.stats.resyncs >= resyncs + 2 && idle() ? true : undefined), {
      what: "two more resyncs",
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    expect(await versions()).toEqual(before);
    expect(stack.operator.views?.stats).toEqual(writesBefore);
  });
});
