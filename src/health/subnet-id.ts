/**
 * Strict parser for subnet ARM IDs. The operator builds ARM request paths only from a parsed
 * `SubnetRef`, never from the raw string, so anything ambiguous (encodings, dot segments, extra
 * segments) is refused here instead of being passed to Azure.
 *
 * Naming rules (Azure "naming rules and restrictions for Azure resources", Microsoft.Network and
 * Microsoft.Resources):
 * - resource group: 1-90 chars of letters, digits, `_ - ( ) .`, not ending in `.`. Azure also allows
 *   Unicode letters and digits, but the AKSNodeClass CRD pattern only admits ASCII, so the API server
 *   would never store such an ID; we accept exactly what the CRD accepts (ASCII only).
 * - virtual network: 2-64 chars of letters, digits, `_ . -`; starts with a letter or digit, ends with a
 *   letter, digit or `_`.
 * - subnet: 1-80 chars, same alphabet and start/end rules as a virtual network.
 * - subscription: a GUID (the CRD accepts any non-empty run; ARM only knows GUIDs).
 *
 * Every ID accepted here also matches the CRD pattern (see CRD_SUBNET_ID_PATTERN); the runtime parser
 * in Karpenter is looser (no name checks), so we are stricter than both.
 */
import { createHash } from "node:crypto";
import type { SubnetRef } from "./types.js";

/**
 * The upstream AKSNodeClass `spec.vnetSubnetID` pattern with the Go-only `(?i)` prefix stripped: use it
 * with flag "i" (`new RegExp(CRD_SUBNET_ID_PATTERN, "i")`).
 */
export const CRD_SUBNET_ID_PATTERN =
  "^\\/subscriptions\\/[^\\/]+\\/resourceGroups\\/[a-zA-Z0-9_\\-().]{0,89}[a-zA-Z0-9_\\-()]\\/providers\\/Microsoft\\.Network\\/virtualNetworks\\/[^\\/]+\\/subnets\\/[^\\/]+$";

/**
 * The longest subnet ID Azure's name limits allow: "/subscriptions/" (15) + GUID (36) + "/resourceGroups/"
 * (16) + resource group (90) + "/providers/Microsoft.Network/virtualNetworks/" (45) + VNet (64) +
 * "/subnets/" (9) + subnet (80) = 355. Longer inputs are refused before any other work.
 */
export const MAX_SUBNET_ID_LENGTH = 355;

/** How much of an over-long ID is echoed back in conditions, status, events and metric labels. */
const ECHO_HEAD = 96;

/**
 * The ID as it may be shown: unchanged up to MAX_SUBNET_ID_LENGTH, else its start, its length and a short
 * digest (so two different long IDs still differ), bounded to about 160 characters.
 */
export function echoSubnetId(raw: string): string {
  if (raw.length <= MAX_SUBNET_ID_LENGTH) return raw;
  return `${raw.slice(0, ECHO_HEAD)}… (${raw.length} characters, sha256:${createHash("sha256").update(raw).digest("hex").slice(0, 12)})`;
}

export type SubnetIdParse = { ok: true; ref: SubnetRef } | { ok: false; error: string };

const EXAMPLE =
  "/subscriptions/{subscription-guid}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}";

/** Fixed segments by 1-based position (after the leading "/"), in their canonical spelling. */
const KEYWORDS: ReadonlyArray<readonly [number, string]> = [
  [1, "subscriptions"],
  [3, "resourceGroups"],
  [5, "providers"],
  [6, "Microsoft.Network"],
  [7, "virtualNetworks"],
  [9, "subnets"],
];
const SEGMENT_COUNT = 10;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[A-Za-z0-9_\-().]{1,90}$/;
const NETWORK_NAME_CHARS = /^[A-Za-z0-9_.-]+$/;
const STARTS_ALNUM = /^[A-Za-z0-9]/;
const ENDS_ALNUM_OR_UNDERSCORE = /[A-Za-z0-9_]$/;
// \s covers Unicode spaces; \p{Cc} catches the remaining control characters; \p{Cf} catches invisible
// format characters (zero-width space, BOM) that would otherwise survive copy-paste.
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}\p{Cf}]/u;

function fail(error: string): SubnetIdParse {
  return { ok: false, error };
}

