import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuantity } from "./quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["1000", 1000],
    ["500m", 0.5],
    ["64Gi", 64 * 2 ** 30],
    ["1.5G", 1.5e9],
    ["1e3", 1000],
    ["2.5E-1", 0.25],
    ["+2", 2],
    [".5", 0.5],
    ["-1", -1],
    ["1k", 1000],
    ["3Ti", 3 * 2 ** 40],
  ])("%s is %d", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 9);
  });

  it.each(["", "abc", "1GiB", "1 Gi", "Gi", "1.2.3", "0x10", "1K"])("%j is not a quantity", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("takes integers as they are (the CRD stores int-or-string)", () => {
    expect(parseQuantity(12)).toBe(12);
    expect(parseQuantity(Number.NaN)).toBeUndefined();
  });

  it("binary and decimal suffixes scale integers exactly", () => {
    const factors: Array<[string, number]> = [
      ["Ki", 2 ** 10],
      ["Mi", 2 ** 20],
      ["Gi", 2 ** 30],
      ["k", 1e3],
      ["M", 1e6],
      ["G", 1e9],
      ["", 1],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(...factors), (n, [suffix, factor]) => {
        expect(parseQuantity(`${n}${suffix}`)).toBe(n * factor);
      }),
    );
  });
});
