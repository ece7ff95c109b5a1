import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConditionParseError,
  type ConditionNode,
  type Tri,
  evaluateCondition,
  evaluateConditionText,
  kleeneAnd,
  kleeneNot,
  kleeneOr,
  parseCondition,
  tryParseCondition,
} from "./abac.js";
import { SUBNET_JOIN, SUBNET_READ } from "./actions.js";
import { NAP_CONDITION } from "./testing.js";

const WRITE = "Microsoft.Network/virtualNetworks/subnets/write";
const DELETE = "Microsoft.Network/virtualNetworks/subnets/delete";
const ATTR = "@Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'nodes'";

const value = (condition: string, action: string): Tri => evaluateConditionText(condition, action).value;

describe("the NAP doc's condition", () => {
  it.each([
    [SUBNET_READ, "true"],
    [SUBNET_JOIN, "true"],
    [WRITE, "false"],
    [DELETE, "false"],
    ["MICROSOFT.NETWORK/VIRTUALNETWORKS/SUBNETS/WRITE", "false"],
  ])("%s → %s", (action, expected) => {
    expect(value(NAP_CONDITION, action)).toBe(expected);
  });
});

describe("condition evaluation", () => {
  it.each<[string, string, Tri]>([
    ["attribute alone is unknown", ATTR, "unknown"],
    ["Exists is unknown", "Exists @Resource[Microsoft.Network/virtualNetworks/subnets:tags:env]", "unknown"],
    [
      "ForAnyOfAnyValues is unknown",
      "@Request[Microsoft.Network/x:names] ForAnyOfAnyValues:StringEquals {'a', 'b'}",
      "unknown",
    ],
    ["SubOperationMatches is unknown", "SubOperationMatches{'Blob.List'}", "unknown"],
    ["false AND unknown = false", `ActionMatches{'${WRITE}'} AND ${ATTR}`, "false"],
    ["unknown AND false = false", `${ATTR} AND ActionMatches{'${WRITE}'}`, "false"],
    ["true OR unknown = true", `ActionMatches{'${SUBNET_READ}'} OR ${ATTR}`, "true"],
    ["unknown OR true = true", `${ATTR} OR ActionMatches{'${SUBNET_READ}'}`, "true"],
    ["true AND unknown = unknown", `ActionMatches{'${SUBNET_READ}'} AND ${ATTR}`, "unknown"],
    ["false OR unknown = unknown", `ActionMatches{'${WRITE}'} OR ${ATTR}`, "unknown"],
    ["NOT unknown = unknown", `NOT (${ATTR})`, "unknown"],
    ["! unknown = unknown", `!(${ATTR})`, "unknown"],
    ["&& and || and !", `!ActionMatches{'${WRITE}'} && (ActionMatches{'*/read'} || ActionMatches{'*/action'})`, "true"],
    ["lower-case keywords", `not actionmatches{'${WRITE}'} and not ActionMatches{'${DELETE}'}`, "true"],
    ["wildcards in ActionMatches", "ActionMatches{'Microsoft.Network/*/read'}", "true"],
    ["double negation", `!!ActionMatches{'${SUBNET_READ}'}`, "true"],
    ["nested parentheses", `((((ActionMatches{'${SUBNET_READ}'}))))`, "true"],
    [
      "usual shape: allowed for non-matching actions, attribute for matching ones",
      `((!(ActionMatches{'${WRITE}'})) OR (${ATTR}))`,
      "true",
    ],
    [
      "quoted strings with parentheses and keywords inside",
      `(@Resource[Microsoft.Network/virtualNetworks/subnets:name] StringEquals 'a (b) AND c OR d') OR ActionMatches{'${SUBNET_READ}'}`,
      "true",
    ],
    [
      "value sets",
      `(@Resource[x:tags] ForAnyOfAllValues:StringEquals {'a)', 'b'}) AND ActionMatches{'${WRITE}'}`,
      "false",
    ],
    [
      "attribute compared to attribute",
      `@Principal[Microsoft.Directory/x:y] StringEquals @Resource[a:b] || ActionMatches{'*'}`,
      "true",
    ],
  ])("%s", (_label, condition, expected) => {
    const outcome = evaluateConditionText(condition, SUBNET_READ);
    expect(outcome.error).toBeUndefined();
    expect(outcome.value).toBe(expected);
  });

  it("keeps attribute expressions as opaque atoms", () => {
    expect(parseCondition(`(${ATTR}) AND ActionMatches{'x'}`)).toEqual({
      kind: "and",
      terms: [
        { kind: "attribute", text: ATTR },
        { kind: "action", pattern: "x" },
      ],
    });
  });

  it("does not split on words that merely contain AND/OR", () => {
    const node = parseCondition("@Resource[x:y] StringNotEquals 'ORANGE' AND ActionMatches{'a'}");
    expect(node).toMatchObject({
      kind: "and",
      terms: [{ kind: "attribute", text: "@Resource[x:y] StringNotEquals 'ORANGE'" }, { kind: "action" }],
    });
  });
});

