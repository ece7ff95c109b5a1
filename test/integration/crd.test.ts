/**
 * The AKSNodeClass CRD as a user meets it through the real kube-apiserver: which vnetSubnetIDs are
 * accepted, optimistic concurrency on /status, and that /status writes never touch spec. Every case
 * runs against our CRD and against the upstream Karpenter CRD.
 */
import { ApiException, KubeConfig, Watch } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { AKSNODECLASS } from "../../src/domain.js";
import { apiRequest } from "../../hack/control-plane.js";
import { CRD_FLAVORS, adminKubeConfig, controlPlane, eventually, nodeClassApi, uniqueName } from "../support/kube.js";

const SUB = "00000000-0000-0000-0000-0000000000a1";
const id = (rg: string, vnet = "vnet", subnet = "subnet") =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;

const accepted: Array<[string, string]> = [
  ["plain", id("rg")],
  ["RG with underscore and hyphen", id("my-resource_group")],
  ["RG starting with a dot", id(".starting.with.dot")],
  ["RG ending with a hyphen", id("ends-with-hyphen-")],
  ["RG with parentheses", id("contains.(parentheses)")],
  ["RG of 90 characters", id("r".repeat(90))],
  [
    "mixed-case keywords",
    `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/VIRTUALNETWORKS/v/SUBNETS/s`,
  ],
  ["mixed-case names", id("My-RG", "My-VNet", "My-Subnet")],
  [
    "non-GUID subscription (the pattern does not check GUIDs)",
    `/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s`,
  ],
];

const rejected: Array<[string, string]> = [
  ["RG ending with a dot", id("ends.with.dot.")],
  ["RG with #", id("invalid#character")],
  ["RG with @*&", id("name@with*unsupported&chars")],
  ["RG of 91 characters", id("r".repeat(91))],
  ["empty RG", id("")],
  ["missing resourceGroups segment", `/subscriptions/${SUB}/providers/Microsoft.Network/virtualNetworks/v/subnets/s`],
  ["missing virtualNetworks segment", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/subnets/s`],
  ["repeated subnets segment", `${id("rg")}/subnets/again`],
  ["other provider", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/virtualNetworks/v/subnets/s`],
  ["no leading slash", id("rg").slice(1)],
  ["trailing slash", `${id("rg")}/`],
  ["only a subnet path", "/subnets/fake-subnet"],
  ["empty subscription", `/subscriptions//resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s`],
];

