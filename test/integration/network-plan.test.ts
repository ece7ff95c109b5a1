/**
 * Issue 5, network plan: CIDR conflicts of a nodeclass's subnet with the cluster's pod and service
 * ranges and AKS's reserved ranges (IPv4 and IPv6), and whether the cluster's networking is one node
 * auto-provisioning supports, with the network taken from the managed cluster, from flags, or
 * discovered in the cluster, and that source shown.
 *
 * A managed cluster is read once per minute at most, so each network configuration gets its own
 * stack and the simulated cluster is patched before the first nodeclass makes the operator read it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { parse } from "yaml";
import {
  EXAMPLE_AKS_VNET_ID,
  EXAMPLE_CLUSTER_ID,
  EXAMPLE_NETWORK_RG_ID,
  EXAMPLE_SUBNET_IDS,
  KARPENTER_PRINCIPAL_ID,
} from "../../src/sim/example-ids.js";
import type { Topology } from "../../src/sim/topology.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY_FILE = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const RESERVED_VNET_ID = `${EXAMPLE_NETWORK_RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-reserved`;
const RESERVED_SUBNET_ID = `${RESERVED_VNET_ID}/subnets/nodes`;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const CONFLICTS = "aks_subnet_health_nodeclass_cidr_conflicts";
const SUPPORTED = "aks_subnet_health_cluster_network_supported";

/** The example world plus a VNet in 172.30.0.0/16, a range AKS reserves. */
function topology(): Topology {
  const t = parse(readFileSync(TOPOLOGY_FILE, "utf8")) as Topology;
  const rg = t.subscriptions[0]?.resourceGroups?.find((r) => r.name === "rg-network");
  if (!rg) throw new Error("examples/topology.yaml has no rg-network");
  rg.virtualNetworks = [
    ...(rg.virtualNetworks ?? []),
    {
      name: "vnet-reserved",
      addressSpace: ["172.30.0.0/16"],
      subnets: [{ name: "nodes", addressPrefix: "172.30.1.0/24", usedIPs: 2 }],
    },
  ];
  return t;
}

async function metricIs(
  stack: Stack,
  name: string,
  labels: Record<string, string>,
  value: number | undefined,
): Promise<void> {
  await eventually(async () => ((await stack.metric(name, labels)) === value ? true : undefined), {
    what: `${name}${JSON.stringify(labels)} = ${String(value)}`,
  });
}

async function conflictCounts(
  stack: Stack,
  nodeclass: string,
  expected: Record<"pod" | "service" | "reserved" | "nodeclass", number>,
): Promise<void> {
  // a kind without conflicts has no series
  for (const [kind, n] of Object.entries(expected))
    await metricIs(stack, CONFLICTS, { nodeclass, with: kind }, n === 0 ? undefined : n);
}

async function planOf(
  stack: Stack,
  subnet: string,
  reason: string,
): Promise<{ name: string; status: string; message: string; ready: Record<string, unknown> | undefined }> {
  const name = uniqueName("plan");
  await stack.createNodeClass(name, { vnetSubnetID: subnet });
  const obj = await stack.waitForCondition(
    name,
    "NetworkPlan",
    (c) => c.reason === reason,
    `${name} NetworkPlan ${reason}`,
  );
  const c = stack.condition(obj, "NetworkPlan");
  return { name, status: str(c?.status), message: str(c?.message), ready: stack.condition(obj, "SubnetReady") };
}