function checkNetworkName(
  kind: "virtual network" | "subnet",
  name: string,
  min: number,
  max: number,
): string | undefined {
  if (name.length < min || name.length > max) {
    return `${kind} name '${name}' must be ${min}-${max} characters long (has ${name.length})`;
  }
  if (!NETWORK_NAME_CHARS.test(name)) {
    return `${kind} name '${name}' may contain only letters, digits, '_', '.' and '-'`;
  }
  if (!STARTS_ALNUM.test(name)) return `${kind} name '${name}' must start with a letter or digit`;
  if (!ENDS_ALNUM_OR_UNDERSCORE.test(name)) return `${kind} name '${name}' must end with a letter, digit or '_'`;
  return undefined;
}

function checkResourceGroup(name: string): string | undefined {
  if (!RESOURCE_GROUP.test(name)) {
    if (name.length > 90) return `resource group name must be 1-90 characters long (has ${name.length})`;
    return `resource group name '${name}' may contain only ASCII letters, digits, '_', '-', '(', ')' and '.'`;
  }
  if (name.endsWith(".")) return `resource group name '${name}' must not end with '.'`;
  return undefined;
}

export function parseSubnetId(raw: string): SubnetIdParse {
  if (raw.length === 0) return fail(`subnet ID is empty; expected ${EXAMPLE}`);
  if (raw.length > MAX_SUBNET_ID_LENGTH) {
    return fail(`subnet ID is ${raw.length} characters long; at most ${MAX_SUBNET_ID_LENGTH} are accepted`);
  }
  if (WHITESPACE_OR_CONTROL.test(raw)) return fail("subnet ID contains whitespace or control characters");
  if (raw.includes("%"))
    return fail("subnet ID contains '%': percent-encoded IDs are not accepted, write the names as they are");
  if (raw.includes("?")) return fail("subnet ID contains a query ('?'); nothing may follow the subnet name");
  if (raw.includes("#")) return fail("subnet ID contains a fragment ('#'); nothing may follow the subnet name");
  if (!raw.startsWith("/")) return fail(`subnet ID must start with '/subscriptions/'; expected ${EXAMPLE}`);
  if (raw.length > 1 && raw.endsWith("/")) return fail("subnet ID must not end with '/'");

  const segments = raw.slice(1).split("/");
  for (const [i, seg] of segments.entries()) {
    if (seg === "") return fail(`segment ${i + 1} is empty ('//' or a missing name)`);
    if (seg === "." || seg === "..") return fail(`segment ${i + 1} is '${seg}': dot segments are not accepted`);
  }
  // Check the fixed words first: "segment 3 must be 'resourceGroups'" says more than a bare count.
  for (const [pos, word] of KEYWORDS) {
    const seg = segments[pos - 1];
    if (seg === undefined) break;
    if (seg.toLowerCase() !== word.toLowerCase()) {
      return fail(`segment ${pos} must be '${word}', got '${seg}'; expected ${EXAMPLE}`);
    }
  }
  if (segments.length !== SEGMENT_COUNT) {
    return fail(
      `subnet ID has ${segments.length} segments, expected exactly ${SEGMENT_COUNT} (nothing may follow the subnet name); expected ${EXAMPLE}`,
    );
  }
  const [, subscriptionId, , resourceGroup, , , , vnet, , subnet] = segments as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!GUID.test(subscriptionId)) {
    return fail(`subscription '${subscriptionId}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  }
  const problem =
    checkResourceGroup(resourceGroup) ??
    checkNetworkName("virtual network", vnet, 2, 64) ??
    checkNetworkName("subnet", subnet, 1, 80);
  if (problem !== undefined) return fail(problem);
  return { ok: true, ref: makeSubnetRef({ subscriptionId, resourceGroup, vnet, subnet }) };
}

export type SubnetNames = Pick<SubnetRef, "subscriptionId" | "resourceGroup" | "vnet" | "subnet">;

/** The ID with canonical keyword spelling and names as given. */
export function formatSubnetId(ref: SubnetNames): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${ref.vnet}/subnets/${ref.subnet}`;
}

/** Lower-cased ID: ARM IDs are case-insensitive, so this is the comparison and cache key. */
export function canonicalSubnetId(ref: SubnetNames): string {
  return formatSubnetId(ref).toLowerCase();
}

export function canonicalVnetId(ref: Pick<SubnetRef, "subscriptionId" | "resourceGroup" | "vnet">): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${ref.vnet}`.toLowerCase();
}

function makeSubnetRef(names: SubnetNames): SubnetRef {
  return {
    ...names,
    id: formatSubnetId(names),
    canonical: canonicalSubnetId(names),
    vnetCanonical: canonicalVnetId(names),
  };
}
