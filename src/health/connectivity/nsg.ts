/**
 * A static evaluator of Azure network security groups with Azure's own semantics: rules of one
 * direction in priority order (lowest number first), the first rule that matches a packet decides,
 * Azure's six default rules last. Matches use service tags (VirtualNetwork, AzureLoadBalancer,
 * Internet, AzureCloud), address prefixes, port ranges and protocols.
 *
 * What nodes need is a set of packets, not one packet (e.g. "TCP 443 to any AzureCloud address"), so
 * every match is three-valued: a rule matches all, some or none of the set. The first rule matching
 * all of it decides for whatever earlier rules left undecided; earlier partial matches are reported as
 * "partly". Unknowable parts (membership of application security groups, the exact AzureCloud ranges)
 * count as "some": never a definite verdict we cannot stand behind.
 *
 * Written here because no maintained library evaluates NSG rules offline; Azure's own Network Watcher
 * "IP flow verify" needs a running VM.
 */
import { parseCidr, parseIp, type Cidr } from "../cidr.js";
import type { SecurityRuleData, RuleDirection } from "./types.js";

export type Match = "none" | "some" | "all";

/** The far side of a flow, as a set of addresses. */
export type Endpoint =
  /** addresses of the VNet (and of the subnet, which lies inside it) */
  | { kind: "vnet"; prefixes: string[] }
  /** public Azure addresses: the API server's public endpoint, ARM, Entra ID, MCR */
  | { kind: "azure-cloud" }
  /** the platform's 168.63.129.16 (load-balancer health probes, DHCP, DNS) */
  | { kind: "azure-load-balancer" };

export interface Flow {
  /** stable key for metrics and tests */
  id: string;
  /** how messages name the flow, e.g. "outbound TCP 443 to AzureCloud (API server)" */
  label: string;
  direction: RuleDirection;
  protocol: "Tcp" | "Udp" | "*";
  remote: Endpoint;
  /** destination port, or every port */
  port: number | "all";
}

export type FlowOutcome = "allowed" | "denied" | "partly-denied";

export interface FlowVerdict {
  flow: Flow;
  outcome: FlowOutcome;
  /** the first rule that matched the whole flow (always exists: the default rules match everything) */
  decidedBy: SecurityRuleData;
  /** rules of the other access that matched part of the flow before `decidedBy` */
  partly: SecurityRuleData[];
}

const defaultRule = (
  name: string,
  priority: number,
  direction: RuleDirection,
  access: "Allow" | "Deny",
  source: string,
  destination: string,
): SecurityRuleData => ({
  name,
  priority,
  direction,
  access,
  protocol: "*",
  sourceAddressPrefixes: [source],
  destinationAddressPrefixes: [destination],
  sourcePortRanges: ["*"],
  destinationPortRanges: ["*"],
  sourceApplicationSecurityGroups: false,
  destinationApplicationSecurityGroups: false,
  isDefault: true,
});

