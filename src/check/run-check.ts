/**
 * `aks-subnet-health check`: the imperative shell around evaluateAll. Builds the Azure data layer
 * from the same options as `run`, reads the nodeclasses (manifests, or the live cluster with
 * --cluster), evaluates each once and returns the report. Reads only: no status, no Events, no Lease.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type V1Node,
} from "@kubernetes/client-node";
import { createAzureDataLayer } from "../azure/index.js";
import { parseClusterResourceId, principalFromCluster } from "../azure/cluster-source.js";
import { azureEndpoints, type Options } from "../config/options.js";
import { AKSNODECLASS, NODECLASS_LABEL } from "../domain.js";
import { nodeClassReport } from "../health/report.js";
import type { ClusterNetworkObservation, EvaluationSettings, NodeAddress } from "../health/types.js";
import {
  credentialFor,
  evaluationSettings,
  networkFromOptions,
  managedClusterNetwork,
} from "../operator/from-options.js";
import type { Sources } from "../operator/gather.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { discoverClusterNetwork } from "../kube/network-discovery.js";
import { networkFromObservation } from "../health/evaluate.js";
import { nodeClassInput, type NodeClassObject } from "../operator/nodeclass.js";
import { evaluateAll } from "./evaluate-all.js";
import { renderNetworkPlanRecord, type RecordNodeClass } from "./network-plan-record.js";
import { listClusterNodePools, loadNodePoolManifests } from "./nodepools.js";
import { loadNodeClassManifests } from "./manifests.js";
import { buildReport, type CheckedRow, type CheckReport } from "./report.js";

export interface CheckTarget {
  /** manifest paths ("-" for stdin); empty with `cluster` */
  paths: readonly string[];
  /** check the live cluster's nodeclasses instead of manifests */
  cluster: boolean;
}

export interface CheckOverrides {
  kubeConfig?: KubeConfig;
  credential?: TokenCredential;
  stdin?: NodeJS.ReadableStream;
  azureRetry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  armTimeoutMs?: number;
  now?: () => number;
}

/** A problem with what the user asked for (exit 2), as opposed to a verdict about a subnet. */
export class CheckUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckUsageError";
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function internalIPs(node: V1Node): string[] {
  return [
    ...new Set((node.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address)),
  ].sort();
}

interface ClusterNodeClasses {
  objects: NodeClassObject[];
  nodes: Map<string, NodeAddress[]>;
}

/** The cluster's nodeclasses (status included: the previous state drift compares with) and Karpenter's nodes. */
async function readCluster(kc: KubeConfig, selector: string | undefined): Promise<ClusterNodeClasses> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const items: NodeClassObject[] = [];
  let _continue: string | undefined;
  do {
    const page = (await custom.listClusterCustomObject({
      group: AKSNODECLASS.group,
      version: AKSNODECLASS.version,
      plural: AKSNODECLASS.plural,
      limit: 500,
      ...(selector ? { labelSelector: selector } : {}),
      ...(_continue ? { _continue } : {}),
    })) as KubernetesListObject<NodeClassObject & { metadata?: { name?: string } }>;
    items.push(...page.items);
    _continue = page.metadata?._continue || undefined;
  } while (_continue);
  // nodes Karpenter launched, by nodeclass: the drift check compares their addresses with the subnet
  const byClass = new Map<string, NodeAddress[]>();
  const core = kc.makeApiClient(CoreV1Api);
  let nodeContinue: string | undefined;
  do {
    const page = await core.listNode({
      labelSelector: NODECLASS_LABEL,
      limit: 500,
      ...(nodeContinue ? { _continue: nodeContinue } : {}),
    });
    for (const n of page.items) {
      const cls = n.metadata?.labels?.[NODECLASS_LABEL];
      if (!cls || !n.metadata?.name) continue;
      const list = byClass.get(cls) ?? [];
      list.push({ name: n.metadata.name, internalIPs: internalIPs(n) });
      byClass.set(cls, list);
    }
    nodeContinue = page.metadata?._continue || undefined;
  } while (nodeContinue);
  const objects = items
    .filter((o) => isRecord(o.metadata) && typeof o.metadata.name === "string")
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  return { objects, nodes: byClass };
}

/**
 * The same Azure reads and the same settings the operator derives from these options: cluster
 * network (managed cluster, flags, or what the live cluster shows), default subnet, Karpenter's
 * identity, thresholds.
 */
