/**
 * Karpenter's NodePools (karpenter.sh/v1), reduced to what the capacity plan needs: the nodeclass they
 * use, their limits, replicas and requirements. The cache never holds whole NodePool objects (their
 * status and disruption budgets change often and are of no use here).
 *
 * A change that matters to the plan (a limit, the nodeclass reference, requirements, a NodePool
 * appearing or going) tells listeners which nodeclasses it touches: the old one and the new one.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import type { NodePoolInput, NodePoolRequirement, RequirementOperator } from "../health/capacity-plan/types.js";
import { AKSNODECLASS, NODEPOOL } from "../domain.js";
import type { Clock } from "./clock.js";
import { ResilientInformer, type WatchLike } from "./informer.js";
import { InformerIndex } from "./informer-index.js";
import type { KubeLogger } from "./log.js";

/** A NodePool as the API returns it (unstructured: anything may be missing or of the wrong type). */
export interface NodePoolObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string };
  spec?: unknown;
}

/** What the cache keeps per NodePool. */
export interface NodePoolSummary {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string };
  pool: NodePoolInput;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const OPERATORS = new Set<string>(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"]);

/**
 * The plan's view of a NodePool. A field of the wrong type reads as absent; a requirement with an
 * unknown operator is dropped (the API server's schema rejects both, so this is only a guard).
 */
export function nodePoolInput(obj: NodePoolObject): NodePoolInput {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const template = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : {};
  const ref = isRecord(template.nodeClassRef) ? template.nodeClassRef : {};
  const isAksNodeClass =
    (ref.group === undefined || ref.group === AKSNODECLASS.group) &&
    (ref.kind === undefined || ref.kind === AKSNODECLASS.kind);
  const limits: Record<string, string | number> = {};
  if (isRecord(spec.limits)) {
    for (const [k, v] of Object.entries(spec.limits)) {
      if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) limits[k] = v;
    }
  }
  const requirements: NodePoolRequirement[] = [];
  for (const r of Array.isArray(template.requirements) ? (template.requirements as unknown[]) : []) {
    if (!isRecord(r) || typeof r.key !== "string" || typeof r.operator !== "string" || !OPERATORS.has(r.operator)) {
      continue;
    }
    const values = Array.isArray(r.values) ? r.values.filter((v): v is string => typeof v === "string") : [];
    requirements.push({ key: r.key, operator: r.operator as RequirementOperator, values });
  }
  const replicas =
    typeof spec.replicas === "number" && Number.isInteger(spec.replicas) && spec.replicas >= 0
      ? spec.replicas
      : undefined;
  return {
    name: obj.metadata?.name ?? "",
    nodeClass: isAksNodeClass && typeof ref.name === "string" && ref.name !== "" ? ref.name : undefined,
    limits,
    replicas,
    requirements,
  };
}

export function summarizeNodePool(obj: NodePoolObject): NodePoolSummary {
  return {
    metadata: { name: obj.metadata?.name ?? "", resourceVersion: obj.metadata?.resourceVersion },
    pool: nodePoolInput(obj),
  };
}

export interface NodePoolWatchOptions {
  kubeConfig: KubeConfig;
  /** defaults to kubeConfig.makeApiClient(CustomObjectsApi) */
  customObjects?: Pick<CustomObjectsApi, "listClusterCustomObject">;
  watch?: WatchLike;
  watchdogMs?: number;
  clock?: Clock;
  log?: KubeLogger;
}

/** "changed": these nodeclasses' NodePools changed */
export class NodePoolWatch extends InformerIndex<
  NodePoolObject & { metadata: object },
  NodePoolSummary,
  [nodeclasses: string[]]
> {
  protected readonly informer: ResilientInformer<NodePoolObject & { metadata: object }, NodePoolSummary>;
  /** NodePool name → its reduced form, as last indexed */
  private readonly byName = new Map<string, NodePoolInput>();

  constructor(opts: NodePoolWatchOptions) {
    super();
    const api = opts.customObjects ?? opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.informer = new ResilientInformer<NodePoolObject & { metadata: object }, NodePoolSummary>({
      name: NODEPOOL.plural,
      path: `/apis/${NODEPOOL.group}/${NODEPOOL.version}/${NODEPOOL.plural}`,
      kubeConfig: opts.kubeConfig,
      watch: opts.watch,
      list: async (labelSelector) =>
        (await api.listClusterCustomObject({
          group: NODEPOOL.group,
          version: NODEPOOL.version,
          plural: NODEPOOL.plural,
          ...(labelSelector ? { labelSelector } : {}),
        })) as KubernetesListObject<NodePoolObject & { metadata: object }>,
      transform: summarizeNodePool,
      watchdogMs: opts.watchdogMs,
      clock: opts.clock,
      log: opts.log,
    });
    this.informer.on("add", (s) => this.upsert(s.pool));
    this.informer.on("update", (s) => this.upsert(s.pool));
    this.informer.on("delete", (s) => this.remove(s.metadata.name));
  }

  /** Every NodePool, sorted by name. */
  all(): NodePoolInput[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** NodePools that use this nodeclass, sorted by name. */
  forNodeClass(nodeclass: string): NodePoolInput[] {
    return this.all().filter((p) => p.nodeClass === nodeclass);
  }

  private upsert(pool: NodePoolInput): void {
    const prev = this.byName.get(pool.name);
    if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(pool)) return;
    this.byName.set(pool.name, pool);
    this.changed([prev?.nodeClass, pool.nodeClass]);
  }

  private remove(name: string): void {
    const prev = this.byName.get(name);
    if (prev === undefined) return;
    this.byName.delete(name);
    this.changed([prev.nodeClass]);
  }

  private changed(classes: Array<string | undefined>): void {
    const names = [...new Set(classes.filter((c): c is string => c !== undefined))].sort();
    if (names.length === 0) return;
    this.notify(names);
  }
}
