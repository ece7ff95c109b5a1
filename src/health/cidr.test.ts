import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressCount,
  azureUsableIPv4,
  cidrContainsIp,
  cidrFamily,
  cidrsOverlap,
  normalizeCidr,
  parseCidr,
  parseIp,
  type Cidr,
} from "./cidr.js";

const must = (text: string): Cidr => {
  const c = parseCidr(text);
  if (c === undefined) throw new Error(`bad CIDR ${text}`);
  return c;
};
const ip = (text: string) => {
  const a = parseIp(text);
  if (a === undefined) throw new Error(`bad IP ${text}`);
  return a;
};

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "ipv4", "10.0.0.0/8"],
    ["10.0.0.5/24", "ipv4", "10.0.0.0/24"],
    ["0.0.0.0/0", "ipv4", "0.0.0.0/0"],
    ["fd00::/64", "ipv6", "fd00::/64"],
    ["2001:db8::1/48", "ipv6", "2001:db8::/48"],
  ])("%s → %s, network %s", (text, family, norm) => {
    const c = must(text);
    expect(c.family).toBe(family);
    expect(normalizeCidr(c)).toBe(norm);
    expect(cidrFamily(text)).toBe(family);
  });

  it.each(["10.0.0.0", "10.0.0.0/33", "10.1/16", "010.0.0.0/8", "fd00::/129", "fe80::1%eth0/64", "nonsense", ""])(
    "rejects %j",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  it("counts addresses and Azure-usable IPv4 addresses", () => {
    expect(addressCount(must("10.0.0.0/24"))).toBe(256n);
    expect(azureUsableIPv4(must("10.0.0.0/24"))).toBe(251);
    expect(azureUsableIPv4(must("10.0.0.0/29"))).toBe(3);
    expect(azureUsableIPv4(must("10.0.0.0/16"))).toBe(65531);
    expect(addressCount(must("fd00::/64"))).toBe(1n << 64n);
    expect(azureUsableIPv4(must("fd00::/64"))).toBe(0);
  });
});

describe("overlap and containment", () => {
  it.each([
    ["10.244.0.0/16", "10.244.1.0/24", true],
    ["10.0.0.0/16", "10.0.10.0/24", true],
    ["10.0.0.0/24", "10.0.1.0/24", false],
    ["10.0.0.0/8", "11.0.0.0/8", false],
    ["fd00::/64", "fd00::/48", true],
    ["fd00::/64", "fd00:0:0:1::/64", false],
    ["10.0.0.0/8", "::ffff:10.0.0.0/104", false],
    ["0.0.0.0/0", "::/0", false],
  ])("%s vs %s → %s", (a, b, want) => {
    expect(cidrsOverlap(must(a), must(b))).toBe(want);
    expect(cidrsOverlap(must(b), must(a))).toBe(want);
  });

  it("checks IP containment within one family only", () => {
    expect(cidrContainsIp(must("10.1.0.0/24"), ip("10.1.0.4"))).toBe(true);
    expect(cidrContainsIp(must("10.1.0.0/24"), ip("10.1.1.4"))).toBe(false);
    expect(cidrContainsIp(must("fd00::/64"), ip("fd00::4"))).toBe(true);
    expect(cidrContainsIp(must("0.0.0.0/0"), ip("fd00::4"))).toBe(false);
  });
});

const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => must(`${a}/${p}`));
const v6 = fc
  .tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }))
  .map(([a, p]) => parseCidr(`${a}/${p}`))
  .filter((c): c is Cidr => c !== undefined);
const anyCidr = fc.oneof(v4, v6);

describe("CIDR properties", () => {
  it("overlap is symmetric", () => {
    fc.assert(fc.property(anyCidr, anyCidr, (a, b) => cidrsOverlap(a, b) === cidrsOverlap(b, a)));
  });
  it("a CIDR overlaps itself and contains its network address", () => {
    fc.assert(
      fc.property(anyCidr, (a) => {
        expect(cidrsOverlap(a, a)).toBe(true);
        expect(cidrContainsIp(a, a.network)).toBe(true);
      }),
    );
  });
  it("the two halves of a CIDR do not overlap each other but both overlap the parent", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          v4.filter((c) => c.prefix < 32),
          v6.filter((c) => c.prefix < 128),
        ),
        (parent) => {
          const lowText = `${parent.network.toString()}/${parent.prefix + 1}`;
          const bytes = parent.network.toByteArray();
          const bit = parent.prefix; // first host bit of the parent becomes 1 in the upper half
          const idx = Math.floor(bit / 8);
          bytes[idx] = (bytes[idx] ?? 0) | (0x80 >> (bit % 8));
          const highAddr = parent.family === "ipv4" ? bytes.join(".") : toV6(bytes);
          const low = must(lowText);
          const high = must(`${highAddr}/${parent.prefix + 1}`);
          expect(cidrsOverlap(low, high)).toBe(false);
          expect(cidrsOverlap(parent, low)).toBe(true);
          expect(cidrsOverlap(parent, high)).toBe(true);
        },
      ),
    );
  });
  it("never overlaps across families", () => {
    fc.assert(fc.property(v4, v6, (a, b) => !cidrsOverlap(a, b) && !cidrsOverlap(b, a)));
  });
});

function toV6(bytes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return parts.join(":");
}
