/**
 * ABAC role-assignment conditions (Azure ABAC's documented condition format): a parser for the boolean structure and a
 * three-valued (Kleene) evaluator. Only `ActionMatches` can be decided offline; attribute expressions
 * (@Resource/@Request/@Principal/@Environment, Exists, ForAnyOfAnyValues:…) and SubOperationMatches
 * depend on request data we never see, so they evaluate to "unknown". Hand-written: no maintained
 * JavaScript parser exists for Azure's condition language, and the grammar is this small.
 *
 *   cond    := orExpr
 *   orExpr  := andExpr (("OR" | "||") andExpr)*
 *   andExpr := unary (("AND" | "&&") unary)*
 *   unary   := ("!" | "NOT") unary | "(" orExpr ")" | atom
 *   atom    := "ActionMatches{'" pattern "'}" | "SubOperationMatches{'" s "'}" | attributeExpr
 */
import { actionMatches } from "./actions.js";

export type ConditionNode =
  | { kind: "or"; terms: ConditionNode[] }
  | { kind: "and"; terms: ConditionNode[] }
  | { kind: "not"; operand: ConditionNode }
  | { kind: "action"; pattern: string }
  | { kind: "suboperation"; value: string }
  /** an attribute expression kept as opaque text, e.g. "@Resource[…:name] StringEquals 'x'" */
  | { kind: "attribute"; text: string };

/** Kleene truth value. */
export type Tri = "true" | "false" | "unknown";

export class ConditionParseError extends Error {
  /** 0-based character offset in the condition where parsing failed */
  readonly position: number;
  readonly condition: string;
  constructor(problem: string, condition: string, position: number) {
    super(`cannot parse ABAC condition: ${problem} at position ${position}`);
    this.name = "ConditionParseError";
    this.position = position;
    this.condition = condition;
  }
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): ConditionNode {
    this.skipWs();
    if (this.pos >= this.text.length) this.fail("the condition is empty");
    const node = this.parseOr();
    this.skipWs();
    if (this.pos < this.text.length) {
      this.fail(
        this.peek() === ")" ? "unbalanced ')'" : `expected AND, OR or end of condition but found '${this.snippet()}'`,
      );
    }
    return node;
  }

  private fail(problem: string, at: number = this.pos): never {
    throw new ConditionParseError(problem, this.text, at);
  }

  private peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  private snippet(): string {
    return this.text.slice(this.pos, this.pos + 20);
  }

  private skipWs(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? "")) this.pos++;
  }

  /** Case-insensitive keyword at the cursor that is not the prefix of a longer word. */
  private atWord(word: string, at: number = this.pos): boolean {
    return (
      this.text.slice(at, at + word.length).toLowerCase() === word.toLowerCase() &&
      !isWordChar(this.text[at + word.length])
    );
  }

  private takeOperator(symbol: string, word: string): boolean {
    this.skipWs();
    if (this.text.startsWith(symbol, this.pos)) {
      this.pos += symbol.length;
      return true;
    }
    if (this.atWord(word)) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private parseOr(): ConditionNode {
    const terms = [this.parseAnd()];
    while (this.takeOperator("||", "OR")) terms.push(this.parseAnd());
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "or", terms };
  }

  private parseAnd(): ConditionNode {
    const terms = [this.parseUnary()];
    while (this.takeOperator("&&", "AND")) terms.push(this.parseUnary());
    return terms.length === 1 && terms[0] ? terms[0] : { kind: "and", terms };
  }

  private parseUnary(): ConditionNode {
    this.skipWs();
    if (this.peek() === "!") {
      this.pos++;
      return { kind: "not", operand: this.parseUnary() };
    }
    if (this.atWord("NOT")) {
      this.pos += 3;
      return { kind: "not", operand: this.parseUnary() };
    }
    if (this.peek() === "(") {
      const open = this.pos;
      this.pos++;
      const inner = this.parseOr();
      this.skipWs();
      if (this.peek() !== ")") {
        this.fail(
          this.pos >= this.text.length
            ? `'(' at position ${open} is never closed`
            : `expected ')' but found '${this.snippet()}'`,
        );
      }
      this.pos++;
      return inner;
    }
    return this.parseAtom();
  }

  private parseAtom(): ConditionNode {
    this.skipWs();
    if (this.pos >= this.text.length) this.fail("expected an expression but the condition ended");
    if (this.atWord("ActionMatches")) {
      this.pos += "ActionMatches".length;
      return { kind: "action", pattern: this.parseBracedString("ActionMatches") };
    }
    if (this.atWord("SubOperationMatches")) {
      this.pos += "SubOperationMatches".length;
      return { kind: "suboperation", value: this.parseBracedString("SubOperationMatches") };
    }
    if (this.peek() === "@" || this.atWord("Exists")) return this.parseAttribute();
    this.fail(
      `expected ActionMatches{…}, SubOperationMatches{…}, an attribute expression, '!' or '(' but found '${this.snippet()}'`,
    );
  }

  private parseBracedString(fn: string): string {
    this.skipWs();
    if (this.peek() !== "{") this.fail(`expected '{' after ${fn}`);
    this.pos++;
    this.skipWs();
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') this.fail(`expected a quoted string in ${fn}{…}`);
    const value = this.readQuoted();
    this.skipWs();
    if (this.peek() !== "}") this.fail(`expected '}' to close ${fn}{…}`);
    this.pos++;
    return value;
  }

  /** Reads a quoted string at the cursor (backslash escapes the next character). */
  private readQuoted(): string {
    const start = this.pos;
    const quote = this.text[start];
    let out = "";
    let i = start + 1;
    while (i < this.text.length) {
      const c = this.text[i];
      if (c === "\\" && i + 1 < this.text.length) {
        out += this.text[i + 1];
        i += 2;
        continue;
      }
      if (c === quote) {
        this.pos = i + 1;
        return out;
      }
      out += c;
      i++;
    }
    this.fail("unterminated quoted string", start);
  }

  /**
   * An attribute expression is not parsed further: it runs to the next top-level AND/OR/&&/|| or the
   * closing parenthesis of the enclosing group, skipping quoted strings, [attribute names] and {value sets}.
   */
  private parseAttribute(): ConditionNode {
    const start = this.pos;
    let parens = 0;
    let braces = 0;
    let i = start;
    scan: while (i < this.text.length) {
      const c = this.text[i];
      switch (c) {
        case "'":
        case '"': {
          this.pos = i;
          this.readQuoted();
          i = this.pos;
          continue;
        }
        case "[": {
          const close = this.text.indexOf("]", i + 1);
          if (close < 0) this.fail("unterminated '[' in attribute expression", i);
          i = close + 1;
          continue;
        }
        case "{":
          braces++;
          break;
        case "}":
          if (braces === 0) this.fail("unbalanced '}' in attribute expression", i);
          braces--;
          break;
        case "(":
          parens++;
          break;
        case ")":
          if (parens === 0) break scan;
          parens--;
          break;
        default:
          if (parens === 0 && braces === 0) {
            if (this.text.startsWith("&&", i) || this.text.startsWith("||", i)) break scan;
            if (!isWordChar(this.text[i - 1]) && (this.atWord("AND", i) || this.atWord("OR", i))) break scan;
          }
      }
      i++;
    }
    if (parens > 0) this.fail("unbalanced '(' in attribute expression", start);
    if (braces > 0) this.fail("unterminated '{' in attribute expression", start);
    const text = this.text.slice(start, i).trim();
    const shape = /^(exists\s+)?@[A-Za-z]+\[[^\]]*\](.*)$/is.exec(text);
    if (!shape) this.fail("expected an attribute like @Resource[…] in attribute expression", start);
    const hasOperator = (shape[2] ?? "").trim().length > 0;
    if (!shape[1] && !hasOperator) this.fail("attribute expression has no operator", start);
    this.pos = i;
    return { kind: "attribute", text };
  }
}

