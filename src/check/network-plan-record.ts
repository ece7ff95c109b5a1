/**
 * The network plan record (`check --report markdown`): a readable record of the cluster's network
 * design for the repository of the team that owns it. Cluster CIDRs and CNI mode; every nodeclass →
 * subnet → VNet; per subnet its prefixes, free IPs and the IPs its NodePools need at their limits,
 * Karpenter's access approach and the outbound path; then the findings.
 *
 * Pure, and stable: everything is sorted by name or ID and nothing depends on the clock, so a diff
 * between two runs shows what changed in the network, not in the tool.
 */
import { approachLabel } from "../health/access/condition.js";
import { cniMode, ipsPerNode, type CniMode } from "../health/capacity.js";
import { planSubnets, type PlanEntry } from "../health/capacity-plan/plan-subnets.js";
import type { SubnetPlan } from "../health/capacity-plan/subnet-plan.js";
import type { NodePoolDemand, NodePoolInput } from "../health/capacity-plan/types.js";
import { severityOf } from "../health/concerns.js";
import type {
  AccessObservation,
  ClusterNetwork,
  ConditionResult,
  SubnetProperties,
  SubnetRef,
  SubnetSource,
  VNetObservation,
} from "../health/types.js";

export interface RecordNodeClass {
  name: string;
  source: SubnetSource;
  /** the subnet ID in force (spec or default), as given; undefined when there is none */
  subnetID: string | undefined;
  /** the parsed subnet; undefined when the ID is invalid */
  subnet: SubnetRef | undefined;
  maxPods: number | undefined;
  /** the evaluation's conditions (summary first) */
  conditions: readonly ConditionResult[];
  access: AccessObservation;
  vnet: VNetObservation | undefined;
  /** Karpenter nodes of this nodeclass now (0 for manifests) */
  currentNodes: number;
  /** usable and used IPs from the evaluation, when known */
  capacity: { total: number; used: number; free: number } | undefined;
}

export interface NetworkPlanRecordInput {
  /** the heading: the cluster's name, or what was checked */
  title: string;
  network: ClusterNetwork | undefined;
  /** where the network plan came from ("managed cluster", "flags", …) */
  networkSource: string;
  nodeClasses: readonly RecordNodeClass[];
  nodePools: readonly NodePoolInput[];
}

