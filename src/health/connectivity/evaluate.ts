/**
 * SubnetConnectivity: will nodes created in this subnet be able to join? Four checks, each with its own
 * verdict (metrics label them), folded into one condition:
 *
 * - outbound: the path the cluster's outboundType needs (./outbound.ts);
 * - nsg: the subnet's NSG lets through what nodes need (./nsg.ts);
 * - routes: the route table keeps the VNet, pod and service ranges where they belong (./routes.ts);
 * - parity: NSG, route table and NAT gateway are the cluster subnet's (where nodes demonstrably join).
 *
 * False when a check fails (blocking), Unknown when one cannot be judged, True with an advisory reason
 * for warnings. The condition never carries numbers that move.
 */
import { parseSubnetId } from "../subnet-id.js";
import type { ClusterNetwork, ConditionResult, SubnetProperties, SubnetRef } from "../types.js";
import { describeRule, evaluateFlow, requiredFlows, type FlowVerdict } from "./nsg.js";
import { observed } from "./observed.js";
import { evaluateOutbound } from "./outbound.js";
import { ConnectivityReason, connectivityCondition } from "./reasons.js";
import { describeRoute, evaluateRoutes } from "./routes.js";
import type {
  ConnectivityCheck,
  ConnectivityCheckName,
  NatGatewayData,
  NsgData,
  ResourceObservation,
  RouteTableData,
} from "./types.js";

export interface ConnectivityInput {
  /** the nodeclass's subnet, when it parsed */
  ref: SubnetRef | undefined;
  /** its properties, when Azure returned them (fresh or last known) */
  subnet: SubnetProperties | undefined;
  /** the VNet's address space (empty when only the subnet could be read) */
  vnetAddressSpace: readonly string[];
  /** the cluster subnet (--vnet-subnet-id / the managed cluster's) and its properties when known */
  clusterSubnetID: string | undefined;
  clusterSubnet: SubnetProperties | undefined;
  /** pod and service CIDRs and the network plugin */
  network: ClusterNetwork | undefined;
  /** the cluster's outbound type (flag or managed cluster) */
  outboundType: string | undefined;
  /** observations of the resources the subnet points at; undefined when it points at none */
  nsg: ResourceObservation<NsgData> | undefined;
  routeTable: ResourceObservation<RouteTableData> | undefined;
  natGateway: ResourceObservation<NatGatewayData> | undefined;
}

export { ConnectivityReason };

export interface ConnectivityOutcome {
  condition: ConditionResult;
  checks: ConnectivityCheck[];
}

function consequence(v: FlowVerdict): string {
  switch (v.flow.id) {
    case "outbound-azurecloud-443":
      return "new nodes cannot reach the API server and never join";
    case "inbound-azureloadbalancer":
      return "load-balancer health probes to new nodes fail";
    default:
      return "new nodes cannot talk to other nodes, pods and the cluster's DNS";
  }
}

function nameOf(id: string): string {
  return (
    id
      .split("/")
      .filter((s) => s !== "")
      .pop() ?? id
  );
}

