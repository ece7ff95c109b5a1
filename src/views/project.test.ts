import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { NodeClassReport } from "../health/report.js";
import {
  nodeClassHealthView,
  subnetHealthName,
  subnetHealthViews,
  viewScope,
  type NodeClassViewInput,
} from "./project.js";

const SUB = "00000000-0000-0000-0000-0000000000a1";
const id = (vnet: string, subnet: string, rg = "rg-network") =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;

function input(
  name: string,
  over: Partial<NodeClassReport> = {},
  extra: Partial<NodeClassViewInput> = {},
): NodeClassViewInput {
  const subnetID = over.subnetID ?? id("vnet-aks", "nodes");
  const [, , , , rg = "", , , , vnet = "", , subnet = ""] = subnetID.split("/");
  const report: NodeClassReport = {
    name,
    subnetID,
    subnet: `${vnet}/${subnet}`,
    subscription: SUB,
    resourceGroup: rg,
    vnet,
    source: "spec",
    ready: "True",
    reason: "SubnetReady",
    message: "No problems found.",
    verdict: "ok",
    freeIPs: 200,
    totalIPs: 251,
    usedIPs: 51,
    utilizationPercent: 20,
    nodeHeadroom: 200,
    dataTime: "2026-01-01T00:00:00Z",
    conditions: [],
    ...over,
  };
  return {
    report,
    uid: `uid-${name}`,
    generation: 1,
    subnetCanonical: subnetID.toLowerCase(),
    addressPrefixes: ["10.1.0.0/24"],
    outboundCheck: undefined,
    ...extra,
  };
}

describe("view names", () => {
  test("readable, stable, unique per subnet ID and scope, case-insensitive like ARM", () => {
    const a = subnetHealthName(id("vnet-aks", "nodes").toLowerCase(), "vnet-aks", "nodes", "all");
    expect(a).toMatch(/^vnet-aks\.nodes\.[0-9a-f]{10}$/);
    expect(subnetHealthName(id("vnet-aks", "nodes").toLowerCase(), "VNET-AKS", "Nodes", "all")).toBe(a);
    expect(subnetHealthName(id("vnet-aks", "nodes", "rg-other").toLowerCase(), "vnet-aks", "nodes", "all")).not.toBe(a);
    expect(subnetHealthName(id("vnet-aks", "nodes").toLowerCase(), "vnet-aks", "nodes", viewScope("team=a"))).not.toBe(
      a,
    );
    expect(viewScope(undefined)).toBe("all");
    expect(viewScope("team=a")).toMatch(/^sel-[0-9a-f]{12}$/);
  });

  test("whatever Azure allows in names gives a valid DNS subdomain", () => {
    const azureName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/);
    fc.assert(
      fc.property(azureName, azureName, (vnet, subnet) => {
        const n = subnetHealthName(id(vnet, subnet).toLowerCase(), vnet, subnet, "all");
        expect(n.length).toBeLessThanOrEqual(253);
        expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
      }),
    );
  });
});

describe("NodeClassHealth", () => {
  test("the report's columns, owned by its nodeclass, pointing at its subnet's view", () => {
    const v = nodeClassHealthView(input("a", {}, { outboundCheck: "OutboundPathOK" }), "all");
    expect(v.name).toBe("a");
    expect(v.owners).toEqual([
      { apiVersion: "karpenter.azure.com/v1beta1", kind: "AKSNodeClass", name: "a", uid: "uid-a" },
    ]);
    expect(v.status).toMatchObject({
      subnet: "vnet-aks/nodes",
      ready: "True",
      reason: "SubnetReady",
      freeIPs: 200,
      nodeHeadroom: 200,
      source: "spec",
      utilizationPercent: 20,
      outboundCheck: "OutboundPathOK",
      observedGeneration: 1,
    });
    expect(v.status.subnetHealth).toMatch(/^vnet-aks\.nodes\./);
  });

  test("an invalid ID: no subnet view, no undefined fields", () => {
    const v = nodeClassHealthView(
      input(
        "bad",
        {
          subnet: undefined,
          vnet: undefined,
          subscription: undefined,
          resourceGroup: undefined,
          subnetID: "/subscriptions/x",
          freeIPs: undefined,
        },
        { subnetCanonical: undefined },
      ),
      "all",
    );
    expect(v.status.subnetHealth).toBeUndefined();
    expect(Object.values(v.status).every((x) => x !== undefined)).toBe(true);
  });
});

describe("SubnetHealth", () => {
  test("nodeclasses sharing a subnet aggregate: count, names, newest numbers, least headroom, worst readiness", () => {
    const views = subnetHealthViews(
      [
        input("b", { nodeHeadroom: 20, ready: "False", reason: "JoinDenied", dataTime: "2026-01-01T00:00:00Z" }),
        input("a", { freeIPs: 150, usedIPs: 101, utilizationPercent: 40, dataTime: "2026-01-01T00:05:00Z" }),
        input("c", {}, { subnetCanonical: undefined }),
        input("other", { subnetID: id("vnet-aks", "other") }),
      ],
      "all",
    );
    expect(views.size).toBe(2);
    const shared = [...views.values()].find((v) => v.status.subnet === "nodes");
    expect(shared?.status).toMatchObject({
      vnet: "vnet-aks",
      prefixes: "10.1.0.0/24",
      nodeClassCount: 2,
      nodeClasses: ["a", "b"],
      freeIPs: 150,
      usedIPs: 101,
      utilizationPercent: 40,
      nodeHeadroom: 20,
      ready: "False",
      reason: "JoinDenied",
    });
    expect(shared?.owners.map((o) => o.name)).toEqual(["a", "b"]);
  });
});
