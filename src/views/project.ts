/**
 * What the view resources should say: a NodeClassHealth per nodeclass from its report, and a
 * SubnetHealth per subnet in use aggregating the nodeclasses on it. Pure: the writer compares these
 * with what is stored and writes only differences.
 */
import { createHash } from "node:crypto";
import { AKSNODECLASS, CONDITION_DOMAIN } from "../domain.js";
import { peerOf } from "../health/peers.js";
import { nodeClassReport, type NodeClassReport } from "../health/report.js";
import type { AccessObservation, ConditionStatus, EvaluationResult } from "../health/types.js";

/** Label naming the operator scope (its --nodeclass-selector) that owns a view object. */
export const SCOPE_LABEL = `${CONDITION_DOMAIN}/scope`;

/** One operator's objects: "all", or a short hash of its --nodeclass-selector (shards never touch each other's). */
export function viewScope(nodeclassSelector: string | undefined): string {
  if (!nodeclassSelector) return "all";
  return `sel-${createHash("sha256").update(nodeclassSelector).digest("hex").slice(0, 12)}`;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** A view object as the operator wants it: its name, owners and status. */
export interface DesiredView<S> {
  name: string;
  owners: OwnerReference[];
  status: S;
}

export interface NodeClassHealthStatus {
  nodeClass: string;
  subnetID?: string;
  subnet?: string;
  subscription?: string;
  resourceGroup?: string;
  vnet?: string;
  source: string;
  ready: ConditionStatus;
  reason: string;
  message: string;
  verdict: string;
  freeIPs?: number;
  totalIPs?: number;
  usedIPs?: number;
  utilizationPercent?: number;
  nodeHeadroom?: number;
  dataTime?: string;
  accessApproach?: string;
  outboundCheck?: string;
  subnetHealth?: string;
  observedGeneration: number;
}

export interface SubnetHealthStatus {
  subnetID: string;
  subscription: string;
  resourceGroup: string;
  vnet: string;
  subnet: string;
  addressPrefixes?: string[];
  prefixes?: string;
  totalIPs?: number;
  usedIPs?: number;
  freeIPs?: number;
  utilizationPercent?: number;
  nodeHeadroom?: number;
  dataTime?: string;
  nodeClassCount: number;
  nodeClasses: string[];
  ready: ConditionStatus;
  reason: string;
}

/** The nodeclass as the view code needs it: its report plus identity and subnet facts. */
export interface NodeClassViewInput {
  report: NodeClassReport;
  uid: string;
  generation: number;
  /** canonical (lower-case) subnet ID when it parsed */
  subnetCanonical: string | undefined;
  /** the subnet's prefixes when known */
  addressPrefixes: string[] | undefined;
  /** the SubnetConnectivity verdict, when the connectivity check runs */
  outboundCheck: string | undefined;
}

/** Condition type of the outbound-path / NSG / route check, when the operator runs it. */
const CONNECTIVITY_TYPE = `${CONDITION_DOMAIN}/SubnetConnectivity`;

/**
 * The view input of one evaluation. `result.subnetHealth` must be what the status write carries (numbers
 * held back by the status throttle), so the views never move faster than the nodeclass's own status.
 */
export function viewInputOf(
  name: string,
  uid: string,
  generation: number,
  result: EvaluationResult,
  access: AccessObservation | undefined,
): NodeClassViewInput {
  const outbound = result.conditions.find((c) => (c.type as string) === CONNECTIVITY_TYPE);
  return {
    report: nodeClassReport(name, result, access),
    uid,
    generation,
    subnetCanonical: result.subnet?.canonical,
    addressPrefixes: peerOf(name, result)?.addressPrefixes,
    outboundCheck: outbound?.reason,
  };
}

const DNS_LABEL_SAFE = /[^a-z0-9-]+/g;

function part(s: string, max: number): string {
  const cleaned = s.toLowerCase().replace(DNS_LABEL_SAFE, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
  return (cleaned.slice(0, max).replace(/-$/, "") || "x").replace(/^-/, "");
}

/**
 * `<vnet>.<subnet>.<hash>`: readable in `kubectl get`, valid as a DNS subdomain whatever Azure allows in
 * names (underscores, dots, upper case), stable across restarts, and unique per subnet ID (case-insensitive,
 * as ARM IDs are) and operator scope: equal names in other resource groups or subscriptions differ by hash.
 */
export function subnetHealthName(subnetCanonical: string, vnet: string, subnet: string, scope: string): string {
  const hash = createHash("sha256")
    .update(scope === "all" ? subnetCanonical : `${subnetCanonical}|${scope}`)
    .digest("hex")
    .slice(0, 10);
  return `${part(vnet, 64)}.${part(subnet, 80)}.${hash}`;
}

function ownerOf(name: string, uid: string): OwnerReference {
  return { apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`, kind: AKSNODECLASS.kind, name, uid };
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function nodeClassHealthView(v: NodeClassViewInput, scope: string): DesiredView<NodeClassHealthStatus> {
  const r = v.report;
  const subnetHealth =
    v.subnetCanonical && r.vnet && r.subnet
      ? subnetHealthName(v.subnetCanonical, r.vnet, r.subnet.slice(r.vnet.length + 1), scope)
      : undefined;
  return {
    name: r.name,
    owners: [ownerOf(r.name, v.uid)],
    status: defined<NodeClassHealthStatus>({
      nodeClass: r.name,
      subnetID: r.subnetID,
      subnet: r.subnet,
      subscription: r.subscription,
      resourceGroup: r.resourceGroup,
      vnet: r.vnet,
      source: r.source,
      ready: r.ready,
      reason: r.reason,
      message: r.message,
      verdict: r.verdict,
      freeIPs: r.freeIPs,
      totalIPs: r.totalIPs,
      usedIPs: r.usedIPs,
      utilizationPercent: r.utilizationPercent,
      nodeHeadroom: r.nodeHeadroom,
      dataTime: r.dataTime,
      accessApproach: r.accessApproach,
      outboundCheck: v.outboundCheck,
      subnetHealth,
      observedGeneration: v.generation,
    }),
  };
}

const READY_RANK: Record<ConditionStatus, number> = { False: 0, Unknown: 1, True: 2 };

/**
 * One SubnetHealth per subnet in use. Numbers come from the nodeclass whose data is newest (they all
 * read the same VNet snapshot; a nodeclass's stored numbers may lag by the status throttle); node
 * headroom is the smallest of the nodeclasses (it depends on each class's maxPods); Ready and its
 * reason are the worst nodeclass's.
 */
export function subnetHealthViews(
  inputs: Iterable<NodeClassViewInput>,
  scope: string,
): Map<string, DesiredView<SubnetHealthStatus>> {
  const groups = new Map<string, NodeClassViewInput[]>();
  for (const v of inputs) {
    const r = v.report;
    if (!v.subnetCanonical || !r.vnet || !r.subnet || !r.subscription || !r.resourceGroup) continue;
    const name = subnetHealthName(v.subnetCanonical, r.vnet, r.subnet.slice(r.vnet.length + 1), scope);
    const list = groups.get(name) ?? [];
    list.push(v);
    groups.set(name, list);
  }
  const out = new Map<string, DesiredView<SubnetHealthStatus>>();
  for (const [name, members] of groups) {
    members.sort((a, b) => a.report.name.localeCompare(b.report.name));
    const first = members[0];
    if (!first) continue;
    const fr = first.report;
    const newest = [...members]
      .filter((m) => m.report.totalIPs !== undefined)
      .sort((a, b) => (b.report.dataTime ?? "").localeCompare(a.report.dataTime ?? ""))[0]?.report;
    const worst = [...members].sort(
      (a, b) => READY_RANK[a.report.ready] - READY_RANK[b.report.ready] || a.report.name.localeCompare(b.report.name),
    )[0]?.report;
    const headrooms = members.map((m) => m.report.nodeHeadroom).filter((h): h is number => h !== undefined);
    const prefixes = members.find((m) => m.addressPrefixes && m.addressPrefixes.length > 0)?.addressPrefixes;
    out.set(name, {
      name,
      owners: members.map((m) => ownerOf(m.report.name, m.uid)),
      status: defined<SubnetHealthStatus>({
        subnetID: fr.subnetID ?? "",
        subscription: fr.subscription ?? "",
        resourceGroup: fr.resourceGroup ?? "",
        vnet: fr.vnet ?? "",
        subnet: (fr.subnet ?? "").slice((fr.vnet ?? "").length + 1),
        addressPrefixes: prefixes,
        prefixes: prefixes?.join(","),
        totalIPs: newest?.totalIPs,
        usedIPs: newest?.usedIPs,
        freeIPs: newest?.freeIPs,
        utilizationPercent: newest?.utilizationPercent,
        nodeHeadroom: headrooms.length > 0 ? Math.min(...headrooms) : undefined,
        dataTime: newest?.dataTime,
        nodeClassCount: members.length,
        nodeClasses: members.map((m) => m.report.name),
        ready: worst?.ready ?? "Unknown",
        reason: worst?.reason ?? "",
      }),
    });
  }
  return out;
}