describe("malformed conditions", () => {
  it.each([
    ["empty", "", 0],
    ["unclosed parenthesis", "(ActionMatches{'a'}", 19],
    ["stray closing parenthesis", "ActionMatches{'a'})", 18],
    ["dangling AND", "ActionMatches{'a'} AND", 22],
    ["unterminated quote", "ActionMatches{'a}", 14],
    ["missing braces", "ActionMatches('a')", 13],
    ["unknown word", "true", 0],
    ["two atoms without operator", "ActionMatches{'a'} ActionMatches{'b'}", 19],
    ["attribute without operator", "@Resource[x:y]", 0],
    ["unterminated attribute name", "@Resource[x:y StringEquals 'a'", 9],
  ])("%s → ConditionParseError with position", (_label, text, position) => {
    const parsed = tryParseCondition(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(ConditionParseError);
    expect(parsed.error.position).toBe(position);
    expect(parsed.error.message).toContain(`position ${position}`);
  });

  it("an unparseable condition evaluates to unknown, never true", () => {
    const outcome = evaluateConditionText("((ActionMatches{'*'}", SUBNET_READ);
    expect(outcome.value).toBe("unknown");
    expect(outcome.error).toBeInstanceOf(ConditionParseError);
  });
});

const tri = fc.constantFrom<Tri>("true", "false", "unknown");

const leaf: fc.Arbitrary<ConditionNode> = fc.oneof(
  fc.constantFrom<ConditionNode>(
    { kind: "action", pattern: SUBNET_READ },
    { kind: "action", pattern: WRITE },
    { kind: "action", pattern: "*/read" },
    { kind: "attribute", text: ATTR },
    { kind: "suboperation", value: "x" },
  ),
);
const { node: tree } = fc.letrec<{ node: ConditionNode }>((rec) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    rec("node").map((operand): ConditionNode => ({ kind: "not", operand })),
    fc.array(rec("node"), { minLength: 2, maxLength: 3 }).map((terms): ConditionNode => ({ kind: "and", terms })),
    fc.array(rec("node"), { minLength: 2, maxLength: 3 }).map((terms): ConditionNode => ({ kind: "or", terms })),
  ),
}));

/** Prints a tree in the condition language, mixing symbol and word operators. */
function print(node: ConditionNode, words: boolean): string {
  switch (node.kind) {
    case "action":
      return `ActionMatches{'${node.pattern}'}`;
    case "suboperation":
      return `SubOperationMatches{'${node.value}'}`;
    case "attribute":
      return node.text;
    case "not":
      return `${words ? "NOT " : "!"}(${print(node.operand, !words)})`;
    case "and":
      return `(${node.terms.map((t) => print(t, !words)).join(words ? " AND " : " && ")})`;
    case "or":
      return `(${node.terms.map((t) => print(t, !words)).join(words ? " OR " : " || ")})`;
  }
}

describe("three-valued logic properties", () => {
  it("De Morgan holds for the Kleene operators", () => {
    fc.assert(
      fc.property(tri, tri, (a, b) => {
        expect(kleeneNot(kleeneAnd(a, b))).toBe(kleeneOr(kleeneNot(a), kleeneNot(b)));
        expect(kleeneNot(kleeneOr(a, b))).toBe(kleeneAnd(kleeneNot(a), kleeneNot(b)));
      }),
    );
  });

  it("double negation and De Morgan hold for whole conditions", () => {
    fc.assert(
      fc.property(tree, tree, fc.constantFrom(SUBNET_READ, SUBNET_JOIN, WRITE), (a, b, action) => {
        const ev = (n: ConditionNode): Tri => evaluateCondition(n, action);
        expect(ev({ kind: "not", operand: { kind: "not", operand: a } })).toBe(ev(a));
        expect(ev({ kind: "not", operand: { kind: "and", terms: [a, b] } })).toBe(
          ev({
            kind: "or",
            terms: [
              { kind: "not", operand: a },
              { kind: "not", operand: b },
            ],
          }),
        );
      }),
    );
  });

  it("printing and re-parsing a condition keeps its value", () => {
    fc.assert(
      fc.property(tree, fc.boolean(), fc.constantFrom(SUBNET_READ, SUBNET_JOIN, WRITE), (node, words, action) => {
        expect(evaluateCondition(parseCondition(print(node, words)), action)).toBe(evaluateCondition(node, action));
      }),
    );
  });

  it("a condition without attributes is never unknown", () => {
    const noAttr = tree.filter(
      (n) => !JSON.stringify(n).includes('"attribute"') && !JSON.stringify(n).includes('"suboperation"'),
    );
    fc.assert(fc.property(noAttr, (n) => evaluateCondition(n, SUBNET_JOIN) !== "unknown"));
  });

  it("parsing arbitrary text either succeeds or throws ConditionParseError", () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(..."()!&|' {}[]@AaNnDdOoRrTtExistsActionMatches*/".split("")),
          maxLength: 40,
        }),
        (text) => {
          const parsed = tryParseCondition(text);
          if (!parsed.ok) expect(parsed.error.position).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