function nsgCheck(input: ConnectivityInput, subnet: SubnetProperties): ConnectivityCheck {
  const id = subnet.networkSecurityGroupId;
  if (id === undefined) {
    return {
      check: "nsg",
      result: "pass",
      reason: ConnectivityReason.NoNSG,
      message: `Subnet ${subnet.name} has no network security group.`,
    };
  }
  const nsg = observed(input.nsg, "network security group", id);
  if ("unknown" in nsg)
    return { check: "nsg", result: "unknown", reason: ConnectivityReason.NSGUnknown, message: nsg.unknown };
  const outbound = input.outboundType?.toLowerCase();
  const flows = requiredFlows({
    vnetPrefixes: input.vnetAddressSpace.length > 0 ? [...input.vnetAddressSpace] : subnet.addressPrefixes,
    // network-isolated clusters reach the API server privately, inside the VNet
    needsPublicAzure: outbound !== "none" && outbound !== "block",
  });
  const verdicts = flows.map((f) => evaluateFlow(nsg.data.securityRules, f, subnet.addressPrefixes));
  const rg = id.split("/")[4] ?? "<rg>";
  const denied = verdicts.filter((v) => v.outcome === "denied");
  if (denied.length > 0) {
    const lines = denied.map((v) => {
      const fix =
        v.decidedBy.isDefault === true
          ? "add an allow rule for it"
          : `\`az network nsg rule update -g ${rg} --nsg-name ${nsg.data.name} -n ${v.decidedBy.name} --access Allow\`, or add an allow rule with a lower priority number`;
      return `Allow ${v.flow.label} in network security group ${nsg.data.name} (${fix}): its ${describeRule(v.decidedBy)} denies it, so ${consequence(v)}.`;
    });
    return { check: "nsg", result: "fail", reason: ConnectivityReason.NSGDeniesNodeTraffic, message: lines.join(" ") };
  }
  const partly = verdicts.filter(
    (v) => v.outcome === "partly-denied" || (v.outcome === "allowed" && v.partly.length > 0),
  );
  if (partly.length > 0) {
    const lines = partly.map((v) => {
      const denyRules = v.outcome === "partly-denied" ? [v.decidedBy] : v.partly;
      return `Check that network security group ${nsg.data.name} lets ${v.flow.label} through where nodes need it: ${denyRules.map(describeRule).join(", ")} ${denyRules.length > 1 ? "deny" : "denies"} part of it.`;
    });
    return {
      check: "nsg",
      result: "warn",
      reason: ConnectivityReason.NSGPartlyDeniesNodeTraffic,
      message: lines.join(" "),
    };
  }
  return {
    check: "nsg",
    result: "pass",
    reason: ConnectivityReason.NSGAllowsNodeTraffic,
    message: `Network security group ${nsg.data.name} allows what nodes need.`,
  };
}

function routesCheck(input: ConnectivityInput, subnet: SubnetProperties): ConnectivityCheck {
  const id = subnet.routeTableId;
  if (id === undefined) {
    return {
      check: "routes",
      result: "pass",
      reason: ConnectivityReason.NoRouteTable,
      message: `Subnet ${subnet.name} has no route table.`,
    };
  }
  const rt = observed(input.routeTable, "route table", id);
  if ("unknown" in rt)
    return { check: "routes", result: "unknown", reason: ConnectivityReason.RoutesUnknown, message: rt.unknown };
  const findings = evaluateRoutes(rt.data.routes, {
    vnetPrefixes: input.vnetAddressSpace.length > 0 ? input.vnetAddressSpace : subnet.addressPrefixes,
    podCidrs: input.network?.podCidrs ?? [],
    serviceCidrs: input.network?.serviceCidrs ?? [],
    networkPlugin: input.network?.networkPlugin,
  });
  const [first] = findings;
  if (first === undefined) {
    return {
      check: "routes",
      result: "pass",
      reason: ConnectivityReason.RoutesKeepClusterTraffic,
      message: `Route table ${rt.data.name} keeps the cluster's ranges in the virtual network.`,
    };
  }
  const lines = findings.map((f) =>
    f.severity === "fail"
      ? `Remove or fix ${describeRoute(f.route)} in route table ${rt.data.name}: it sends the cluster's ${f.rangeKind} range ${f.range} to ${f.route.nextHopType}, so that traffic never arrives.`
      : `Check ${describeRoute(f.route)} in route table ${rt.data.name}: it sends the cluster's ${f.rangeKind} range ${f.range} through ${f.route.nextHopType}, which must pass it back symmetrically.`,
  );
  return {
    check: "routes",
    result: first.severity,
    reason:
      first.severity === "fail"
        ? ConnectivityReason.RouteDropsClusterTraffic
        : ConnectivityReason.RouteDivertsClusterTraffic,
    message: lines.join(" "),
  };
}

