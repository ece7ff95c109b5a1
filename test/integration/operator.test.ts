/**
 * What a platform team sees from the operator, end to end: real kube-apiserver, the unmodified Azure
 * SDK clients talking HTTPS to the ARM simulator, the operator in-process.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { EXAMPLE_CLUSTER_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const canonical = (id: string) => id.toLowerCase();

describe("operator against the example topology", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("a healthy subnet is SubnetReady=True with the simulator's counts in status and metrics", async () => {
    const name = uniqueName("healthy");
    // a second subnet of the cluster's VNet, with the cluster subnet's NSG and route table; Karpenter holds
    // Network Contributor on the VNet (Approach A, documented: no advisory)
    const id = EXAMPLE_SUBNET_IDS["approach-a"];
    await stack.createNodeClass(name, { vnetSubnetID: id });
    const obj = await stack.waitForCondition(
      name,
      "SubnetReady",
      (c) => c.status === "True" && c.reason === "SubnetReady",
    );
    expect(stack.condition(obj, "SubnetFound")?.reason).toBe("SubnetFound");
    // 10.225.0.0/20: 4096 - 5 reserved = 4091 usable, 12 used in the topology
    expect(obj.status?.subnetHealth).toMatchObject({
      subnetID: id,
      source: "spec",
      totalIPs: 4091,
      usedIPs: 12,
      freeIPs: 4079,
    });
    const labels = { subnet_id: canonical(id) };
    await eventually(
      async () => ((await stack.metric("aks_subnet_health_subnet_ips_available", labels)) === 4079 ? true : undefined),
      { what: "available IPs metric" },
    );
    expect(await stack.metric("aks_subnet_health_subnet_ips_capacity", labels)).toBe(4091);
    expect(await stack.metric("aks_subnet_health_subnet_ips_used", labels)).toBe(12);
    expect(
      await stack.metric("aks_subnet_health_nodeclass_info", {
        nodeclass: name,
        subnet_id: canonical(id),
        source: "spec",
      }),
    ).toBe(1);
    // one series per condition, for its current status and reason
    expect(
      await stack.metric("aks_subnet_health_nodeclass_condition", {
        nodeclass: name,
        type: "SubnetReady",
        status: "True",
        reason: "SubnetReady",
      }),
    ).toBe(1);
    expect(
      await stack.metric("aks_subnet_health_nodeclass_condition", {
        nodeclass: name,
        type: "SubnetReady",
        status: "False",
      }),
    ).toBeUndefined();
    // overlay: one IP per node
    expect(await stack.metric("aks_subnet_health_nodeclass_node_headroom", { nodeclass: name })).toBe(4079);
    // the series budget (docs/metrics.md, Cardinality): a healthy nodeclass has at most 15 series
    const own = (await stack.metricsText())
      .split("\n")
      .filter((l) => !l.startsWith("#") && l.includes(`nodeclass="${name}"`));
    expect(own.length, own.join("\n")).toBeLessThanOrEqual(15);
  });

  test("consuming IPs moves capacity to the warning, then to the exhausted state; metrics follow", async () => {
    const name = uniqueName("filling");
    const id = EXAMPLE_SUBNET_IDS["dual-stack"]; // 10.226.2.0/24: 251 usable, 10 used
    await stack.createNodeClass(name, { vnetSubnetID: id });
    await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "CapacitySufficient");

    await stack.sim.admin.setUsedIPs(id, 230); // 21 free: under 20 % free
    const low = await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "CapacityLow", "capacity low");
    expect(stack.condition(low, "SubnetCapacity")?.status).toBe("True");
    expect(stack.condition(low, "SubnetReady")).toMatchObject({ status: "True", reason: "CapacityLow" });
    await eventually(
      async () =>
        (await stack.metric("aks_subnet_health_subnet_ips_available", { subnet_id: canonical(id) })) === 21
          ? true
          : undefined,
      { what: "21 free in metrics" },
    );

    await stack.sim.admin.setUsedIPs(id, 251);
    const full = await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "SubnetFull", "subnet full");
    expect(stack.condition(full, "SubnetCapacity")?.status).toBe("False");
    expect(stack.condition(full, "SubnetReady")).toMatchObject({ status: "False", reason: "SubnetFull" });
    expect(String(stack.condition(full, "SubnetCapacity")?.message)).not.toMatch(/\b251\b/);
    await eventually(
      async () =>
        (await stack.metric("aks_subnet_health_subnet_ips_available", { subnet_id: canonical(id) })) === 0
          ? true
          : undefined,
      { what: "0 free in metrics" },
    );
    expect(await stack.metric("aks_subnet_health_nodeclass_node_headroom", { nodeclass: name })).toBe(0);
    const events = await eventually(
      async () => {
        const evs = await stack.events(name);
        return evs.some((e) => e.reason === "SubnetFull" && e.type === "Warning") ? evs : undefined;
      },
      { what: "SubnetFull Warning event" },
    );
    expect(events.some((e) => e.reason === "CapacityLow" && e.type === "Warning")).toBe(true);
  });

  test("missing-subnet gives SubnetFound=False with reason SubnetNotFound", async () => {
    const name = uniqueName("missing-subnet");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["missing-subnet"] });
    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetNotFound");
    expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "SubnetNotFound" });
  });

  // Karpenter refuses a subnet outside the cluster subnet's VNet before it asks Azure; we say so first,
  // and add what Azure answered
  test.each([
    ["missing-vnet", "Virtual network vnet-gone in resource group rg-network does not exist"],
    ["missing-rg", "Resource group rg-gone does not exist"],
    ["unreadable", "may not read virtual network vnet-restricted (HTTP 403)"],
  ] as const)("%s is refused as Karpenter refuses it, and says what Azure answered", async (scenario, azureSays) => {
    const name = uniqueName(scenario);
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS[scenario] });
    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetOutsideClusterVNet");
    expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
    expect(String(stack.condition(obj, "SubnetFound")?.message)).toMatch(
      /^Use a subnet in the cluster's virtual network vnet-aks/,
    );
    await eventually(
      async () =>
        String(stack.condition(await stack.get(name), "SubnetFound")?.message).includes(azureSays) ? true : undefined,
      { what: `${scenario}: Azure's answer in the message` },
    );
    expect(stack.condition(obj, "SubnetReady")).toMatchObject({ status: "False", reason: "SubnetOutsideClusterVNet" });
  });

  test("vnetSubnetID unset: the cluster's default subnet is used and shown as such", async () => {
    const name = uniqueName("default");
    await stack.createNodeClass(name, {});
    const obj = await stack.waitForCondition(name, "SubnetReady", (c) => c.status === "True");
    expect(obj.status?.subnetHealth).toMatchObject({ subnetID: EXAMPLE_SUBNET_IDS.healthy, source: "default" });
    expect(await stack.metric("aks_subnet_health_nodeclass_info", { nodeclass: name, source: "default" })).toBe(1);
  });

  test("the operator exports every metric the dashboard and the alert rules query, and counts its Azure requests", async () => {
    const exposition = await stack.metricsText();
    const exported = new Set(
      [...exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap((m) => {
        const name = m[1] ?? "";
        return m[2] === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      }),
    );
    const queried = new Set<string>();
    for (const file of ["manifests/grafana-dashboard.json", "observability/generated/alerts.rules.yaml"]) {
      const text = readFileSync(path.resolve(import.meta.dirname, "../..", file), "utf8");
      for (const m of text.matchAll(/aks_subnet_health_[a-z_]+/g)) queried.add(m[0]);
    }
    expect(queried.size).toBeGreaterThan(15);
    expect([...queried].filter((n) => !exported.has(n))).toEqual([]);
    expect(
      await stack.metric("aks_subnet_health_azure_requests_total", { operation: "VirtualNetworks_Get", code: "200" }),
    ).toBeGreaterThan(0);
    expect(
      await stack.metric("aks_subnet_health_azure_requests_total", { operation: "ManagedClusters_Get", code: "200" }),
    ).toBeGreaterThan(0);
    expect(await stack.metric("aks_subnet_health_leader", {})).toBe(1);
  });

  test("a deleted nodeclass drops its metrics", async () => {
    const name = uniqueName("deleted");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["nearly-full"] });
    await stack.waitForCondition(name, "SubnetReady", () => true);
    await eventually(async () =>
      (await stack.metric("aks_subnet_health_nodeclass_info", { nodeclass: name })) === 1 ? true : undefined,
    );
    await stack.deleteNodeClass(name);
    await eventually(
      async () =>
        (await stack.metric("aks_subnet_health_nodeclass_info", { nodeclass: name })) === undefined ? true : undefined,
      { what: "series removed" },
    );
    expect(
      await stack.metric("aks_subnet_health_nodeclass_condition", {
        nodeclass: name,
        type: "SubnetReady",
        status: "True",
      }),
    ).toBeUndefined();
  });
});

describe("bad input and Azure failures", () => {
  test("a malformed ID gets its own reason and causes no Azure request at all", async () => {
    const stack = await startStack({
      topology: TOPOLOGY,
      flags: { networkPlugin: "azure", networkPluginMode: "overlay" },
    });
    try {
      const name = uniqueName("malformed");
      // accepted by the CRD pattern, refused by the strict parser: the subscription is not a GUID
      await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["malformed-id"] });
      const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetIDInvalid");
      expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
      expect(String(stack.condition(obj, "SubnetFound")?.message)).toContain("not-a-guid");
      const counters = await stack.sim.admin.counters();
      expect(counters.total).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  test("a subscription outside --allowed-subscriptions is refused by name, without asking Azure", async () => {
    const stack = await startStack({
      topology: TOPOLOGY,
      flags: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        allowedSubscriptions: "00000000-0000-0000-0000-0000000000ff",
      },
    });
    try {
      const name = uniqueName("not-allowed");
      await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-a"] });
      const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubscriptionNotAllowed");
      expect(stack.condition(obj, "SubnetFound")?.status).toBe("False");
      expect(String(stack.condition(obj, "SubnetFound")?.message)).toContain("00000000-0000-0000-0000-0000000000a1");
      expect((await stack.sim.admin.counters()).total).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  test("ARM unreachable, then throttling: Unknown (never False) with the last numbers kept", async () => {
    const stack = await startStack({ topology: TOPOLOGY, flags: { clusterResourceId: EXAMPLE_CLUSTER_ID } });
    try {
      const name = uniqueName("flaky");
      const id = EXAMPLE_SUBNET_IDS["nearly-full"]; // 251 usable, 230 used
      await stack.createNodeClass(name, { vnetSubnetID: id });
      await stack.waitForCondition(name, "SubnetFound", (c) => c.status === "True");

      await stack.sim.admin.setFaults([{ operation: "*", kind: "reset" }]);
      const down = await stack.waitForCondition(
        name,
        "SubnetFound",
        (c) => c.reason === "AzureUnavailable",
        "unreachable → Unknown",
      );
      expect(stack.condition(down, "SubnetFound")?.status).toBe("Unknown");
      expect(stack.condition(down, "SubnetReady")?.status).toBe("Unknown");
      expect(down.status?.subnetHealth).toMatchObject({ freeIPs: 21, totalIPs: 251 });
      expect(await stack.metric("aks_subnet_health_subnet_ips_available", { subnet_id: canonical(id) })).toBe(21);

      await stack.sim.admin.setFaults([{ operation: "*", kind: "throttle", retryAfterSeconds: 30 }]);
      await eventually(
        async () => {
          const c = await stack.sim.admin.counters();
          return Object.values(c.byOperationStatus).some((s) => (s["429"] ?? 0) > 0) ? true : undefined;
        },
        { what: "a throttled request" },
      );
      const throttled = await stack.waitForCondition(
        name,
        "SubnetFound",
        (c) => String(c.message).toLowerCase().includes("throttl"),
        "throttled → Unknown",
      );
      expect(stack.condition(throttled, "SubnetFound")?.status).toBe("Unknown");
      expect(throttled.status?.subnetHealth).toMatchObject({ freeIPs: 21 });
      const age = await stack.metric("aks_subnet_health_subnet_data_age_seconds", { subnet_id: canonical(id) });
      expect(age).toBeGreaterThan(0);

      await stack.sim.admin.clearFaults();
    } finally {
      await stack.stop();
    }
  });
});
