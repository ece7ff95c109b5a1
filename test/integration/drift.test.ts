/**
 * Issue 5, drift: what a platform team sees when a nodeclass's subnet changes (a correction, a
 * migration between valid subnets, the default subnet changing under a class without vnetSubnetID),
 * when Azure changes the subnet under it (prefixes, deletion), and when nodes of the class are not in
 * its subnet. Nodes are real Node objects labelled like Karpenter's, with InternalIPs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import path from "node:path";
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { NODECLASS_LABEL } from "../../src/domain.js";
import type { RunningOperator } from "../../src/operator/run.js";
import { EXAMPLE_AKS_VNET_ID, EXAMPLE_SUBNET_IDS, KARPENTER_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const DRIFT = "aks_subnet_health_nodeclass_drift";
const DEFAULT_SUBNET = EXAMPLE_SUBNET_IDS.healthy; // aks-default, 10.224.0.0/16
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const canonical = (id: string): string => id.toLowerCase();

interface SeriesValue {
  nodeclass: string;
  kind: string;
  value: number;
}

/**
 * Every value the drift series take, evaluation by evaluation, as the operator records them for the
 * next scrape. Corrections and prefix changes are reported for one resync period (what a scrape in
 * that period shows); recording the values makes that observable without racing the next resync.
 */
function recordDriftSeries(op: RunningOperator): SeriesValue[] {
  const original = op.metrics.recordEvaluation.bind(op.metrics);
  const seen: SeriesValue[] = [];
  op.metrics.recordEvaluation = (nodeclass, result) => {
    for (const kind of DRIFT_KINDS) seen.push({ nodeclass, kind, value: result.metrics.drift[kind] ? 1 : 0 });
    original(nodeclass, result);
  };
  return seen;
}

const DRIFT_KINDS = [
  "migration",
  "correction",
  "prefix-changed",
  "subnet-deleted",
  "default-changed",
  "nodes-outside",
] as const;

const valuesOf = (seen: SeriesValue[], nodeclass: string, kind: string): number[] =>
  seen.filter((s) => s.nodeclass === nodeclass && s.kind === kind).map((s) => s.value);