const MODE_TEXT: Record<CniMode, string> = {
  "azure-node-subnet": "Azure CNI, pods on the node subnet",
  "azure-overlay": "Azure CNI Overlay",
  "azure-pod-subnet": "Azure CNI with a pod subnet",
  kubenet: "kubenet",
  none: "bring your own CNI",
  other: "unrecognised network plugin",
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A table cell: no pipes or line breaks to break the table. */
function cell(text: string | number | undefined): string {
  if (text === undefined || text === "") return "—";
  return String(text)
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ");
}

function table(header: string[], rows: Array<Array<string | number | undefined>>): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

function subnetOf(vnet: VNetObservation | undefined, ref: SubnetRef): SubnetProperties | undefined {
  const snapshot = vnet?.kind === "ok" ? vnet.snapshot : vnet?.kind === "unavailable" ? vnet.lastGood : undefined;
  return snapshot?.subnets.get(ref.subnet.toLowerCase());
}

function addressSpaceOf(vnet: VNetObservation | undefined): string[] | undefined {
  const snapshot = vnet?.kind === "ok" ? vnet.snapshot : vnet?.kind === "unavailable" ? vnet.lastGood : undefined;
  return snapshot?.addressSpace;
}

function lastSegment(id: string | undefined): string | undefined {
  return id
    ?.split("/")
    .filter((s) => s !== "")
    .at(-1);
}

/** How nodes in the subnet reach the internet, as far as the subnet itself says. */
function outboundPath(subnet: SubnetProperties | undefined): string | undefined {
  if (subnet === undefined) return undefined;
  if (subnet.natGatewayId !== undefined) return `NAT gateway ${lastSegment(subnet.natGatewayId) ?? ""}`;
  if (subnet.routeTableId !== undefined) {
    return `route table ${lastSegment(subnet.routeTableId) ?? ""} (user-defined routes decide the next hop)`;
  }
  return "the cluster's outbound (no NAT gateway or route table on the subnet)";
}

function accessText(obs: AccessObservation): string {
  switch (obs.kind) {
    case "ok":
      return approachLabel(obs.evaluation.approach);
    case "unavailable":
      return obs.last !== undefined
        ? `${approachLabel(obs.last.approach)} (last known)`
        : "unknown (Azure did not answer)";
    case "forbidden":
      return "unknown (the operator may not read role assignments)";
    case "disabled":
      return "not checked";
    case "pending":
      return "not checked";
  }
}

function worstCaseText(d: NodePoolDemand): [string, string] {
  switch (d.worstCase.kind) {
    case "bounded":
      return [`${d.worstCase.nodes}`, d.worstCase.detail];
    case "unbounded":
      return ["no limit", d.worstCase.why];
    case "no-instance":
      return ["0", `no instance type fits: ${d.worstCase.why}`];
  }
}

function verdictText(plan: SubnetPlan): string {
  switch (plan.verdict) {
    case "fits":
      return plan.unbounded.length > 0 ? "fits (NodePools without limits fit even at AKS's node maximum)" : "fits";
    case "short":
      return `**${plan.shortfall ?? 0} IPs short**`;
    case "unbounded":
      return `cannot be planned: NodePool${plan.unbounded.length === 1 ? "" : "s"} ${plan.unbounded.join(", ")} set${plan.unbounded.length === 1 ? "s" : ""} no limit`;
    case "unknown":
      return `unknown: ${plan.unknownWhy ?? ""}`;
    case "no-nodepools":
      return "no NodePool uses it";
  }
}

/** Our conditions worth a line in the findings: anything not plainly healthy, summary excluded. */
function findingsOf(nc: RecordNodeClass): ConditionResult[] {
  return nc.conditions
    .slice(1)
    .filter((c) => c.status !== "True" || severityOf(c).severity !== "ok")
    .filter((c) => c.reason !== "SubnetUnavailable");
}

function shortType(type: string): string {
  return type.slice(type.indexOf("/") + 1);
}

export function renderNetworkPlanRecord(input: NetworkPlanRecordInput): string {
  const nodeClasses = [...input.nodeClasses].sort((a, b) => cmp(a.name, b.name));
  const nodePools = [...input.nodePools].sort((a, b) => cmp(a.name, b.name));
  const network = input.network;
  const entries: PlanEntry[] = nodeClasses.map((nc) => ({
    nodeClass: nc.name,
    maxPods: nc.maxPods,
    subnet: nc.subnet !== undefined ? { canonical: nc.subnet.canonical, name: nc.subnet.subnet } : undefined,
    prefixes: nc.subnet !== undefined ? (subnetOf(nc.vnet, nc.subnet)?.addressPrefixes ?? []) : [],
    capacity: nc.capacity,
    currentNodes: nc.currentNodes,
  }));
  const plans = planSubnets(entries, nodePools, network);
  const out: string[] = [];

  out.push(`# Network plan: ${input.title}`, "");
  out.push(
    "Written by `aks-subnet-health check --report markdown`. Everything is sorted by name, so a diff between two records shows what changed.",
    "",
  );

  out.push("## Cluster network", "");
  const mode = network !== undefined ? cniMode(network) : undefined;
  const plugin =
    network === undefined
      ? "unknown"
      : `${mode !== undefined ? MODE_TEXT[mode] : "unknown"} (plugin ${network.networkPlugin ?? "unset"}${network.networkPluginMode ? `, mode ${network.networkPluginMode}` : ""})`;
  out.push(
    ...table(
      ["Setting", "Value"],
      [
        ["Network plugin", plugin],
        ["Dataplane", network?.networkDataplane],
        ["Network policy", network?.networkPolicy],
        ["Pod CIDRs", network?.podCidrs.join(", ")],
        ["Service CIDRs", network?.serviceCidrs.join(", ")],
        ["DNS service IP", network?.dnsServiceIP],
        ["Load balancer SKU", network?.loadBalancerSku],
        ["Default maxPods", network?.defaultMaxPods],
        ["Read from", input.networkSource],
      ],
    ),
    "",
  );

  out.push("## Nodeclasses", "");
  out.push(
    ...table(
      ["Nodeclass", "Subnet", "VNet", "Resource group", "Subscription", "From", "maxPods", "IPs per node", "NodePools"],
      nodeClasses.map((nc) => {
        const perNode = ipsPerNode(nc.maxPods, network);
        const pools = nodePools.filter((p) => p.nodeClass === nc.name).map((p) => p.name);
        return [
          `\`${nc.name}\``,
          nc.subnet?.subnet ?? (nc.subnetID !== undefined ? "invalid ID" : "none"),
          nc.subnet?.vnet,
          nc.subnet?.resourceGroup,
          nc.subnet?.subscriptionId,
          nc.source === "spec" ? "spec.vnetSubnetID" : "default subnet",
          perNode !== undefined ? `${perNode.maxPods} (${perNode.maxPodsSource})` : nc.maxPods,
          perNode?.ips,
          pools.join(", "),
        ];
      }),
    ),
    "",
  );

  out.push("## Subnets", "");
  if (plans.size === 0) out.push("No nodeclass resolves to a valid subnet.", "");
  for (const [canonical, plan] of plans) {
    const users = nodeClasses.filter((nc) => nc.subnet?.canonical === canonical);
    const first = users[0];
    if (first?.subnet === undefined) continue;
    const ref = first.subnet;
    const props = subnetOf(first.vnet, ref);
    const capacity = users.find((u) => u.capacity !== undefined)?.capacity;
    out.push(`### ${ref.vnet}/${ref.subnet}`, "");
    out.push(
      ...table(
        ["Property", "Value"],
        [
          ["ID", `\`${ref.id}\``],
          ["Prefixes", props?.addressPrefixes.join(", ")],
          ["VNet address space", addressSpaceOf(first.vnet)?.join(", ")],
          [
            "Usable / used / free IPs",
            capacity !== undefined ? `${capacity.total} / ${capacity.used} / ${capacity.free}` : "unknown",
          ],
          [
            "IPs needed at NodePool limits",
            plan.verdict === "no-nodepools" || plan.neededAtLimits === undefined
              ? verdictText(plan)
              : plan.verdict === "unbounded"
                ? `${plan.neededAtLimits} for the NodePools with limits; ${verdictText(plan)}`
                : `${plan.neededAtLimits}: ${verdictText(plan)}`,
          ],
          ["Nodeclasses", users.map((u) => `\`${u.name}\``).join(", ")],
          ["Karpenter's access", accessText(first.access)],
          ["Outbound path", outboundPath(props)],
          [
            "Network security group",
            props !== undefined ? (lastSegment(props.networkSecurityGroupId) ?? "none") : undefined,
          ],
          ["Delegations", props !== undefined ? props.delegations.join(", ") || "none" : undefined],
        ],
      ),
      "",
    );
    if (plan.nodePools.length > 0) {
      out.push(
        ...table(
          ["NodePool", "Nodeclass", "Worst-case nodes", "Bound by", "IPs per node", "IPs at limits"],
          plan.nodePools.map((d) => {
            const [nodes, by] = worstCaseText(d);
            return [`\`${d.nodePool}\``, `\`${d.nodeClass}\``, nodes, by, d.ipsPerNode, d.ipsAtLimits];
          }),
        ),
        "",
      );
    }
  }

  const orphans = nodePools.filter(
    (p) => p.nodeClass !== undefined && !nodeClasses.some((nc) => nc.name === p.nodeClass),
  );
  const findings: string[] = [];
  for (const nc of nodeClasses) {
    for (const c of findingsOf(nc)) {
      findings.push(`- \`${nc.name}\` ${shortType(c.type)} ${c.status} ${c.reason}: ${c.message}`);
    }
  }
  for (const p of orphans) {
    findings.push(`- NodePool \`${p.name}\` uses nodeclass \`${p.nodeClass ?? ""}\`, which was not checked.`);
  }
  out.push("## Findings", "");
  out.push(...(findings.length > 0 ? findings : ["None."]), "");
  return `${out.join("\n").trimEnd()}\n`;
}
