/**
 * Everything this process remembers about one nodeclass, in one record, in one map, dropped by one
 * `forget`. Nothing else in the operator keeps per-nodeclass state (metrics keep one sample per
 * nodeclass, dropped by the controller's forget along with the record).
 */
import type { PeerSubnet, SubnetHealthStatus, SubnetRef } from "../health/types.js";
import type { LossyWrite, LossyWriteStore } from "../kube/status-writer.js";
import type { ContestState } from "./other-writer.js";

export interface NodeClassRecord {
  /** metadata.generation last reconciled: an update with another one is a spec change */
  generation?: number;
  /** conditionsKey() of our conditions as last written or found in place: tells someone else's edit */
  writtenKey?: string;
  /** status.subnetHealth as last evaluated: drift memory, the only copy when the CRD prunes the field */
  subnetHealth?: SubnetHealthStatus;
  /** the subnet it resolved to last (valid or not): what the Azure caches must keep */
  subnet?: SubnetRef;
  /** its subnet as other nodeclasses' overlap checks see it */
  peer?: PeerSubnet;
  /** IDs of the NSG, route table and NAT gateway its subnet pointed at last (what that cache must keep) */
  networkResources?: string[];
  /** when numbers in status.subnetHealth were last written (they are throttled) */
  numbersWrittenAt?: number;
  /** what the installed CRD kept of the last status.subnetHealth we sent, when not all of it */
  lossyWrite?: LossyWrite;
  /**
   * Our last write as the server returned it, while the informer's copy is still the one we patched
   * (resourceVersion `basedOn`): merging against it avoids a 409 on the next visit.
   */
  ownWrite?: { basedOn: string; object: unknown };
  /** someone else's changes of our conditions, seen before writes (other-writer.ts) */
  contest?: ContestState;
  /** last evaluated before the NodePools were listed: no capacity plan yet */
  evaluatedWithoutNodePools?: boolean;
}

/** The nodeclasses offering one subnet to others' overlap checks, and the two first by name. */
interface SubnetPeers {
  members: Map<string, PeerSubnet>;
  /** the two smallest nodeclass names, or undefined when a removal made them stale */
  first: string[] | undefined;
}

export class NodeClassRecords implements LossyWriteStore {
  private readonly records = new Map<string, NodeClassRecord>();
  /**
   * Peers by subnet. Every reconcile asks for one peer per subnet: walking all records instead made the
   * first report of 1,000 nodeclasses quadratic (a visible share of its CPU and garbage).
   */
  private readonly peersBySubnet = new Map<string, SubnetPeers>();

  get size(): number {
    return this.records.size;
  }

  peek(name: string): NodeClassRecord | undefined {
    return this.records.get(name);
  }

  /** The record of `name`, created empty on first use. */
  of(name: string): NodeClassRecord {
    let r = this.records.get(name);
    if (r === undefined) {
      r = {};
      this.records.set(name, r);
    }
    return r;
  }

  forget(name: string): void {
    this.setPeer(name, undefined);
    this.records.delete(name);
  }

  /** What `name` offers others' overlap checks now (undefined: nothing, e.g. its subnet is not valid). */
  setPeer(name: string, peer: PeerSubnet | undefined): void {
    const record = this.records.get(name);
    const before = record?.peer;
    if (before !== undefined && before.subnetCanonical !== peer?.subnetCanonical) {
      const group = this.peersBySubnet.get(before.subnetCanonical);
      group?.members.delete(name);
      if (group && group.members.size === 0) this.peersBySubnet.delete(before.subnetCanonical);
      else if (group?.first?.includes(name)) group.first = undefined;
    }
    if (peer === undefined) {
      if (record) delete record.peer;
      return;
    }
    this.of(name).peer = peer;
    let group = this.peersBySubnet.get(peer.subnetCanonical);
    if (!group) this.peersBySubnet.set(peer.subnetCanonical, (group = { members: new Map(), first: [] }));
    const isNew = !group.members.has(name);
    group.members.set(name, peer);
    if (isNew && group.first !== undefined) {
      group.first = [...group.first, name].sort().slice(0, 2);
    }
  }

  /**
   * One peer per subnet for `name`'s overlap checks: the first nodeclass by name on each subnet other
   * than `name` itself (a stable choice, so the condition message names the same class every time).
   */
  peerCandidates(name: string): PeerSubnet[] {
    const out: PeerSubnet[] = [];
    for (const group of this.peersBySubnet.values()) {
      group.first ??= [...group.members.keys()].sort().slice(0, 2);
      const pick = group.first[0] === name ? group.first[1] : group.first[0];
      const peer = pick === undefined ? undefined : group.members.get(pick);
      if (peer) out.push(peer);
    }
    return out;
  }

  names(): IterableIterator<string> {
    return this.records.keys();
  }

  /** Subnets and VNets in use, so the caches can drop the rest. */
  inUse(): { vnets: Set<string>; subnets: Set<string>; networkResources: Set<string> } {
    const vnets = new Set<string>();
    const subnets = new Set<string>();
    const networkResources = new Set<string>();
    for (const r of this.records.values()) {
      for (const id of r.networkResources ?? []) networkResources.add(id.toLowerCase());
      if (!r.subnet) continue;
      vnets.add(r.subnet.vnetCanonical);
      subnets.add(r.subnet.canonical);
    }
    return { vnets, subnets, networkResources };
  }

  // LossyWriteStore: the status writer's per-object memory lives in the record
  get(name: string): LossyWrite | undefined {
    return this.records.get(name)?.lossyWrite;
  }
  set(name: string, value: LossyWrite): void {
    this.of(name).lossyWrite = value;
  }
  delete(name: string): void {
    const r = this.records.get(name);
    if (r) delete r.lossyWrite;
  }
}