async function metricFrom(url: string, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  for (const line of text.split("\n")) {
    const m = /^([^{ ]+)\{(.*)\} (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries<string | undefined>(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1] ?? "", p[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** `value` undefined: no such series (a drift kind that is not present has none) */
async function metricIs(
  url: string,
  name: string,
  labels: Record<string, string>,
  value: number | undefined,
): Promise<void> {
  await eventually(async () => ((await metricFrom(url, name, labels)) === value ? true : undefined), {
    what: `${name}${JSON.stringify(labels)} = ${String(value)}`,
  });
}

describe("subnet drift", () => {
  let stack: Stack;
  let core: CoreV1Api;
  let seen: SeriesValue[];
  const nodes: string[] = [];
  let nextOctet = 1;

  /** A fresh subnet in vnet-aks (10.224.0.0/12), where Karpenter has Network Contributor. */
  async function freshSubnet(label: string): Promise<{ id: string; prefix: string; ip: (host: number) => string }> {
    const octet = nextOctet++;
    const id = `${EXAMPLE_AKS_VNET_ID}/subnets/${label}-${Math.random().toString(16).slice(2, 8)}`;
    const prefix = `10.231.${octet}.0/24`;
    await stack.sim.admin.putSubnet(id, { addressPrefix: prefix, usedIPs: 3 });
    return { id, prefix, ip: (host) => `10.231.${octet}.${host}` };
  }

  async function createNode(nodeclass: string, ip: string | undefined): Promise<string> {
    const name = uniqueName("node");
    nodes.push(name);
    await core.createNode({
      body: {
        metadata: { name, labels: { [NODECLASS_LABEL]: nodeclass } },
        status: {
          addresses: ip
            ? [
                { type: "InternalIP", address: ip },
                { type: "Hostname", address: name },
              ]
            : [{ type: "Hostname", address: name }],
        },
      },
    });
    return name;
  }

  async function moveNode(name: string, ip: string): Promise<void> {
    await core.patchNodeStatus(
      { name, body: { status: { addresses: [{ type: "InternalIP", address: ip }] } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  async function eventSeen(nodeclass: string, type: string, reason: string): Promise<{ message: string }> {
    return eventually(async () => (await stack.events(nodeclass)).find((e) => e.type === type && e.reason === reason), {
      what: `${type} ${reason} event for ${nodeclass}`,
    });
  }

  beforeAll(async () => {
    stack = await startStack({
      topology: TOPOLOGY,
      flags: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkPolicy: "cilium",
        networkDataplane: "cilium",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.0.0.0/16",
        karpenterPrincipalId: KARPENTER_PRINCIPAL_ID,
        vnetSubnetId: DEFAULT_SUBNET,
      },
    });
    core = stack.kc.makeApiClient(CoreV1Api);
    seen = recordDriftSeries(stack.operator);
  });
  afterAll(async () => {
    await Promise.allSettled(nodes.map((name) => core.deleteNode({ name })));
    await stack?.stop();
  });

  test("invalid → valid: a correction (Normal event, no migration), and the class remembers the valid subnet", async () => {
    const name = uniqueName("correct");
    const good = await freshSubnet("corrected");
    const typo = `${EXAMPLE_AKS_VNET_ID}/subnets/no-such-subnet`;
    await stack.createNodeClass(name, { vnetSubnetID: typo });
    await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetNotFound");

    await stack.patchSpec(name, { vnetSubnetID: good.id });
    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.status === "True", "corrected subnet found");
    const ev = await eventSeen(name, "Normal", "SubnetCorrected");
    expect(ev.message).toContain(
      `now uses subnet ${good.id} instead of ${canonical(typo)}, which was not a valid, readable subnet`,
    );
    expect((await stack.events(name)).some((e) => e.reason === "SubnetMigration")).toBe(false);
    expect(stack.condition(obj, "SubnetStable")?.status).not.toBe("False");
    expect(obj.status?.subnetHealth).toMatchObject({
      lastSubnetID: canonical(good.id),
      lastSubnetValid: true,
      lastValidSubnetID: canonical(good.id),
    });
    // the correction series was 1 for the evaluation that saw it; migration never
    await eventually(() => (valuesOf(seen, name, "correction").includes(1) ? true : undefined), {
      what: "drift{kind=correction} = 1",
    });
    expect(valuesOf(seen, name, "migration")).not.toContain(1);
  });

  test("valid → valid: a migration with a Normal event (it blocks nothing), SubnetStable False until the nodes are in the new subnet", async () => {
    const name = uniqueName("migrate");
    const from = await freshSubnet("from");
    const to = await freshSubnet("to");
    await stack.createNodeClass(name, { vnetSubnetID: from.id });
    const node = await createNode(name, from.ip(10));
    await stack.waitForCondition(
      name,
      "SubnetStable",
      (c) => c.reason === "SubnetStable" && String(c.message).includes(from.id),
    );
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, undefined);

    await stack.patchSpec(name, { vnetSubnetID: to.id });
    const moving = await stack.waitForCondition(
      name,
      "SubnetStable",
      (c) => c.reason === "SubnetMigration",
      "migration in progress",
    );
    expect(stack.condition(moving, "SubnetStable")?.status).toBe("False");
    expect(str(stack.condition(moving, "SubnetStable")?.message)).toContain(
      `moved to subnet ${to.id} from another valid subnet`,
    );
    // advisory: the new subnet works, so SubnetReady names the migration but stays True
    expect(stack.condition(moving, "SubnetReady")).toMatchObject({ status: "True", reason: "SubnetMigration" });
    const ev = await eventSeen(name, "Normal", "SubnetMigration");
    expect(ev.message).toContain(`moved from subnet ${canonical(from.id)} to ${to.id}`);
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "migration" }, 1);
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, 1);

    // still in progress on later resyncs: the series stays 1 as long as the condition says so
    const evaluations = valuesOf(seen, name, "migration").length;
    await eventually(() => (valuesOf(seen, name, "migration").length >= evaluations + 2 ? true : undefined), {
      what: "two more evaluations",
    });
    expect(valuesOf(seen, name, "migration").slice(evaluations, evaluations + 2)).toEqual([1, 1]);
    expect(await stack.metric(DRIFT, { nodeclass: name, kind: "migration" })).toBe(1);

    // Karpenter replaced the node in the new subnet
    await moveNode(node, to.ip(10));
    const done = await stack.waitForCondition(
      name,
      "SubnetStable",
      (c) => c.reason === "SubnetStable",
      "migration finished",
    );
    expect(stack.condition(done, "SubnetStable")?.status).toBe("True");
    // drift over: its series are gone, not 0
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "migration" }, undefined);
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, undefined);
    expect((await stack.events(name)).filter((e) => e.reason === "SubnetMigration")).toHaveLength(1);
  });

  test("nodes of the class outside its subnet are counted and named; nodes without an InternalIP are not", async () => {
    const name = uniqueName("strays");
    const subnet = await freshSubnet("strays");
    await stack.createNodeClass(name, { vnetSubnetID: subnet.id });
    await createNode(name, subnet.ip(5));
    const far = await createNode(name, "10.99.0.1");
    const near = await createNode(name, "10.231.250.1"); // the VNet, not the subnet
    await createNode(name, undefined);
    // another class's node outside this subnet is none of its business
    await createNode(uniqueName("other-class"), "10.98.0.1");

    const strays = [far, near].sort().join(", ");
    const obj = await stack.waitForCondition(
      name,
      "SubnetStable",
      (c) => c.reason === "NodesOutsideSubnet" && str(c.message).includes(strays),
      "both strays named",
    );
    const message = str(stack.condition(obj, "SubnetStable")?.message);
    expect(stack.condition(obj, "SubnetStable")?.status).toBe("False");
    expect(message).toContain(`: ${strays}.`);
    expect(message).toContain(`no InternalIP inside subnet ${subnet.id}`);
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "True", reason: "NodesOutsideSubnet" });
    // the nodes-outside drift series counts the nodes
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, 2);

    await core.deleteNode({ name: far });
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, 1);
  });

  test("the subnet's prefix changed in Azure: a Normal event naming both, and the nodes left outside are counted", async () => {
    const name = uniqueName("reprefix");
    const subnet = await freshSubnet("reprefix");
    await stack.createNodeClass(name, { vnetSubnetID: subnet.id });
    await createNode(name, subnet.ip(7));
    await stack.waitForCondition(name, "SubnetStable", (c) => c.reason === "SubnetStable");

    await stack.sim.admin.setSubnetPrefixes(subnet.id, ["10.231.200.0/24"]);
    const ev = await eventSeen(name, "Normal", "SubnetPrefixesChanged");
    expect(ev.message).toContain(`changed from ${subnet.prefix} to 10.231.200.0/24`);
    const obj = await stack.waitForCondition(name, "SubnetStable", (c) => c.reason === "NodesOutsideSubnet");
    expect(obj.status?.subnetHealth).toMatchObject({ lastPrefixes: ["10.231.200.0/24"] });
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, 1);
    await eventually(() => (valuesOf(seen, name, "prefix-changed").includes(1) ? true : undefined), {
      what: "drift{kind=prefix-changed} = 1",
    });
    // reported once: the next evaluations compare with the new prefixes
    expect((await stack.events(name)).filter((e) => e.reason === "SubnetPrefixesChanged")).toHaveLength(1);
  });

  test("a subnet deleted after being healthy: SubnetDeleted (condition, Normal event beside SubnetFound's Warning, series) while it stays missing", async () => {
    const name = uniqueName("deleted");
    const subnet = await freshSubnet("deleted");
    await stack.createNodeClass(name, { vnetSubnetID: subnet.id });
    await stack.waitForCondition(name, "SubnetStable", (c) => c.reason === "SubnetStable");

    await stack.sim.admin.deleteSubnet(subnet.id);
    const obj = await stack.waitForCondition(name, "SubnetStable", (c) => c.reason === "SubnetDeleted");
    expect(stack.condition(obj, "SubnetStable")?.status).toBe("False");
    expect(str(stack.condition(obj, "SubnetStable")?.message)).toContain(
      `Subnet ${subnet.id} was valid before and is now missing`,
    );
    expect(stack.condition(obj, "SubnetFound")).toMatchObject({ status: "False", reason: "SubnetNotFound" });
    const ev = await eventSeen(name, "Normal", "SubnetDeleted");
    expect(ev.message).toContain("which this nodeclass used successfully before, no longer exists");
    await metricIs(stack.operator.metricsUrl, DRIFT, { nodeclass: name, kind: "subnet-deleted" }, 1);
  });

  // last: it replaces the stack's operator
  test("the default subnet changed while vnetSubnetID is unset: DefaultSubnetChanged with a Normal event", async () => {
    const name = uniqueName("defaulted");
    await stack.createNodeClass(name, {});
    await createNode(name, "10.224.3.3"); // in aks-default, the current default
    const before = await stack.waitForCondition(name, "SubnetStable", (c) => c.reason === "SubnetStable");
    expect(before.status?.subnetHealth).toMatchObject({ source: "default", subnetID: DEFAULT_SUBNET });

    // the operator restarts with another VNET_SUBNET_ID; what it remembers is on the object
    const next = await freshSubnet("new-default");
    await stack.operator.stop();
    const op = await stack.startAnotherOperator({ vnetSubnetId: next.id });
    const obj = await stack.waitForCondition(
      name,
      "SubnetStable",
      (c) => c.reason === "DefaultSubnetChanged",
      "default change seen",
    );
    expect(stack.condition(obj, "SubnetStable")?.status).toBe("False");
    expect(str(stack.condition(obj, "SubnetStable")?.message)).toContain("Set spec.vnetSubnetID, or replace the nodes");
    expect(obj.status?.subnetHealth).toMatchObject({ source: "default", subnetID: next.id });
    const ev = await eventSeen(name, "Normal", "DefaultSubnetChanged");
    expect(ev.message).toContain(`from ${canonical(DEFAULT_SUBNET)} to ${next.id}`);
    expect(ev.message).toContain("Karpenter does not drift existing nodes for this");
    await metricIs(op.metricsUrl, DRIFT, { nodeclass: name, kind: "default-changed" }, 1);
    await metricIs(op.metricsUrl, DRIFT, { nodeclass: name, kind: "nodes-outside" }, 1);
  });
});
