/**
 * The NodePool watch against the real API server with Karpenter's NodePool CRD (karpenter.sh/v1, as
 * shipped in third_party/crds): it keeps only what the capacity plan reads and names the nodeclasses a
 * change touches, the old and the new one when a NodePool moves.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { NODEPOOL } from "../../src/domain.js";
import { NodePoolWatch } from "../../src/kube/nodepools.js";
import { adminKubeConfig, eventually, uniqueName } from "../support/kube.js";

const base = { group: NODEPOOL.group, version: NODEPOOL.version, plural: NODEPOOL.plural };

function nodePoolBody(name: string, nodeClass: string, limits: Record<string, string | number>) {
  return {
    apiVersion: `${NODEPOOL.group}/${NODEPOOL.version}`,
    kind: NODEPOOL.kind,
    metadata: { name },
    spec: {
      limits,
      template: {
        spec: {
          nodeClassRef: { group: "karpenter.azure.com", kind: "AKSNodeClass", name: nodeClass },
          requirements: [{ key: "karpenter.azure.com/sku-cpu", operator: "Gt", values: ["3"] }],
        },
      },
    },
  };
}

test("NodePool watch: reduced NodePools per nodeclass, and which nodeclasses each change touches", async () => {
  const kc = adminKubeConfig();
  const api = kc.makeApiClient(CustomObjectsApi);
  const pool = uniqueName("np");
  const [ncA, ncB] = [uniqueName("nc"), uniqueName("nc")];
  const w = new NodePoolWatch({ kubeConfig: kc });
  const changes: string[][] = [];
  w.on("changed", (classes) => changes.push(classes));
  w.start();
  try {
    await w.waitForSync();
    await api.createClusterCustomObject({ ...base, body: nodePoolBody(pool, ncA, { cpu: "100", nodes: 20 }) });
    const created = await eventually(() => w.forNodeClass(ncA)[0], { what: "NodePool indexed" });
    expect(created).toEqual({
      name: pool,
      nodeClass: ncA,
      limits: { cpu: "100", nodes: 20 },
      replicas: undefined,
      requirements: [{ key: "karpenter.azure.com/sku-cpu", operator: "Gt", values: ["3"] }],
    });

    // the API server allows changing the nodeclass name (group and kind are immutable)
    await api.patchClusterCustomObject(
      { ...base, name: pool, body: { spec: { template: { spec: { nodeClassRef: { name: ncB } } } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually(() => (w.forNodeClass(ncB).length === 1 ? true : undefined), { what: "NodePool moved" });
    expect(w.forNodeClass(ncA)).toEqual([]);
    expect(changes).toContainEqual([ncA, ncB].sort());

    // a status-only change is not a change the plan cares about
    const before = changes.length;
    await api.patchClusterCustomObjectStatus(
      { ...base, name: pool, body: { status: { resources: { cpu: "4", nodes: "1" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await api.patchClusterCustomObject(
      { ...base, name: pool, body: { spec: { limits: { nodes: 5 } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await eventually(() => (w.forNodeClass(ncB)[0]?.limits.nodes === 5 ? true : undefined), { what: "limit lowered" });
    expect(changes.slice(before)).toEqual([[ncB]]);

    await api.deleteClusterCustomObject({ ...base, name: pool });
    await eventually(() => (w.forNodeClass(ncB).length === 0 ? true : undefined), { what: "NodePool gone" });
    expect(changes.at(-1)).toEqual([ncB]);
  } finally {
    await w.stop();
    await api.deleteClusterCustomObject({ ...base, name: pool }).catch(() => undefined);
  }
});
