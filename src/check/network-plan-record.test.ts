import { describe, expect, it } from "vitest";
import { evaluateNodeClass } from "../health/evaluate.js";
import { network, okVnet, subnetId, subnetProps, THRESHOLDS } from "../health/test-fixtures.js";
import type { NodePoolInput } from "../health/capacity-plan/types.js";
import { renderNetworkPlanRecord, type RecordNodeClass } from "./network-plan-record.js";

const nodeSubnet = network({ networkPluginMode: undefined, podCidrs: [], networkDataplane: "azure" });

function checked(name: string, subnet: string, used: number): RecordNodeClass {
  const vnet = okVnet([
    subnetProps("nodes", { addressPrefixes: ["10.1.0.0/22"], usage: { limit: 1019, used } }),
    subnetProps("other", { addressPrefixes: ["10.1.8.0/24"], usage: { limit: 251, used: 1 } }),
  ]);
  const result = evaluateNodeClass({
    nodeClass: { name, uid: name, generation: 1, vnetSubnetID: subnetId(subnet), maxPods: undefined },
    settings: { defaultSubnetID: undefined, allowedSubscriptions: undefined, thresholds: THRESHOLDS },
    vnet,
    access: { kind: "disabled" },
    network: { kind: "ok", network: nodeSubnet, fetchedAt: 0 },
    peers: [],
    nodes: [],
    previous: { conditions: [], subnetHealth: undefined },
    now: 0,
  });
  const sh = result.subnetHealth;
  return {
    name,
    source: "spec",
    subnetID: subnetId(subnet),
    subnet: result.subnet,
    maxPods: undefined,
    conditions: result.conditions,
    access: { kind: "disabled" },
    vnet,
    currentNodes: 0,
    capacity:
      sh.totalIPs !== undefined && sh.usedIPs !== undefined && sh.freeIPs !== undefined
        ? { total: sh.totalIPs, used: sh.usedIPs, free: sh.freeIPs }
        : undefined,
  };
}

const pool = (name: string, nodeClass: string, nodes: number | undefined): NodePoolInput => ({
  name,
  nodeClass,
  limits: nodes !== undefined ? { nodes } : {},
  replicas: undefined,
  requirements: [],
});

describe("the network plan record", () => {
  const input = {
    title: "demo",
    network: nodeSubnet,
    networkSource: "managed cluster",
    nodeClasses: [checked("zeta", "nodes", 19), checked("alpha", "nodes", 19), checked("solo", "other", 1)],
    nodePools: [pool("web", "alpha", 20), pool("batch", "zeta", 20), pool("pipe|name", "solo", undefined)],
  };

  it("sums the NodePools of every nodeclass sharing a subnet and shows the shortfall", () => {
    const md = renderNetworkPlanRecord(input);
    expect(md).toContain("| IPs needed at NodePool limits | 1240: **240 IPs short** |");
    expect(md).toContain("| `batch` | `zeta` | 20 | limits.nodes 20 | 31 | 620 |");
    expect(md).toContain("| Network plugin | Azure CNI, pods on the node subnet (plugin azure) |");
  });

  it("is the same whatever order the inputs come in, and escapes table cells", () => {
    const md = renderNetworkPlanRecord(input);
    const shuffled = renderNetworkPlanRecord({
      ...input,
      nodeClasses: [...input.nodeClasses].reverse(),
      nodePools: [...input.nodePools].reverse(),
    });
    expect(shuffled).toBe(md);
    expect(md.indexOf("`alpha`")).toBeLessThan(md.indexOf("`zeta`"));
    expect(md).toContain("pipe\\|name");
  });
});