async function sourcesFor(
  o: Options,
  over: CheckOverrides,
  kc: KubeConfig | undefined,
  nodes: Map<string, NodeAddress[]>,
): Promise<{ sources: Sources; settings: EvaluationSettings; networkSource: string }> {
  const endpoints = azureEndpoints(o);
  const clusterRef = o.clusterResourceId ? parseClusterResourceId(o.clusterResourceId) : undefined;
  if (clusterRef && !clusterRef.ok) throw new CheckUsageError(`--cluster-resource-id: ${clusterRef.error}`);
  const { vnets, access, networkResources, cluster } = createAzureDataLayer({
    clients: {
      credential: over.credential ?? credentialFor(o, endpoints.authorityHost),
      endpoint: endpoints.armEndpoint,
      credentialScope: endpoints.armScope,
      ...(o.azureCaFile ? { ca: readFileSync(o.azureCaFile, "utf8") } : {}),
      ...(over.azureRetry ? { retry: over.azureRetry } : {}),
    },
    limiter: { capacity: o.armReadBucket, refillPerSecond: o.armReadRefill, concurrency: o.armConcurrency },
    ...(over.armTimeoutMs !== undefined ? { callTimeoutMs: over.armTimeoutMs } : {}),
    access: { ...(o.karpenterPrincipalId ? { principalId: o.karpenterPrincipalId } : {}), selfCheck: true },
    ...(clusterRef?.ok ? { cluster: clusterRef.ref } : {}),
    ...(over.now ? { now: over.now } : {}),
  });
  const flagNetwork = networkFromOptions(o);
  let network: ClusterNetworkObservation = { kind: "unknown" };
  if (cluster) {
    network = managedClusterNetwork(await cluster.get(), o, flagNetwork);
    const mc = cluster.managedCluster;
    if (mc && !o.karpenterPrincipalId) {
      const p = principalFromCluster(mc);
      if (p) access.setPrincipal(p.principalId);
    }
  } else if (flagNetwork) {
    network = { kind: "ok", network: flagNetwork, fetchedAt: (over.now ?? Date.now)() };
  } else if (kc) {
    const discovered = await discoverClusterNetwork(kc);
    if (discovered) network = { kind: "ok", network: discovered, fetchedAt: (over.now ?? Date.now)() };
  }
  const settings = evaluationSettings(o, cluster?.managedCluster);
  const networkSource =
    network.kind === "ok"
      ? network.network.source
      : network.kind === "unavailable"
        ? `unavailable (${network.failure.message})`
        : "unknown";
  const observed = network;
  return {
    networkSource,
    settings,
    sources: {
      vnets,
      access,
      networkResources,
      network: { get: () => Promise.resolve(observed) },
      nodes: { addressesFor: (nodeclass) => nodes.get(nodeclass) ?? [] },
    },
  };
}

export async function runCheck(o: Options, target: CheckTarget, over: CheckOverrides = {}): Promise<CheckReport> {
  return (await checkOnce(o, target, over)).report;
}

/**
 * One check: the report, and the network plan record (`--report markdown`) of the same evaluations,
 * with the NodePools found next to the manifests or in the cluster.
 */
export async function checkOnce(
  o: Options,
  target: CheckTarget,
  over: CheckOverrides = {},
): Promise<{ report: CheckReport; record: () => string }> {
  if (target.cluster && target.paths.length > 0)
    throw new CheckUsageError("give either manifest paths or --cluster, not both");
  if (!target.cluster && target.paths.length === 0)
    throw new CheckUsageError("nothing to check: give manifest files or directories, '-' for stdin, or --cluster");

  let subjects: Array<{ object: NodeClassObject; origin: string }>;
  let kc: KubeConfig | undefined;
  let nodes = new Map<string, NodeAddress[]>();
  if (target.cluster) {
    try {
      kc = over.kubeConfig ?? loadKubeConfig(o.kubeconfig);
    } catch (err) {
      throw new CheckUsageError(err instanceof Error ? err.message : String(err));
    }
    const read = await readCluster(kc, o.nodeclassSelector);
    nodes = read.nodes;
    subjects = read.objects.map((object) => ({ object, origin: "cluster" }));
  } else {
    // a manifest carries no status: its previous state is empty, as for a nodeclass about to be created
    subjects = await loadNodeClassManifests(target.paths, over.stdin);
  }
  if (subjects.length === 0)
    throw new CheckUsageError(
      target.cluster
        ? "the cluster has no AKSNodeClass to check (or none matches --nodeclass-selector)"
        : `no AKSNodeClass (${AKSNODECLASS.group}) found in ${target.paths.join(", ")}`,
    );

  const { sources, settings, networkSource } = await sourcesFor(o, over, kc, nodes);
  // a cluster without the NodePool CRD (or without the right to list it) has no plan, not an error
  const nodePools = kc ? await listClusterNodePools(kc).catch(() => []) : await loadNodePoolManifests(target.paths);
  const checked = await evaluateAll(
    subjects.map((s) => s.object),
    sources,
    () => settings,
    over.now,
    nodePools,
  );
  const rows: CheckedRow[] = checked.map((c, i) => ({
    ...nodeClassReport(c.name, c.result, c.access),
    origin: subjects[i]?.origin ?? "",
  }));
  const report = buildReport(target.cluster ? "cluster" : "manifests", networkSource, rows);
  const network = await sources.network.get();
  const record = (): string =>
    renderNetworkPlanRecord({
      title: o.clusterResourceId ? (o.clusterResourceId.split("/").filter(Boolean).at(-1) ?? "cluster") : "cluster",
      network: networkFromObservation(network),
      networkSource,
      nodePools,
      nodeClasses: checked.map((c, i): RecordNodeClass => {
        const sh = c.result.subnetHealth;
        return {
          name: c.name,
          source: sh.source,
          subnetID: sh.subnetID,
          subnet: c.result.subnet,
          maxPods: nodeClassInput(subjects[i]?.object ?? {}).maxPods,
          conditions: c.result.conditions,
          access: c.access,
          vnet: c.vnet,
          currentNodes: nodes.get(c.name)?.length ?? 0,
          capacity:
            sh.totalIPs !== undefined && sh.usedIPs !== undefined && sh.freeIPs !== undefined
              ? { total: sh.totalIPs, used: sh.usedIPs, free: sh.freeIPs }
              : undefined,
        };
      }),
    });
  return { report, record };
}