/** Azure's default security rules: present in every NSG, cannot be changed, lowest precedence. */
export const DEFAULT_SECURITY_RULES: readonly SecurityRuleData[] = [
  defaultRule("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
  defaultRule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
  defaultRule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
  defaultRule("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
  defaultRule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
  defaultRule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
];

const AZURE_PLATFORM_IP = parseIp("168.63.129.16");
/** Ranges that are never public Azure addresses. */
const NON_PUBLIC = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"]
  .map(parseCidr)
  .filter((c): c is Cidr => c !== undefined);

export function combine(...ms: Match[]): Match {
  if (ms.includes("none")) return "none";
  return ms.every((m) => m === "all") ? "all" : "some";
}

/** The best match of any entry of a list (a rule with several prefixes matches their union). */
function any(ms: Match[]): Match {
  if (ms.includes("all")) return "all";
  return ms.includes("some") ? "some" : "none";
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family && outer.prefix <= inner.prefix && inner.network.match(outer.network, outer.prefix)
  );
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && (contains(a, b) || contains(b, a));
}

/** A CIDR, or a bare IP as a host route; undefined for service tags and junk. */
export function prefixAsCidr(text: string): Cidr | undefined {
  const t = text.trim();
  const c = parseCidr(t);
  if (c !== undefined) return c;
  const ip = parseIp(t);
  if (ip === undefined) return undefined;
  return parseCidr(`${ip.toString()}/${ip.kind() === "ipv4" ? 32 : 128}`);
}

function cidrsMatch(rule: Cidr, prefixes: readonly string[]): Match {
  const targets = prefixes.map(prefixAsCidr).filter((c): c is Cidr => c !== undefined);
  if (targets.length === 0) return "none";
  if (targets.every((t) => contains(rule, t))) return "all";
  return targets.some((t) => overlaps(rule, t)) ? "some" : "none";
}

/** How much of `endpoint` one address prefix of a rule ("*", CIDR, IP or service tag) covers. */
export function prefixMatch(rulePrefix: string, endpoint: Endpoint): Match {
  const text = rulePrefix.trim();
  if (text === "*") return "all";
  const cidr = prefixAsCidr(text);
  if (cidr !== undefined) {
    switch (endpoint.kind) {
      case "vnet":
        return cidrsMatch(cidr, endpoint.prefixes);
      case "azure-load-balancer":
        return AZURE_PLATFORM_IP !== undefined &&
          cidr.family === "ipv4" &&
          AZURE_PLATFORM_IP.match(cidr.network, cidr.prefix)
          ? "all"
          : "none";
      case "azure-cloud":
        if (cidr.family !== "ipv4") return "none";
        if (cidr.prefix === 0) return "all";
        // which public ranges belong to AzureCloud changes weekly: a public range covers "some" of it
        return NON_PUBLIC.some((p) => contains(p, cidr)) ? "none" : "some";
    }
  }
  const tag = text.toLowerCase();
  switch (endpoint.kind) {
    case "vnet":
      return tag === "virtualnetwork" ? "all" : "none";
    case "azure-load-balancer":
      return tag === "azureloadbalancer" ? "all" : "none";
    case "azure-cloud":
      if (tag === "internet" || tag === "azurecloud") return "all";
      if (tag === "virtualnetwork" || tag === "azureloadbalancer") return "none";
      // AzureCloud.<region> and the service tags (AzureContainerRegistry, AzureActiveDirectory, …) are parts of it
      return "some";
  }
}

/** The node's own side of a rule: the subnet lies in VirtualNetwork, '*' and any CIDR holding it. */
function nodeSideMatch(prefixes: readonly string[], subnetPrefixes: readonly string[], usesAsg: boolean): Match {
  // Karpenter's NICs are in no application security group: an ASG-only side never matches them
  if (usesAsg && prefixes.length === 0) return "none";
  return any(prefixes.map((p) => prefixMatch(p, { kind: "vnet", prefixes: [...subnetPrefixes] })));
}

function remoteSideMatch(prefixes: readonly string[], remote: Endpoint, usesAsg: boolean): Match {
  const fromPrefixes = any(prefixes.map((p) => prefixMatch(p, remote)));
  // members of an ASG are NICs inside the VNet: they may be part of a VNet endpoint, never all of it
  const fromAsg: Match = usesAsg && remote.kind === "vnet" ? "some" : "none";
  return any([fromPrefixes, fromAsg]);
}

type PortRange = { from: number; to: number };

export function parsePortRange(text: string): PortRange | undefined {
  const t = text.trim();
  if (t === "*") return { from: 0, to: 65535 };
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(t);
  if (m === null) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535 || from > to) return undefined;
  return { from, to };
}

export function portMatch(ranges: readonly string[], port: number | "all"): Match {
  const parsed = ranges.map(parsePortRange).filter((r): r is PortRange => r !== undefined);
  if (port === "all") {
    if (parsed.some((r) => r.from === 0 && r.to === 65535)) return "all";
    return parsed.length > 0 ? "some" : "none";
  }
  return parsed.some((r) => r.from <= port && port <= r.to) ? "all" : "none";
}

/** Flows come from ephemeral source ports: only "*" (or 0-65535) matches all of them. */
function sourcePortMatch(ranges: readonly string[]): Match {
  return portMatch(ranges, "all");
}

export function protocolMatch(ruleProtocol: string, flowProtocol: Flow["protocol"]): Match {
  const r = ruleProtocol.trim().toLowerCase();
  if (r === "*" || r === "any") return "all";
  if (flowProtocol === "*") return "some";
  return r === flowProtocol.toLowerCase() ? "all" : "none";
}

