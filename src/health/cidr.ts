/**
 * CIDR math on top of ipaddr.js. IPv4 text must be four-part decimal: ipaddr.js would otherwise accept
 * forms like "10.1" or octal "010.0.0.1", which Azure and Kubernetes never use and which would make two
 * different strings mean the same range.
 */
import ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";
type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  family: IpFamily;
  /** network address (host bits cleared) */
  network: Address;
  prefix: number;
  /** the text as given */
  text: string;
}

function bits(family: IpFamily): number {
  return family === "ipv4" ? 32 : 128;
}

export function parseIp(text: string): Address | undefined {
  const t = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t);
  // zone IDs ("fe80::1%eth0") are interface-local and never appear in Azure or node addresses we compare
  if (!t.includes("%") && ipaddr.IPv6.isValid(t)) return ipaddr.IPv6.parse(t);
  return undefined;
}

/**
 * Parsed CIDRs by text. Every reconcile compares its subnet with its peers' prefixes: the same few
 * strings, parsed again and again, were a visible share of the operator's allocations at 1,000
 * nodeclasses. Results are never mutated; the cache is bounded by starting over when full.
 */
const parsedCidrs = new Map<string, Cidr | undefined>();
const MAX_PARSED_CIDRS = 4096;

export function parseCidr(text: string): Cidr | undefined {
  if (parsedCidrs.has(text)) return parsedCidrs.get(text);
  const parsed = parseCidrUncached(text);
  if (parsedCidrs.size >= MAX_PARSED_CIDRS) parsedCidrs.clear();
  parsedCidrs.set(text, parsed);
  return parsed;
}

function parseCidrUncached(text: string): Cidr | undefined {
  const t = text.trim();
  let parsed: [Address, number];
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(t)) {
    parsed = ipaddr.IPv4.parseCIDR(t);
  } else if (!t.includes("%") && ipaddr.IPv6.isValidCIDR(t)) {
    parsed = ipaddr.IPv6.parseCIDR(t);
  } else {
    return undefined;
  }
  const [addr, prefix] = parsed;
  const family: IpFamily = addr.kind();
  const network = family === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(t) : ipaddr.IPv6.networkAddressFromCIDR(t);
  return { family, network, prefix, text };
}

export function cidrFamily(text: string): IpFamily | undefined {
  return parseCidr(text)?.family;
}

/** Whether `ip` lies in `cidr`; false across families. */
export function cidrContainsIp(cidr: Cidr, ip: Address): boolean {
  if (ip.kind() !== cidr.family) return false;
  return ip.match(cidr.network, cidr.prefix);
}

/** Two ranges overlap exactly when one contains the other's network address; never across families. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return cidrContainsIp(a, b.network) || cidrContainsIp(b, a.network);
}

/** Number of addresses in the range. */
export function addressCount(cidr: Cidr): bigint {
  return 1n << BigInt(bits(cidr.family) - cidr.prefix);
}

/** Addresses Azure leaves usable in an IPv4 subnet (5 reserved: network, 3 Azure, broadcast). */
export function azureUsableIPv4(cidr: Cidr): number {
  if (cidr.family !== "ipv4") return 0;
  return Math.max(0, Number(addressCount(cidr)) - 5);
}

/** "a.b.c.d/p" with the host bits cleared. */
export function normalizeCidr(cidr: Cidr): string {
  return `${cidr.network.toString()}/${cidr.prefix}`;
}
