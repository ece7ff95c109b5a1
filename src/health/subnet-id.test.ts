import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CRD_SUBNET_ID_PATTERN,
  canonicalSubnetId,
  formatSubnetId,
  parseSubnetId,
  MAX_SUBNET_ID_LENGTH,
  echoSubnetId,
} from "./subnet-id.js";

const SUB = "9a8b7c6d-1234-4abc-8def-0123456789ab";
const id = (rg = "my-rg", vnet = "vnet-1", subnet = "nodes", sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
const crd = new RegExp(CRD_SUBNET_ID_PATTERN, "i");

describe("parseSubnetId accepts", () => {
  const accepted: Array<[string, string]> = [
    ["a plain ID", id()],
    ["RG with underscore and hyphen", id("my-resource_group")],
    ["RG starting with a dot", id(".starting.with.dot")],
    ["RG ending with a hyphen", id("ends-with-hyphen-")],
    ["RG with parentheses", id("contains.(parentheses)")],
    ["RG of 90 characters", id("r".repeat(90))],
    ["RG of one character", id("r")],
    ["mixed-case names", id("My-RG", "My-VNet", "My_Subnet")],
    [
      "lower-case keywords",
      id()
        .replace("resourceGroups", "resourcegroups")
        .replace("virtualNetworks", "virtualnetworks")
        .replace("Microsoft.Network", "microsoft.network"),
    ],
    ["upper-case keywords", id().replace("/subscriptions/", "/SUBSCRIPTIONS/").replace("/subnets/", "/SUBNETS/")],
    ["63-char VNet and subnet", id("rg", "v".repeat(63), "s".repeat(63))],
    ["64-char VNet, 80-char subnet", id("rg", "v".repeat(64), "s".repeat(80))],
    ["one-char subnet", id("rg", "vn", "s")],
    ["VNet and subnet ending with underscore", id("rg", "vnet_", "subnet_")],
    ["dots inside names", id("rg", "v.net", "sub.net")],
    ["upper-case GUID", id("rg", "vnet", "s", SUB.toUpperCase())],
  ];
  it.each(accepted)("%s", (_, raw) => {
    const r = parseSubnetId(raw);
    expect(r).toMatchObject({ ok: true });
    expect(crd.test(raw)).toBe(true);
  });

  it("keeps names as given and normalises keywords", () => {
    const r = parseSubnetId(id("My-RG", "My-VNet", "Sub").replace("resourceGroups", "RESOURCEGROUPS"));
    if (!r.ok) throw new Error(r.error);
    expect(r.ref).toEqual({
      subscriptionId: SUB,
      resourceGroup: "My-RG",
      vnet: "My-VNet",
      subnet: "Sub",
      id: id("My-RG", "My-VNet", "Sub"),
      canonical: id("My-RG", "My-VNet", "Sub").toLowerCase(),
      vnetCanonical: `/subscriptions/${SUB}/resourcegroups/my-rg/providers/microsoft.network/virtualnetworks/my-vnet`,
    });
    expect(formatSubnetId(r.ref)).toBe(id("My-RG", "My-VNet", "Sub"));
    expect(canonicalSubnetId(r.ref)).toBe(id("My-RG", "My-VNet", "Sub").toLowerCase());
  });
});

describe("parseSubnetId rejects", () => {
  const rejected: Array<[string, string, RegExp]> = [
    ["empty", "", /empty/],
    ["RG ending with a dot", id("ends.with.dot."), /must not end with '\.'/],
    ["RG with '#'", id("invalid#character"), /fragment/],
    ["RG with '@*&'", id("name@with*unsupported&chars"), /resource group name .* may contain only/],
    ["RG of 91 characters", id("r".repeat(91)), /1-90 characters/],
    ["RG with Unicode letters", id("grüppe"), /ASCII/],
    [
      "missing resourceGroups",
      `/subscriptions/${SUB}/providers/Microsoft.Network/virtualNetworks/v1/subnets/s`,
      /segment 3 must be 'resourceGroups'/,
    ],
    [
      "missing virtualNetworks",
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/subnets/s`,
      /segment 7 must be 'virtualNetworks'/,
    ],
    [
      "Microsoft.Storage provider",
      id().replace("Microsoft.Network", "Microsoft.Storage"),
      /segment 6 must be 'Microsoft\.Network'/,
    ],
    ["providers misspelled", id().replace("providers", "provider"), /segment 5 must be 'providers'/],
    ["only /subnets/name", "/subnets/fake-subnet", /segment 1 must be 'subscriptions'/],
    ["repeated subnets segment", id("rg", "vnet", "subnets/x"), /11 segments, expected exactly 10/],
    ["a VNet ID", id().replace("/subnets/nodes", ""), /8 segments/],
    ["extra child segment", `${id()}/ipConfigurations/x`, /12 segments/],
    ["percent-encoding", id("my%2Drg"), /percent-encoded/],
    ["encoded slash", id("rg", "vnet", "a%2Fb"), /percent-encoded/],
    ["dot segment", id("rg", "vnet", "."), /dot segments/],
    ["dot-dot segment", `${id()}/../nodes`, /dot segments/],
    ["empty segment", id().replace("/subnets/", "/subnets//"), /segment 10 is empty/],
    ["double slash at start", `/${id()}`, /segment 1 is empty/],
    ["query", `${id()}?api-version=2024-01-01`, /query/],
    ["fragment", `${id()}#x`, /fragment/],
    ["leading whitespace", ` ${id()}`, /whitespace/],
    ["trailing newline", `${id()}\n`, /whitespace/],
    ["inner space", id("my rg"), /whitespace/],
    ["tab", id("rg", "vnet", "a\tb"), /whitespace/],
    ["NUL", id("rg", "vnet", "a\u0000b"), /control/],
    ["zero-width space", id("rg", "vnet", "a\u200bb"), /control/],
    ["trailing slash", `${id()}/`, /must not end with '\/'/],
    ["no leading slash", id().slice(1), /must start with/],
    ["overlong", id("rg", "vnet", "s".repeat(1100)), /at most 355/],
    [
      "subscription not a GUID",
      id("rg", "vnet", "s", "my-subscription"),
      /subscription 'my-subscription' is not a GUID/,
    ],
    ["GUID without dashes", id("rg", "vnet", "s", SUB.replaceAll("-", "")), /not a GUID/],
    ["one-char VNet", id("rg", "v", "s"), /virtual network name 'v' must be 2-64/],
    ["65-char VNet", id("rg", "v".repeat(65), "s"), /2-64/],
    ["81-char subnet", id("rg", "vnet", "s".repeat(81)), /1-80/],
    ["subnet starting with '-'", id("rg", "vnet", "-s"), /must start with a letter or digit/],
    ["subnet ending with '.'", id("rg", "vnet", "s."), /must end with a letter, digit or '_'/],
    ["subnet ending with '-'", id("rg", "vnet", "s-"), /must end with/],
    ["VNet with '('", id("rg", "vnet(1)", "s"), /may contain only letters, digits, '_', '\.' and '-'/],
  ];
  it.each(rejected)("%s", (_, raw, message) => {
    const r = parseSubnetId(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe("CRD_SUBNET_ID_PATTERN", () => {
  it("compiles with flag i and keeps the upstream verdicts", () => {
    expect(crd.test(id("ends.with.dot."))).toBe(false);
    expect(crd.test(id(".starting.with.dot"))).toBe(true);
    expect(crd.test(id().replace("Microsoft.Network", "Microsoft.Storage"))).toBe(false);
  });
});

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".split("");
const str = (chars: string[], min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(""));
const rgName = fc
  .tuple(str([...alnum, "_", "-", "(", ")", "."], 0, 89), fc.constantFrom(...alnum, "_", "-", "(", ")"))
  .map(([a, b]) => a + b);
const netName = (max: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...alnum), str([...alnum, "_", ".", "-"], 0, max - 2), fc.constantFrom(...alnum, "_"))
    .map(([a, b, c]) => a + b + c);
const keywordCase = (word: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((flips) =>
    word
      .split("")
      .map((ch, i) => (flips[i] ? ch.toUpperCase() : ch.toLowerCase()))
      .join(""),
  );
const validId = fc
  .tuple(fc.uuid(), rgName, netName(64), netName(80), keywordCase("resourceGroups"), keywordCase("virtualNetworks"))
  .map(
    ([s, rg, v, n, kRg, kVnet]) =>
      `/subscriptions/${s}/${kRg}/${rg}/providers/Microsoft.Network/${kVnet}/${v}/subnets/${n}`,
  );

describe("parser properties", () => {
  it("accepts generated valid IDs, and each accepted ID matches the CRD pattern and round-trips", () => {
    fc.assert(
      fc.property(validId, (raw) => {
        const r = parseSubnetId(raw);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(crd.test(raw)).toBe(true);
        const again = parseSubnetId(formatSubnetId(r.ref));
        expect(again).toEqual(r);
        expect(formatSubnetId(r.ref).toLowerCase()).toBe(raw.toLowerCase());
      }),
    );
  });

  it("never accepts an ID the CRD pattern rejects (arbitrary mutations)", () => {
    const mutated = fc.tuple(validId, fc.nat(), fc.string({ minLength: 0, maxLength: 3 })).map(([raw, pos, ins]) => {
      const i = pos % (raw.length + 1);
      return raw.slice(0, i) + ins + raw.slice(i);
    });
    fc.assert(
      fc.property(mutated, (raw) => {
        const r = parseSubnetId(raw);
        if (r.ok) {
          expect(crd.test(raw)).toBe(true);
          expect(parseSubnetId(formatSubnetId(r.ref))).toEqual(r);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("subnet ID length bound (Azure's name limits)", () => {
  it("accepts the longest ID Azure's names allow (355 characters) and refuses one more", () => {
    const longest = `/subscriptions/6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab/resourceGroups/${"r".repeat(90)}/providers/Microsoft.Network/virtualNetworks/${"v".repeat(64)}/subnets/${"s".repeat(80)}`;
    expect(longest.length).toBe(MAX_SUBNET_ID_LENGTH);
    expect(parseSubnetId(longest).ok).toBe(true);
    expect(parseSubnetId(`${longest}x`)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/at most 355/) as unknown,
    });
  });
  it("echoes an over-long ID shortened, with its length and a digest that tells two apart", () => {
    const a = echoSubnetId("/subscriptions/" + "a".repeat(40_000));
    const b = echoSubnetId("/subscriptions/" + "a".repeat(39_999) + "b");
    expect(a.length).toBeLessThan(170);
    expect(a).toMatch(/40015 characters, sha256:[0-9a-f]{12}/);
    expect(a).not.toBe(b);
    expect(echoSubnetId("/subscriptions/x")).toBe("/subscriptions/x");
  });
});