function parityCheck(input: ConnectivityInput, ref: SubnetRef, subnet: SubnetProperties): ConnectivityCheck {
  const cluster = input.clusterSubnetID !== undefined ? parseSubnetId(input.clusterSubnetID) : undefined;
  if (cluster?.ok === true && cluster.ref.canonical === ref.canonical) {
    return {
      check: "parity",
      result: "pass",
      reason: ConnectivityReason.SameAsClusterSubnet,
      message: `Subnet ${subnet.name} is the cluster subnet.`,
    };
  }
  const other = input.clusterSubnet;
  if (cluster?.ok !== true || other === undefined) {
    return {
      check: "parity",
      result: "skipped",
      reason: ConnectivityReason.ClusterSubnetUnknown,
      message: "The cluster subnet's settings are not known, so this subnet is not compared with it.",
    };
  }
  const show = (id: string | undefined): string => (id === undefined ? "none" : nameOf(id));
  const diffs: string[] = [];
  const compare = (what: string, mine: string | undefined, theirs: string | undefined): void => {
    if ((mine ?? "").toLowerCase() !== (theirs ?? "").toLowerCase())
      diffs.push(`${what} ${show(mine)} (cluster subnet: ${show(theirs)})`);
  };
  compare("network security group", subnet.networkSecurityGroupId, other.networkSecurityGroupId);
  compare("route table", subnet.routeTableId, other.routeTableId);
  compare("NAT gateway", subnet.natGatewayId, other.natGatewayId);
  if (diffs.length === 0) {
    return {
      check: "parity",
      result: "pass",
      reason: ConnectivityReason.SameAsClusterSubnet,
      message: `Subnet ${subnet.name} has the cluster subnet's network security group, route table and NAT gateway.`,
    };
  }
  return {
    check: "parity",
    result: "warn",
    reason: ConnectivityReason.DiffersFromClusterSubnet,
    message: `Check that subnet ${subnet.name} is meant to differ from the cluster subnet ${cluster.ref.subnet}, where nodes join: ${diffs.join("; ")}.`,
  };
}

const ORDER: readonly ConnectivityCheckName[] = ["outbound", "nsg", "routes", "parity"];

export function evaluateConnectivity(input: ConnectivityInput): ConnectivityOutcome {
  const { ref, subnet } = input;
  if (ref === undefined || subnet === undefined) {
    return {
      checks: [],
      condition: connectivityCondition(
        "Unknown",
        ConnectivityReason.ConnectivityNotChecked,
        "Connectivity is checked once the subnet can be read.",
      ),
    };
  }
  const clusterParse = input.clusterSubnetID !== undefined ? parseSubnetId(input.clusterSubnetID) : undefined;
  const isClusterSubnet = clusterParse?.ok === true && clusterParse.ref.canonical === ref.canonical;
  const checks: ConnectivityCheck[] = [
    evaluateOutbound({
      outboundType: input.outboundType,
      subnet: ref,
      isClusterSubnet,
      natGatewayId: subnet.natGatewayId,
      natGateway: input.natGateway,
      routeTableId: subnet.routeTableId,
      routeTable: input.routeTable,
      clusterNatGatewayId: input.clusterSubnet?.natGatewayId,
      clusterRouteTableId: input.clusterSubnet?.routeTableId,
    }),
    nsgCheck(input, subnet),
    routesCheck(input, subnet),
    parityCheck(input, ref, subnet),
  ];
  const sorted = [...checks].sort((a, b) => ORDER.indexOf(a.check) - ORDER.indexOf(b.check));
  const by = (r: ConnectivityCheck["result"]): ConnectivityCheck[] => sorted.filter((c) => c.result === r);
  const problems = [...by("fail"), ...by("unknown"), ...by("warn")];
  const message = problems.map((c) => c.message).join(" ");
  const [fail] = by("fail");
  if (fail !== undefined) return { checks, condition: connectivityCondition("False", fail.reason, message) };
  const [unknown] = by("unknown");
  if (unknown !== undefined) return { checks, condition: connectivityCondition("Unknown", unknown.reason, message) };
  const [warn] = by("warn");
  if (warn !== undefined) return { checks, condition: connectivityCondition("True", warn.reason, message) };
  const skipped = by("skipped").map((c) => c.message);
  return {
    checks,
    condition: connectivityCondition(
      "True",
      ConnectivityReason.ConnectivityChecked,
      [
        `Nodes in subnet ${subnet.name} can reach what they need to join.`,
        ...sorted.filter((c) => c.result === "pass").map((c) => c.message),
        ...skipped,
      ].join(" "),
    ),
  };
}
