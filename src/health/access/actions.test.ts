import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BROAD_ACTIONS, SUBNET_JOIN, SUBNET_READ, actionMatches, permits } from "./actions.js";

describe("action wildcard matching (Azure RBAC's documented rules)", () => {
  it.each([
    ["*", true, true],
    ["Microsoft.Network/*", true, true],
    ["Microsoft.Network/virtualNetworks/*", true, true],
    ["*/read", true, false],
    ["Microsoft.Network/*/read", true, false],
    ["Microsoft.Network/virtualNetworks/subnets/*/action", false, true],
    // exact strings and near misses
    [SUBNET_READ, true, false],
    [SUBNET_JOIN, false, true],
    ["Microsoft.Network/virtualNetworks/subnets/read/*", false, false],
    ["Microsoft.Network/virtualNetworks/subnets", false, false],
    ["Microsoft.Compute/*", false, false],
    ["Microsoft.Network/virtualNetworks/subnets/join", false, false],
    ["Microsoft.*/virtualNetworks/*/re*d", true, false],
    ["*join*", false, true],
  ])("%s → read %s, join %s", (pattern, read, join) => {
    expect(actionMatches(pattern, SUBNET_READ)).toBe(read);
    expect(actionMatches(pattern, SUBNET_JOIN)).toBe(join);
  });

  it.each([
    ["microsoft.network/virtualnetworks/subnets/read", SUBNET_READ],
    ["MICROSOFT.NETWORK/VIRTUALNETWORKS/SUBNETS/JOIN/ACTION", SUBNET_JOIN],
    ["microsoft.NETWORK/*/Action", SUBNET_JOIN],
  ])("matches regardless of case: %s", (pattern, action) => {
    expect(actionMatches(pattern, action)).toBe(true);
  });

  it("treats regex metacharacters literally", () => {
    expect(actionMatches("Microsoft.Network/virtualNetworks/subnets/rea.", SUBNET_READ)).toBe(false);
    expect(actionMatches("Microsoft(Network)/x", "Microsoft(Network)/x")).toBe(true);
    expect(actionMatches("a+b", "aab")).toBe(false);
    expect(actionMatches("Microsoft.Network", "MicrosoftXNetwork")).toBe(false);
  });

  it("flags the wildcards of Network Contributor as covering every broad action", () => {
    for (const action of BROAD_ACTIONS) expect(actionMatches("Microsoft.Network/*", action)).toBe(true);
    expect(BROAD_ACTIONS.some((a) => actionMatches("*/read", a))).toBe(false);
  });
});

describe("permits", () => {
  it("grants what actions match and notActions do not", () => {
    const entry = {
      actions: ["Microsoft.Network/*"],
      notActions: ["Microsoft.Network/virtualNetworks/subnets/*/action"],
    };
    expect(permits(entry, SUBNET_READ)).toBe(true);
    expect(permits(entry, SUBNET_JOIN)).toBe(false);
  });

  it("notActions is not a deny: another entry (another role) still grants", () => {
    const restricted = { actions: ["*"], notActions: [SUBNET_JOIN] };
    const other = { actions: [SUBNET_JOIN], notActions: [] };
    expect([restricted, other].some((e) => permits(e, SUBNET_JOIN))).toBe(true);
  });

  it("an entry without actions grants nothing", () => {
    expect(permits({ actions: [], notActions: [] }, SUBNET_READ)).toBe(false);
  });
});

const actionChar = fc.constantFrom(..."abcXYZ019./_-+?^$()[]{}|\\".split(""));
const actionString = fc.array(actionChar, { minLength: 1, maxLength: 40 }).map((cs) => cs.join(""));

describe("matching properties", () => {
  it("a literal action (no '*') matches itself in any case", () => {
    fc.assert(
      fc.property(actionString, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (action, upper) => {
        const recased = [...action].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("");
        expect(actionMatches(action, recased)).toBe(true);
        expect(actionMatches(recased, action)).toBe(true);
      }),
    );
  });

  it("'*' matches every action", () => {
    fc.assert(fc.property(fc.string(), (action) => actionMatches("*", action)));
  });

  it("patterns full of regex metacharacters never throw", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(actionChar, fc.constant("*")), { maxLength: 30 }).map((c) => c.join("")),
        actionString,
        (pattern, action) => {
          expect(() => actionMatches(pattern, action)).not.toThrow();
        },
      ),
    );
  });

  it("a pattern with a '*' replacing any segment still matches the original action", () => {
    fc.assert(
      fc.property(fc.constantFrom(SUBNET_READ, SUBNET_JOIN, ...BROAD_ACTIONS), fc.nat(), (action, n) => {
        const parts = action.split("/");
        parts[n % parts.length] = "*";
        expect(actionMatches(parts.join("/"), action)).toBe(true);
      }),
    );
  });
});
