/**
 * Route-table checks for the ranges a cluster needs inside Azure: the VNet's address space, the pod and
 * the service CIDRs. A user route wins over Azure's system route for the VNet when it is as specific or
 * more (longest prefix match; user routes beat system routes of equal length), so only such routes can
 * take VNet traffic away; the pod and service ranges have no system route, so any route overlapping them
 * applies (except the default route, which the outbound check judges).
 */
import { parseCidr, type Cidr } from "../cidr.js";
import type { RouteData } from "./types.js";

export type RangeKind = "virtual network" | "pod" | "service";

export interface RouteFinding {
  severity: "fail" | "warn";
  route: RouteData;
  rangeKind: RangeKind;
  range: string;
}

export interface RouteRanges {
  vnetPrefixes: readonly string[];
  podCidrs: readonly string[];
  serviceCidrs: readonly string[];
  /** kubenet keeps per-node pod routes (next hop: the node) in the route table on purpose */
  networkPlugin: string | undefined;
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family && outer.prefix <= inner.prefix && inner.network.match(outer.network, outer.prefix)
  );
}

function hop(route: RouteData): string {
  return route.nextHopType.toLowerCase();
}

function severityOf(route: RouteData): "fail" | "warn" | undefined {
  switch (hop(route)) {
    case "none": // traffic is dropped
    case "internet": // private ranges are not reachable on the Internet
      return "fail";
    case "virtualappliance":
    case "virtualnetworkgateway":
      return "warn";
    default: // VnetLocal and anything new: keeps traffic in the VNet
      return undefined;
  }
}

export function evaluateRoutes(routes: readonly RouteData[], ranges: RouteRanges): RouteFinding[] {
  const findings: RouteFinding[] = [];
  const parsed = (list: readonly string[]): Cidr[] =>
    list.map((t) => parseCidr(t)).filter((c): c is Cidr => c !== undefined);
  const vnet = parsed(ranges.vnetPrefixes);
  const pods = parsed(ranges.podCidrs);
  const services = parsed(ranges.serviceCidrs);
  const kubenet = (ranges.networkPlugin ?? "").toLowerCase() === "kubenet";
  for (const route of routes) {
    const p = parseCidr(route.addressPrefix);
    // service-tag routes and the default route are the outbound check's business
    if (p === undefined || p.prefix === 0) continue;
    const severity = severityOf(route);
    if (severity === undefined) continue;
    const hit = (kind: RangeKind, range: Cidr): void => {
      findings.push({ severity, route, rangeKind: kind, range: range.text });
    };
    const inVnet = vnet.find((r) => contains(r, p));
    if (inVnet !== undefined) {
      hit("virtual network", inVnet);
      continue;
    }
    // a wider route applies to a range only where no more specific system route (the VNet's) covers it
    const shadowed = (r: Cidr): boolean => vnet.some((v) => contains(v, r) && v.prefix > p.prefix);
    const overlapping = (list: Cidr[]): Cidr | undefined =>
      list.find((r) => contains(r, p) || (contains(p, r) && !shadowed(r)));
    const pod = overlapping(pods);
    if (pod !== undefined && !(kubenet && hop(route) === "virtualappliance")) {
      hit("pod", pod);
      continue;
    }
    const svc = overlapping(services);
    if (svc !== undefined) hit("service", svc);
  }
  // failures first, then table order: the first finding leads the message
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "fail" ? -1 : 1));
}

/** The route that carries Internet-bound traffic: the user route for 0.0.0.0/0, if any. */
export function defaultRoute(routes: readonly RouteData[]): RouteData | undefined {
  return routes.find((r) => {
    const c = parseCidr(r.addressPrefix);
    return c !== undefined && c.family === "ipv4" && c.prefix === 0;
  });
}

export function describeRoute(route: RouteData): string {
  const ip = route.nextHopIpAddress !== undefined && route.nextHopIpAddress !== "" ? ` ${route.nextHopIpAddress}` : "";
  return `route '${route.name}' (${route.addressPrefix} → ${route.nextHopType}${ip})`;
}