describe.each(CRD_FLAVORS)("AKSNodeClass CRD (%s)", (flavor) => {
  const kc = (): KubeConfig => adminKubeConfig(flavor);

  test.each(accepted)("accepts vnetSubnetID: %s", async (_label, value) => {
    const api = nodeClassApi(kc());
    const name = uniqueName("accept");
    const created = await api.create(name, { vnetSubnetID: value });
    expect(created.spec?.vnetSubnetID).toBe(value);
    await api.remove(name);
  });

  test.each(rejected)("rejects vnetSubnetID: %s", async (_label, value) => {
    const api = nodeClassApi(kc());
    const err = await api.create(uniqueName("reject"), { vnetSubnetID: value }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiException);
    const ex = err as ApiException<unknown>;
    expect(ex.code).toBe(422);
    expect(String(ex.body)).toContain("spec.vnetSubnetID");
    expect(String(ex.body)).toContain("should match");
  });

  test("a status patch with a stale resourceVersion gets 409 Conflict", async () => {
    const api = nodeClassApi(kc());
    const name = uniqueName("conflict");
    const created = await api.create(name, { vnetSubnetID: id("rg") });
    const staleRV = created.metadata.resourceVersion;
    const condition = (type: string) => ({
      type,
      status: "True",
      reason: "Testing",
      message: "",
      lastTransitionTime: new Date().toISOString(),
    });
    await api.patchStatus(name, {
      metadata: { resourceVersion: staleRV },
      status: { conditions: [condition("First")] },
    });
    const err = await api
      .patchStatus(name, { metadata: { resourceVersion: staleRV }, status: { conditions: [condition("Second")] } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as ApiException<unknown>).code).toBe(409);
    const after = await api.get(name);
    expect(after.status?.conditions?.map((c) => c.type)).toEqual(["First"]);
    await api.remove(name);
  });

  test("a status patch leaves spec untouched and does not bump generation", async () => {
    const api = nodeClassApi(kc());
    const name = uniqueName("spec");
    const created = await api.create(name, { vnetSubnetID: id("rg"), maxPods: 30 });
    const patched = await api.patchStatus(name, {
      metadata: { resourceVersion: created.metadata.resourceVersion },
      spec: { vnetSubnetID: id("other"), maxPods: 50 },
      status: {
        conditions: [
          {
            type: "aks-subnet-health.io/SubnetReady",
            status: "True",
            reason: "SubnetReady",
            message: "",
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    });
    expect(patched.spec).toEqual(created.spec);
    expect(patched.metadata.generation).toBe(created.metadata.generation);
    expect(patched.status?.conditions?.[0]?.type).toBe("aks-subnet-health.io/SubnetReady");
    await api.remove(name);
  });

  test("condition fields are validated by the CRD (reason pattern)", async () => {
    const api = nodeClassApi(kc());
    const name = uniqueName("reason");
    await api.create(name, {});
    const err = await api
      .patchStatus(name, {
        status: {
          conditions: [
            {
              type: "aks-subnet-health.io/SubnetReady",
              status: "True",
              reason: "has spaces",
              message: "",
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as ApiException<unknown>).code).toBe(422);
    await api.remove(name);
  });

  test("a watch sees a nodeclass created and its status patched", async () => {
    const api = nodeClassApi(kc());
    const name = uniqueName("watch");
    const seen: Array<{ type: string; reasons: string[] }> = [];
    const watch = new Watch(kc());
    const req = await watch.watch(
      `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
      { fieldSelector: `metadata.name=${name}` },
      (type: string, obj: { status?: { conditions?: Array<{ reason: string }> } }) => {
        seen.push({ type, reasons: (obj.status?.conditions ?? []).map((c) => c.reason) });
      },
      () => undefined,
    );
    try {
      // the watch is established before the object exists: wait until the server accepts it
      const created = await eventually(async () => api.create(name, { vnetSubnetID: id("rg") }), { what: "create" });
      await api.patchStatus(name, {
        metadata: { resourceVersion: created.metadata.resourceVersion },
        status: {
          conditions: [
            {
              type: "aks-subnet-health.io/SubnetFound",
              status: "True",
              reason: "SubnetFound",
              message: "",
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      });
      await eventually(
        () => (seen.some((e) => e.type === "MODIFIED" && e.reasons.includes("SubnetFound")) ? true : undefined),
        {
          what: "MODIFIED event with our condition",
        },
      );
      expect(seen[0]?.type).toBe("ADDED");
    } finally {
      req.abort();
      await api.remove(name);
    }
  });
});

describe("our CRD's printer columns", () => {
  test("kubectl-style Table output shows the subnet health columns", async () => {
    const kc = adminKubeConfig("ours");
    const api = nodeClassApi(kc);
    const name = uniqueName("columns");
    const created = await api.create(name, { vnetSubnetID: id("rg") });
    await api.patchStatus(name, {
      metadata: { resourceVersion: created.metadata.resourceVersion },
      status: {
        conditions: [
          {
            type: "aks-subnet-health.io/SubnetReady",
            status: "False",
            reason: "SubnetFull",
            message: "m",
            lastTransitionTime: new Date().toISOString(),
          },
        ],
        subnetHealth: { subnetID: id("rg"), source: "spec", freeIPs: 0, nodeHeadroom: 0 },
      },
    });
    const res = await apiRequest(
      controlPlane("ours"),
      "GET",
      `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}/${name}`,
      undefined,
      undefined,
      "application/json;as=Table;v=v1;g=meta.k8s.io",
    );
    const table = JSON.parse(res.body) as {
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    const cols = table.columnDefinitions.map((c) => c.name);
    expect(cols).toEqual(
      expect.arrayContaining(["Name", "Ready", "SubnetReady", "SubnetReason", "FreeIPs", "NodeHeadroom", "Age"]),
    );
    const cell = (col: string) => table.rows[0]?.cells[cols.indexOf(col)];
    expect(cell("SubnetReady")).toBe("False");
    expect(cell("SubnetReason")).toBe("SubnetFull");
    expect(cell("FreeIPs")).toBe(0);
    await api.remove(name);
  });
});