/** How much of `flow` (from or to a node in a subnet with `subnetPrefixes`) the rule matches. */
export function ruleMatch(rule: SecurityRuleData, flow: Flow, subnetPrefixes: readonly string[]): Match {
  if (rule.direction !== flow.direction) return "none";
  const outbound = flow.direction === "Outbound";
  const node = outbound
    ? nodeSideMatch(rule.sourceAddressPrefixes, subnetPrefixes, rule.sourceApplicationSecurityGroups)
    : nodeSideMatch(rule.destinationAddressPrefixes, subnetPrefixes, rule.destinationApplicationSecurityGroups);
  const remote = outbound
    ? remoteSideMatch(rule.destinationAddressPrefixes, flow.remote, rule.destinationApplicationSecurityGroups)
    : remoteSideMatch(rule.sourceAddressPrefixes, flow.remote, rule.sourceApplicationSecurityGroups);
  return combine(
    protocolMatch(rule.protocol, flow.protocol),
    node,
    remote,
    sourcePortMatch(rule.sourcePortRanges),
    portMatch(rule.destinationPortRanges, flow.port),
  );
}

/** Custom rules then Azure's defaults, in the order Azure applies them. */
export function orderedRules(custom: readonly SecurityRuleData[], direction: RuleDirection): SecurityRuleData[] {
  const mine = custom.filter((r) => r.direction === direction).sort((a, b) => a.priority - b.priority);
  return [...mine, ...DEFAULT_SECURITY_RULES.filter((r) => r.direction === direction)];
}

export function evaluateFlow(
  custom: readonly SecurityRuleData[],
  flow: Flow,
  subnetPrefixes: readonly string[],
): FlowVerdict {
  const partlyAllow: SecurityRuleData[] = [];
  const partlyDeny: SecurityRuleData[] = [];
  for (const rule of orderedRules(custom, flow.direction)) {
    const m = ruleMatch(rule, flow, subnetPrefixes);
    if (m === "none") continue;
    if (m === "some") {
      (rule.access === "Allow" ? partlyAllow : partlyDeny).push(rule);
      continue;
    }
    if (rule.access === "Allow") return { flow, outcome: "allowed", decidedBy: rule, partly: partlyDeny };
    return {
      flow,
      outcome: partlyAllow.length > 0 ? "partly-denied" : "denied",
      decidedBy: rule,
      partly: partlyAllow,
    };
  }
  // unreachable: DenyAllInBound / DenyAllOutBound match every flow
  const last = DEFAULT_SECURITY_RULES.find((r) => r.direction === flow.direction && r.access === "Deny");
  if (last === undefined) throw new Error("default rules are missing a deny-all rule");
  return { flow, outcome: "denied", decidedBy: last, partly: [] };
}

/** What AKS nodes need from the NSG on their subnet. */
export function requiredFlows(opts: { vnetPrefixes: string[]; needsPublicAzure: boolean }): Flow[] {
  const vnet: Endpoint = { kind: "vnet", prefixes: opts.vnetPrefixes };
  const flows: Flow[] = [];
  if (opts.needsPublicAzure) {
    flows.push({
      id: "outbound-azurecloud-443",
      label: "outbound TCP 443 to AzureCloud (the API server and Azure services)",
      direction: "Outbound",
      protocol: "Tcp",
      remote: { kind: "azure-cloud" },
      port: 443,
    });
  }
  flows.push(
    {
      id: "outbound-vnet",
      label: "outbound traffic to the virtual network",
      direction: "Outbound",
      protocol: "*",
      remote: vnet,
      port: "all",
    },
    {
      id: "inbound-vnet",
      label: "inbound traffic from the virtual network",
      direction: "Inbound",
      protocol: "*",
      remote: vnet,
      port: "all",
    },
    {
      id: "inbound-azureloadbalancer",
      label: "inbound traffic from AzureLoadBalancer (health probes)",
      direction: "Inbound",
      protocol: "*",
      remote: { kind: "azure-load-balancer" },
      port: "all",
    },
  );
  return flows;
}

/** "rule 'deny-https' (priority 100)" or "default rule DenyAllOutBound (priority 65500)". */
export function describeRule(rule: SecurityRuleData): string {
  return rule.isDefault === true
    ? `default rule ${rule.name} (priority ${rule.priority})`
    : `rule '${rule.name}' (priority ${rule.priority})`;
}