describe("network from the managed cluster: Azure CNI Overlay + Cilium, dual-stack", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: topology(), flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    // before any nodeclass exists, so the operator's first read sees it: an IPv6 pod range that covers
    // the IPv6 prefix of the dual-stack subnet
    await stack.sim.admin.patchManagedCluster(EXAMPLE_CLUSTER_ID, {
      networkProfile: {
        podCidrs: ["10.244.0.0/16", "fd00:10:224::/56"],
        serviceCidrs: ["10.0.0.0/16", "fd00:10:96::/108"],
        ipFamilies: ["IPv4", "IPv6"],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("a subnet inside the overlay pod CIDR is a conflict naming both ranges; SubnetReady False; Warning event", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS["pod-cidr-overlap"], "CIDRConflict");
    expect(plan.status).toBe("False");
    expect(plan.message).toContain("subnet prefix 10.244.1.0/24 overlaps pod CIDR 10.244.0.0/16");
    expect(plan.message).toContain("Cluster network read from the managed cluster");
    expect(plan.ready).toMatchObject({ status: "False", reason: "CIDRConflict" });
    await conflictCounts(stack, plan.name, { pod: 1, service: 0, reserved: 0, nodeclass: 0 });
    await eventually(
      async () =>
        (await stack.events(plan.name)).some(
          (e) => e.type === "Warning" && e.reason === "CIDRConflict" && e.message.includes("10.244.0.0/16"),
        )
          ? true
          : undefined,
      {
        what: "CIDRConflict Warning event",
      },
    );
  });

  test("a subnet inside the service CIDR is a conflict naming both ranges", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS["service-cidr-overlap"], "CIDRConflict");
    expect(plan.message).toContain("subnet prefix 10.0.10.0/24 overlaps service CIDR 10.0.0.0/16");
    expect(plan.message).not.toContain("pod CIDR");
    await conflictCounts(stack, plan.name, { pod: 0, service: 1, reserved: 0, nodeclass: 0 });
  });

  test("a subnet in a range AKS reserves is a conflict naming the reserved range", async () => {
    const plan = await planOf(stack, RESERVED_SUBNET_ID, "CIDRConflict");
    expect(plan.message).toContain("subnet prefix 172.30.1.0/24 overlaps reserved range 172.30.0.0/16");
    await conflictCounts(stack, plan.name, { pod: 0, service: 0, reserved: 1, nodeclass: 0 });
  });

  test("IPv6: the dual-stack subnet's IPv6 prefix overlapping the IPv6 pod CIDR is found", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS["dual-stack"], "CIDRConflict");
    expect(plan.message).toContain("subnet prefix fd00:10:224:1::/64 overlaps pod CIDR fd00:10:224::/56");
    // its IPv4 prefix is clean: exactly one conflict
    expect(plan.message).not.toContain("10.226.2.0/24 overlaps");
    await conflictCounts(stack, plan.name, { pod: 1, service: 0, reserved: 0, nodeclass: 0 });
  });

  test("the recommended configuration with a clean subnet: True NetworkPlanRecommended, what was compared, supported metric 1", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS.healthy, "NetworkPlanRecommended");
    expect(plan.status).toBe("True");
    expect(plan.message).toContain(
      "Azure CNI Overlay with Cilium: the recommended configuration. No address conflicts found.",
    );
    expect(plan.message).toContain(
      "Compared with pod CIDR 10.244.0.0/16, fd00:10:224::/56, service CIDR 10.0.0.0/16, fd00:10:96::/108 and the reserved ranges",
    );
    expect(plan.message).toContain("cluster network read from the managed cluster");
    await conflictCounts(stack, plan.name, { pod: 0, service: 0, reserved: 0, nodeclass: 0 });
    await metricIs(stack, SUPPORTED, { plugin: "azure", mode: "overlay", policy: "cilium", dataplane: "cilium" }, 1);
  });
});

describe("network from flags: Azure CNI in node-subnet mode", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      topology: TOPOLOGY_FILE,
      flags: {
        networkPlugin: "azure",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.0.0.0/16",
        karpenterPrincipalId: KARPENTER_PRINCIPAL_ID,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("the subnet that overlaps the pod CIDR under overlay is fine here: pods take subnet addresses", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS["pod-cidr-overlap"], "NetworkPlanSupported");
    expect(plan.status).toBe("True");
    expect(plan.message).not.toContain("overlaps");
    expect(plan.message).toContain("Compared with service CIDR 10.0.0.0/16 and the reserved ranges");
    expect(plan.message).toContain(
      "not with a pod CIDR: with Azure CNI in node-subnet mode pods take addresses from the node subnet",
    );
    expect(plan.message).toContain("cluster network given by the operator's flags");
    // nothing about the network blocks new nodes (other concerns may still warn)
    expect(plan.ready?.status).toBe("True");
    expect(plan.ready?.message).not.toContain("NetworkPlan");
    await conflictCounts(stack, plan.name, { pod: 0, service: 0, reserved: 0, nodeclass: 0 });
    await metricIs(stack, SUPPORTED, { plugin: "azure", mode: "", policy: "", dataplane: "" }, 1);
  });

  test("the service CIDR is still checked", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS["service-cidr-overlap"], "CIDRConflict");
    expect(plan.message).toContain("subnet prefix 10.0.10.0/24 overlaps service CIDR 10.0.0.0/16");
    expect(plan.message).toContain("Cluster network given by the operator's flags");
    await conflictCounts(stack, plan.name, { pod: 0, service: 1, reserved: 0, nodeclass: 0 });
  });
});

