/**
 * Gathers the capacity plan's inputs for one nodeclass: the NodePools, the other nodeclasses on the
 * same subnet (from the informer cache, whether reconciled yet or not) and the Karpenter node counts
 * as they were when the subnet's usage was read from Azure.
 *
 * Node counts are frozen per read of the subnet's VNet: a node that registers between two reads of
 * Azure holds IPs the last read did not count, so counting it at once would move the plan (and the
 * condition's message) with every node and move it back at the next read.
 */
import type { NodePoolInput } from "../health/capacity-plan/types.js";
import { resolvedRef, resolveSubnet } from "../health/resolve-subnet.js";
import type { CapacityPlanInput, EvaluationSettings, NodeAddress, SubnetRef } from "../health/types.js";
import { nodeClassInput, type NodeClassObject } from "./nodeclass.js";

export interface NodePoolSource {
  hasSynced(): boolean;
  all(): NodePoolInput[];
}

interface Resolved {
  generation: number;
  defaultSubnetID: string | undefined;
  canonical: string | undefined;
  maxPods: number | undefined;
}

export class PlanInputs {
  /** nodeclass → where it resolves, recomputed when its generation or the default subnet changes */
  private readonly resolved = new Map<string, Resolved>();
  /** subnet canonical → node counts frozen at the VNet read `fetchedAt` */
  private readonly counts = new Map<string, { fetchedAt: number; byNodeClass: Map<string, number> }>();

  constructor(
    private readonly deps: {
      nodeClasses: { list(): NodeClassObject[]; get(name: string): NodeClassObject | undefined };
      nodes: { addressesFor(nodeclass: string): NodeAddress[] } | undefined;
      nodePools: NodePoolSource | undefined;
    },
  ) {}

  /**
   * The plan input of `name` on `ref`, or undefined while NodePools are not read. Only nodeclasses that
   * some NodePool uses can add demand (or Karpenter nodes), so only those are looked at: the cost
   * follows NodePools, not every nodeclass in the cluster.
   */
  forNodeClass(
    name: string,
    ref: SubnetRef | undefined,
    fetchedAt: number | undefined,
    settings: EvaluationSettings,
  ): CapacityPlanInput | undefined {
    const pools = this.deps.nodePools;
    if (pools === undefined || !pools.hasSynced() || ref === undefined) return undefined;
    const nodePools = pools.all();
    const used = [...new Set(nodePools.flatMap((p) => (p.nodeClass !== undefined ? [p.nodeClass] : [])))].sort();
    const count = (n: string): number => this.nodeCount(ref.canonical, fetchedAt, n);
    const siblings: CapacityPlanInput["siblings"][number][] = [];
    for (const n of used) {
      if (n === name) continue;
      const obj = this.deps.nodeClasses.get(n);
      if (obj === undefined) continue;
      const r = this.resolve(obj, settings);
      if (r?.canonical === ref.canonical) siblings.push({ name: n, maxPods: r.maxPods, currentNodes: count(n) });
    }
    return { nodePools, siblings, currentNodes: count(name) };
  }

  /**
   * Names of the nodeclasses on the subnet `name` resolved to before this call and on the one it
   * resolves to now (itself excluded): after a move or a delete, both subnets' plans change.
   */
  siblingsOf(name: string, settings: EvaluationSettings): string[] {
    const before = this.resolved.get(name)?.canonical;
    this.refresh(settings);
    const now = this.resolved.get(name)?.canonical;
    const names = new Set<string>();
    for (const canonical of [before, now]) {
      if (canonical === undefined) continue;
      for (const s of this.onSubnet(canonical, settings)) if (s.name !== name) names.add(s.name);
    }
    return [...names].sort();
  }

  /** Keep frozen counts only for subnets still in use. */
  retain(subnets: ReadonlySet<string>): void {
    for (const k of [...this.counts.keys()]) if (!subnets.has(k)) this.counts.delete(k);
  }

  /** Forget a deleted nodeclass. */
  forget(name: string): void {
    this.resolved.delete(name);
    for (const c of this.counts.values()) c.byNodeClass.delete(name);
  }

  private onSubnet(
    canonical: string,
    settings: EvaluationSettings,
  ): Array<{ name: string; maxPods: number | undefined }> {
    this.refresh(settings);
    const out: Array<{ name: string; maxPods: number | undefined }> = [];
    for (const [n, r] of this.resolved) if (r.canonical === canonical) out.push({ name: n, maxPods: r.maxPods });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Re-resolve every nodeclass that changed and forget the deleted ones. */
  private refresh(settings: EvaluationSettings): void {
    const seen = new Set<string>();
    for (const obj of this.deps.nodeClasses.list()) {
      const r = this.resolve(obj, settings);
      if (r !== undefined) seen.add(r.name);
    }
    for (const n of [...this.resolved.keys()]) if (!seen.has(n)) this.forget(n);
  }

  /** Where one nodeclass resolves; parsed again only when its generation or the default subnet changed. */
  private resolve(obj: NodeClassObject, settings: EvaluationSettings): (Resolved & { name: string }) | undefined {
    const input = nodeClassInput(obj);
    if (input.name === "") return undefined;
    const known = this.resolved.get(input.name);
    if (
      known !== undefined &&
      known.generation === input.generation &&
      known.defaultSubnetID === settings.defaultSubnetID &&
      known.maxPods === input.maxPods
    ) {
      return { ...known, name: input.name };
    }
    const fresh: Resolved = {
      generation: input.generation,
      defaultSubnetID: settings.defaultSubnetID,
      canonical: resolvedRef(resolveSubnet(input, settings))?.canonical,
      maxPods: input.maxPods,
    };
    this.resolved.set(input.name, fresh);
    return { ...fresh, name: input.name };
  }

  private nodeCount(canonical: string, fetchedAt: number | undefined, nodeclass: string): number {
    const live = (): number => this.deps.nodes?.addressesFor(nodeclass).length ?? 0;
    if (fetchedAt === undefined) return live();
    let c = this.counts.get(canonical);
    if (c === undefined || c.fetchedAt !== fetchedAt) {
      c = { fetchedAt, byNodeClass: new Map() };
      this.counts.set(canonical, c);
    }
    let n = c.byNodeClass.get(nodeclass);
    if (n === undefined) {
      n = live();
      c.byNodeClass.set(nodeclass, n);
    }
    return n;
  }
}
