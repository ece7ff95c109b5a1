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
}

export class NodeClassRecords implements LossyWriteStore {
  private readonly records = new Map<string, NodeClassRecord>();

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
    this.records.delete(name);
  }

  names(): IterableIterator<string> {
    return this.records.keys();
  }

  *peers(): Generator<PeerSubnet> {
    for (const r of this.records.values()) if (r.peer) yield r.peer;
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