describe("networking node auto-provisioning does not support (managed cluster)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY_FILE, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    const nodes = `${EXAMPLE_AKS_VNET_ID}/subnets/aks-default`;
    await stack.sim.admin.patchManagedCluster(EXAMPLE_CLUSTER_ID, {
      networkProfile: {
        networkPluginMode: null,
        networkPolicy: "calico",
        networkDataplane: "azure",
        loadBalancerSku: "basic",
        podCidr: null,
        podCidrs: null,
      },
      agentPoolProfiles: [
        { name: "system", mode: "System", count: 3, maxPods: 30, vmSize: "Standard_D4ds_v5", vnetSubnetID: nodes },
        {
          name: "dynpods",
          mode: "User",
          count: 1,
          maxPods: 30,
          vmSize: "Standard_D4ds_v5",
          vnetSubnetID: nodes,
          podSubnetID: `${EXAMPLE_AKS_VNET_ID}/subnets/karpenter-a`,
        },
        {
          name: "blockpods",
          mode: "User",
          count: 1,
          maxPods: 30,
          vmSize: "Standard_D4ds_v5",
          vnetSubnetID: nodes,
          podSubnetID: `${EXAMPLE_AKS_VNET_ID}/subnets/nearly-full`,
          podIPAllocationMode: "StaticBlock",
        },
      ],
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("Calico policy, a dynamic pod subnet, static block allocation and a Basic load balancer are each named; SubnetReady False", async () => {
    const plan = await planOf(stack, EXAMPLE_SUBNET_IDS.healthy, "UnsupportedNetworking");
    expect(plan.status).toBe("False");
    expect(plan.message).toContain("Calico network policy");
    expect(plan.message).toContain("pod subnet with dynamic IP allocation (agent pools dynpods)");
    expect(plan.message).toContain("pod subnet with static block allocation (agent pools blockpods)");
    expect(plan.message).toContain("Basic load balancer (Standard is required)");
    expect(plan.message).toContain("Azure CNI Overlay with Cilium (recommended)");
    expect(plan.message).toContain("Cluster network read from the managed cluster");
    expect(plan.ready).toMatchObject({ status: "False", reason: "UnsupportedNetworking" });
    await metricIs(stack, SUPPORTED, { plugin: "azure", mode: "", policy: "calico", dataplane: "azure" }, 0);
    await eventually(
      async () =>
        (await stack.events(plan.name)).some((e) => e.type === "Warning" && e.reason === "UnsupportedNetworking")
          ? true
          : undefined,
      {
        what: "UnsupportedNetworking Warning event",
      },
    );
  });
});

describe("network discovered in the cluster (no flags, no managed cluster)", () => {
  let stack: Stack;
  let core: CoreV1Api;
  const node = uniqueName("discovered-node");
  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY_FILE });
    core = stack.kc.makeApiClient(CoreV1Api);
    // an overlay-style node with its pod range: the kube-apiserver serves the default ServiceCIDR (10.0.0.0/16)
    await core.createNode({
      body: { metadata: { name: node }, spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"] } },
    });
  });
  afterAll(async () => {
    await core?.deleteNode({ name: node }).catch(() => undefined);
    await stack?.stop();
  });

  test("the ServiceCIDR object and nodes' podCIDRs are compared, the source is shown, support stays unknown", async () => {
    const svc = await planOf(stack, EXAMPLE_SUBNET_IDS["service-cidr-overlap"], "CIDRConflict");
    expect(svc.message).toContain("subnet prefix 10.0.10.0/24 overlaps service CIDR 10.0.0.0/16");
    expect(svc.message).toContain("Cluster network discovered in the cluster (ServiceCIDR objects, nodes' podCIDRs)");

    const pod = await planOf(stack, EXAMPLE_SUBNET_IDS["pod-cidr-overlap"], "CIDRConflict");
    expect(pod.message).toContain("subnet prefix 10.244.1.0/24 overlaps pod CIDR 10.244.1.0/24");
    await conflictCounts(stack, pod.name, { pod: 1, service: 0, reserved: 0, nodeclass: 0 });

    const clean = await planOf(stack, EXAMPLE_SUBNET_IDS.healthy, "NetworkUnknown");
    expect(clean.status).toBe("Unknown");
    expect(clean.message).toContain("No address conflicts found, but the network plugin is unknown");
    expect(clean.message).toContain("Compared with pod CIDR 10.244.1.0/24, service CIDR 10.0.0.0/16");
    expect(clean.message).toContain("discovered in the cluster");
    // an unknown plugin is no claim of "unsupported": no support series at all
    expect((await stack.metricsText()).split("\n").some((l) => l.startsWith(`${SUPPORTED}{`))).toBe(false);
  });
});
