/**
 * Strict parser for the IDs a subnet points at: network security groups, route tables, NAT gateways.
 * ARM requests for them are only ever built from a parsed `NetworkResourceRef`, like subnets (see
 * ../subnet-id.ts): anything ambiguous is refused instead of being sent to Azure.
 */
export type NetworkResourceType = "networkSecurityGroups" | "routeTables" | "natGateways";

export interface NetworkResourceRef {
  type: NetworkResourceType;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** canonical keyword spelling, names as given */
  id: string;
  /** id lower-cased: the cache key (ARM IDs are case-insensitive) */
  canonical: string;
}

export type NetworkResourceParse = { ok: true; ref: NetworkResourceRef } | { ok: false; error: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[A-Za-z0-9_\-().]{1,90}$/;
// NSG, route table and NAT gateway names: 1-80 letters, digits, '_', '.', '-'; start with a letter or
// digit, end with a letter, digit or '_'
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;

export function parseNetworkResourceId(raw: string, type: NetworkResourceType): NetworkResourceParse {
  const fail = (error: string): NetworkResourceParse => ({
    ok: false,
    error: `'${raw}' is not a ${type} ID: ${error}`,
  });
  if (raw.length === 0 || raw.length > 1024) return fail("empty or too long");
  if (/[\s\p{Cc}\p{Cf}%?#]/u.test(raw)) return fail("contains whitespace, control characters, '%', '?' or '#'");
  const seg = raw.split("/");
  if (seg.length !== 9 || seg[0] !== "")
    return fail("expected /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Network/{type}/{name}");
  const [, s1, sub = "", s3, rg = "", s5, ns, t, name = ""] = seg;
  if (
    s1?.toLowerCase() !== "subscriptions" ||
    s3?.toLowerCase() !== "resourcegroups" ||
    s5?.toLowerCase() !== "providers"
  )
    return fail("unexpected segment names");
  if (ns?.toLowerCase() !== "microsoft.network" || t?.toLowerCase() !== type.toLowerCase())
    return fail(`not a Microsoft.Network/${type} resource`);
  if (!GUID.test(sub)) return fail(`subscription '${sub}' is not a GUID`);
  if (!RESOURCE_GROUP.test(rg) || rg.endsWith(".")) return fail(`resource group '${rg}' is not a valid name`);
  if (!NAME.test(name)) return fail(`'${name}' is not a valid name`);
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/${type}/${name}`;
  return { ok: true, ref: { type, subscriptionId: sub, resourceGroup: rg, name, id, canonical: id.toLowerCase() } };
}