/** Parses a condition; throws ConditionParseError with the failing position. */
export function parseCondition(text: string): ConditionNode {
  return new Parser(text).parse();
}

export type ParseOutcome = { ok: true; node: ConditionNode } | { ok: false; error: ConditionParseError };

export function tryParseCondition(text: string): ParseOutcome {
  try {
    return { ok: true, node: parseCondition(text) };
  } catch (err) {
    if (err instanceof ConditionParseError) return { ok: false, error: err };
    throw err;
  }
}

export function kleeneNot(a: Tri): Tri {
  return a === "unknown" ? "unknown" : a === "true" ? "false" : "true";
}

export function kleeneAnd(a: Tri, b: Tri): Tri {
  if (a === "false" || b === "false") return "false";
  if (a === "unknown" || b === "unknown") return "unknown";
  return "true";
}

export function kleeneOr(a: Tri, b: Tri): Tri {
  if (a === "true" || b === "true") return "true";
  if (a === "unknown" || b === "unknown") return "unknown";
  return "false";
}

/** Evaluates a parsed condition for one action. */
export function evaluateCondition(node: ConditionNode, action: string): Tri {
  switch (node.kind) {
    case "action":
      return actionMatches(node.pattern, action) ? "true" : "false";
    case "suboperation":
    case "attribute":
      return "unknown";
    case "not":
      return kleeneNot(evaluateCondition(node.operand, action));
    case "and":
      return node.terms.reduce<Tri>(
        (acc, t) => (acc === "false" ? acc : kleeneAnd(acc, evaluateCondition(t, action))),
        "true",
      );
    case "or":
      return node.terms.reduce<Tri>(
        (acc, t) => (acc === "true" ? acc : kleeneOr(acc, evaluateCondition(t, action))),
        "false",
      );
  }
}

/** The atoms that cannot be decided offline, as text, for explanations. */
export function undecidableAtoms(node: ConditionNode): string[] {
  switch (node.kind) {
    case "action":
      return [];
    case "suboperation":
      return [`SubOperationMatches{'${node.value}'}`];
    case "attribute":
      return [node.text];
    case "not":
      return undecidableAtoms(node.operand);
    case "and":
    case "or":
      return node.terms.flatMap(undecidableAtoms);
  }
}

export interface ConditionVerdict {
  value: Tri;
  /** set when the condition did not parse: the value is then "unknown" (never a grant) */
  error?: ConditionParseError;
  node?: ConditionNode;
}

/** Parses and evaluates; an unparseable condition is "unknown" so it can never produce a grant. */
export function evaluateConditionText(text: string, action: string): ConditionVerdict {
  const parsed = tryParseCondition(text);
  if (!parsed.ok) return { value: "unknown", error: parsed.error };
  return { value: evaluateCondition(parsed.node, action), node: parsed.node };
}
