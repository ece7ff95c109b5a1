/**
 * Role-assignment inheritance through the access cache, and ManagedClusters_Get → ClusterNetwork, with the
 * real SDK clients against the in-process ARM simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AccessCache } from "../../src/azure/access-cache.js";
import { ArmLimiter } from "../../src/azure/arm-limiter.js";
import { armAuthorizationReader } from "../../src/azure/authorization-reader.js";
import { createAzureClients, type AzureClients } from "../../src/azure/clients.js";
import {
  ClusterSource,
  armManagedClusterReader,
  defaultSubnetFromCluster,
  parseClusterResourceId,
  principalFromCluster,
} from "../../src/azure/cluster-source.js";
import { accessObservation, type AccessReadsObservation } from "../../src/health/access/observe.js";
import type { AccessEvaluation } from "../../src/health/types.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import {
  CLUSTER_ID,
  CLUSTER_IDENTITY,
  KARPENTER_A,
  KARPENTER_B,
  KARPENTER_B_CONDITIONED,
  KARPENTER_READER,
  NOBODY,
  NODES,
  OPERATOR,
  VNET,
  subnet,
  topology,
} from "./fixtures.js";

let sim: RunningSimulator;

function clientsFor(oid: string): { clients: AzureClients; limiter: ArmLimiter } {
  const limiter = new ArmLimiter({ timeoutMs: 10_000 });
  const clients = createAzureClients({
    credential: new SimTokenCredential({ oid }),
    endpoint: sim.url,
    ca: sim.caPem,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    limiter,
  });
  return { clients, limiter };
}

function accessCache(oid: string, opts: { principalId?: string; selfCheck?: boolean } = {}): AccessCache {
  const { clients, limiter } = clientsFor(oid);
  return new AccessCache({ reader: armAuthorizationReader(clients, limiter), failureTtlMs: 0, ...opts });
}

/** The source shares the reads; the verdict is the pure core's (src/health/access/observe.ts). */
function evaluation(read: AccessReadsObservation): AccessEvaluation {
  const obs = accessObservation(read);
  if (obs.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(obs)}`);
  return obs.evaluation;
}

async function requests(operation: string): Promise<Array<{ path: string; query: string }>> {
  return (await sim.admin.requests()).filter((r) => r.operation === operation);
}

beforeAll(async () => {
  sim = await startSimulator({ topology: topology(), pageSize: 2 });
});
afterAll(async () => {
  await sim?.close();
});
beforeEach(async () => {
  await sim.admin.clearFaults();
  await sim.admin.replaceTopology(topology());
  await sim.admin.resetCounters();
});

describe("access cache against the simulator", () => {
  it("Approach A: Network Contributor on the VNet is inherited by the subnet", async () => {
    const e = evaluation(await accessCache(OPERATOR).get(subnet(NODES), { principalId: KARPENTER_A }));
    expect(e.mode).toBe("karpenter-principal");
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("granted");
    expect(e.approach).toBe("vnet-network-contributor");
    expect(e.broadGrants.length).toBeGreaterThan(0);

    // the scope went out without a doubled slash, with the documented filter (as the role-assignments REST API documents)
    const [req] = await requests("RoleAssignments_ListForScope");
    expect(req?.path.startsWith("/subscriptions/")).toBe(true);
    expect(decodeURIComponent(req?.query ?? "")).toContain(`atScope() and assignedTo('${KARPENTER_A}')`);
    const defs = await requests("RoleDefinitions_GetById");
    expect(defs.length).toBeGreaterThan(0);
    expect(defs.every((d) => !d.path.startsWith("//"))).toBe(true);
  });

  it("Approach B: a custom read + join role on the subnet", async () => {
    const e = evaluation(await accessCache(OPERATOR, { principalId: KARPENTER_B }).get(subnet(NODES)));
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("granted");
    expect(e.approach).toBe("subnet-custom-role");
    expect(e.broadGrants).toEqual([]);
  });

  it("Approach B with NAP's condition on Network Contributor: read and join granted, write excluded", async () => {
    const e = evaluation(await accessCache(OPERATOR, { principalId: KARPENTER_B_CONDITIONED }).get(subnet(NODES)));
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("granted");
    expect(e.approach).toBe("subnet-conditioned-network-contributor");
  });

  it("Reader only (inherited from the resource group): read granted, join denied", async () => {
    const e = evaluation(await accessCache(OPERATOR, { principalId: KARPENTER_READER }).get(subnet(NODES)));
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("denied");
  });

  it("a deny assignment on the subnet overrides the inherited grant", async () => {
    await sim.admin.addDenyAssignment({
      scope: NODES,
      actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
      principals: [{ id: KARPENTER_A }],
    });
    const e = evaluation(await accessCache(OPERATOR, { principalId: KARPENTER_A }).get(subnet(NODES)));
    expect(e.read.verdict).toBe("granted");
    expect(e.join.verdict).toBe("denied");
    expect(e.join.deniedBy).toHaveLength(1);
  });

  it("role definitions are fetched once per role and reused across principals and subnets", async () => {
    const cache = accessCache(OPERATOR);
    await cache.get(subnet(NODES), { principalId: KARPENTER_A });
    await cache.get(subnet(NODES), { principalId: CLUSTER_IDENTITY });
    await cache.get(subnet(`${VNET}/subnets/aci`), { principalId: KARPENTER_A });
    expect((await requests("RoleDefinitions_GetById")).length).toBe(1);
    // and within the TTL, asking again costs nothing
    const before = (await sim.admin.counters()).total;
    await cache.get(subnet(NODES), { principalId: KARPENTER_A });
    expect((await sim.admin.counters()).total).toBe(before);
  });

  it("an operator that may not read role assignments gets 'forbidden'", async () => {
    const obs = await accessCache(NOBODY, { principalId: KARPENTER_A }).get(subnet(NODES));
    expect(obs.kind).toBe("forbidden");
  });

  it("without a principal, the self-check reads the operator's own permissions", async () => {
    const e = evaluation(await accessCache(OPERATOR, { selfCheck: true }).get(subnet(NODES)));
    expect(e.mode).toBe("operator-identity");
    expect(e.read.verdict).toBe("granted"); // the operator is Reader on the subscription
    expect(e.join.verdict).toBe("denied");
    expect((await requests("Permissions_ListForResource")).length).toBe(1);
  });

  it("throttling keeps the last evaluation", async () => {
    const cache = accessCache(OPERATOR, { principalId: KARPENTER_A });
    const first = evaluation(await cache.get(subnet(NODES)));
    await sim.admin.setFaults([
      { operation: "RoleAssignments_ListForScope", kind: "throttle", retryAfterSeconds: 1, count: 2 },
    ]);
    const obs = accessObservation(await cache.get(subnet(NODES), { force: true }));
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "throttled" } });
    expect(obs.kind === "unavailable" && obs.last).toEqual(first);
  });
});

describe("cluster source against the simulator", () => {
  it("ManagedClusters_Get gives the cluster network, Karpenter's identity and the default subnet", async () => {
    const parsed = parseClusterResourceId(CLUSTER_ID);
    if (!parsed.ok) throw new Error(parsed.error);
    const { clients, limiter } = clientsFor(OPERATOR);
    const source = new ClusterSource({ reader: armManagedClusterReader(clients, limiter), cluster: parsed.ref });
    const obs = await source.get();
    expect(obs.kind).toBe("ok");
    if (obs.kind !== "ok") return;
    expect(obs.network).toEqual({
      source: "managed-cluster",
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
      networkDataplane: "cilium",
      podCidrs: ["10.244.0.0/16"],
      serviceCidrs: ["10.96.0.0/16"],
      dnsServiceIP: "10.96.0.10",
      loadBalancerSku: "standard",
      outboundType: undefined,
      nodeResourceGroup: "MC_aks-rg_prod_eastus",
      defaultMaxPods: 110,
      agentPools: [
        { name: "user1", maxPods: 110, vnetSubnetID: `${VNET}/subnets/aci` },
        { name: "system", maxPods: 30, vnetSubnetID: NODES },
      ],
    });
    const mc = source.managedCluster;
    expect(mc && principalFromCluster(mc)?.principalId).toBe(CLUSTER_IDENTITY);
    expect(mc && defaultSubnetFromCluster(mc)).toBe(NODES);

    // cached: a second get costs nothing
    await source.get();
    expect((await sim.admin.counters()).byOperation["ManagedClusters_Get"]).toBe(1);
  });

  it("an unreadable cluster is unavailable with the last network kept", async () => {
    const parsed = parseClusterResourceId(CLUSTER_ID);
    if (!parsed.ok) throw new Error(parsed.error);
    const { clients, limiter } = clientsFor(OPERATOR);
    const source = new ClusterSource({
      reader: armManagedClusterReader(clients, limiter),
      cluster: parsed.ref,
      failureTtlMs: 0,
    });
    const first = await source.get();
    await sim.admin.setFaults([
      { operation: "ManagedClusters_Get", kind: "error", status: 503, code: "ServiceUnavailable" },
    ]);
    const obs = await source.get({ force: true });
    expect(obs).toMatchObject({ kind: "unavailable", failure: { kind: "server-error", statusCode: 503 } });
    expect(obs.kind === "unavailable" && first.kind === "ok" && obs.last).toEqual(
      first.kind === "ok" ? first.network : undefined,
    );
  });
});
