/**
 * Karpenter NodePools for `check`: from the same manifest files as the nodeclasses (a GitOps folder
 * holds both), or from the live cluster; and the capacity plan's input for each checked nodeclass,
 * built from this one pass (the operator builds it from its caches, src/operator/plan-inputs.ts).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { NODEPOOL } from "../domain.js";
import type { NodePoolInput } from "../health/capacity-plan/types.js";
import { resolvedRef } from "../health/resolve-subnet.js";
import type { CapacityPlanInput, EvaluationInput } from "../health/types.js";
import { nodePoolInput, type NodePoolObject } from "../kube/nodepools.js";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const MANIFEST_EXT = new Set([".yaml", ".yml", ".json"]);

function isNodePool(doc: Record<string, unknown>): boolean {
  return doc.kind === NODEPOOL.kind && typeof doc.apiVersion === "string" && doc.apiVersion === `${NODEPOOL.group}/v1`;
}

/** NodePools in one YAML/JSON text; documents that do not parse or are of other kinds are skipped. */
export function nodePoolsInText(text: string): NodePoolInput[] {
  const out: NodePoolInput[] = [];
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) continue;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    const items = isRecord(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
    for (const item of items as unknown[]) {
      if (isRecord(item) && isNodePool(item)) {
        const pool = nodePoolInput(item);
        if (pool.name !== "") out.push(pool);
      }
    }
  }
  return out;
}

async function filesBelow(p: string): Promise<string[]> {
  const s = await stat(p);
  if (!s.isDirectory()) return [p];
  const out: string[] = [];
  for (const entry of (await readdir(p)).sort()) {
    const full = path.join(p, entry);
    const st = await stat(full);
    if (st.isDirectory()) out.push(...(await filesBelow(full)));
    else if (MANIFEST_EXT.has(path.extname(entry).toLowerCase())) out.push(full);
  }
  return out;
}

/** NodePools in manifest files and directories (stdin, "-", is read by the nodeclass loader only). */
export async function loadNodePoolManifests(paths: readonly string[]): Promise<NodePoolInput[]> {
  const out: NodePoolInput[] = [];
  for (const p of paths) {
    if (p === "-") continue;
    for (const file of await filesBelow(p)) out.push(...nodePoolsInText(await readFile(file, "utf8")));
  }
  return out;
}

/** The live cluster's NodePools (a cluster without the NodePool CRD has none). */
export async function listClusterNodePools(kc: KubeConfig): Promise<NodePoolInput[]> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const out: NodePoolInput[] = [];
  let _continue: string | undefined;
  do {
    const page = (await api.listClusterCustomObject({
      group: NODEPOOL.group,
      version: NODEPOOL.version,
      plural: NODEPOOL.plural,
      limit: 500,
      ...(_continue ? { _continue } : {}),
    })) as KubernetesListObject<NodePoolObject & { metadata?: object }>;
    out.push(...page.items.map(nodePoolInput));
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  return out;
}

/** Each nodeclass's capacity-plan input: the other checked nodeclasses on its subnet and the NodePools. */
export function capacityPlanInputs(
  inputs: readonly EvaluationInput[],
  nodePools: readonly NodePoolInput[],
): Map<string, CapacityPlanInput> {
  const subnetOf = (i: EvaluationInput): string | undefined =>
    i.resolution !== undefined ? resolvedRef(i.resolution)?.canonical : undefined;
  const out = new Map<string, CapacityPlanInput>();
  for (const input of inputs) {
    const mine = subnetOf(input);
    out.set(input.nodeClass.name, {
      nodePools,
      siblings: inputs
        .filter((o) => o !== input && mine !== undefined && subnetOf(o) === mine)
        .map((o) => ({ name: o.nodeClass.name, maxPods: o.nodeClass.maxPods, currentNodes: o.nodes.length })),
      currentNodes: input.nodes.length,
    });
  }
  return out;
}
