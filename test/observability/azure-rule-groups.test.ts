/**
 * The Azure managed Prometheus rule groups (ARM JSON and Bicep) as an Azure user deploys them: the same
 * expressions as the PrometheusRule, and an ARM template Azure accepts the shape of.
 *
 * No Bicep compiler or ARM endpoint is reachable from the tests, so the ARM JSON is checked against the
 * deployment-template shape and the prometheusRuleGroups 2023-03-01 request schema (written below with zod
 * from the REST API reference), and the Bicep file by decoding its string literals.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { allAlerts, ruleGroups, type RuleGroup } from "../../observability/alerts.js";
import { AZURE_SEVERITY, bicepString, isoDuration } from "../../observability/azure-rule-groups.js";
import { REPO_ROOT } from "../../observability/generate.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const arm = JSON.parse(read("observability/generated/azure/prometheus-rule-groups.json")) as unknown;
const bicep = read("observability/generated/azure/prometheus-rule-groups.bicep");
const prometheusRule = parse(read("manifests/prometheusrule.yaml")) as { spec: { groups: RuleGroup[] } };

/** An ARM template expression: the whole string in brackets (a leading `[[` is an escaped literal). */
const isArmExpression = (s: string): boolean => s.startsWith("[") && !s.startsWith("[[") && s.endsWith("]");
const armLiteral = (s: string): string => (s.startsWith("[[") ? s.slice(1) : s);

const isoDurationSchema = z.string().regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/);
const parameterSchema = z.strictObject({
  type: z.enum(["string", "securestring", "int", "bool", "object", "secureObject", "array"]),
  defaultValue: z.unknown().optional(),
  allowedValues: z.array(z.unknown()).optional(),
  metadata: z.strictObject({ description: z.string() }).optional(),
});
const ruleSchema = z.strictObject({
  alert: z.string().min(1),
  expression: z.string().min(1),
  for: isoDurationSchema.optional(),
  severity: z.number().int().min(0).max(4),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  enabled: z.boolean(),
  resolveConfiguration: z.strictObject({ autoResolved: z.boolean(), timeToResolve: isoDurationSchema }),
  actions: z.string().refine(isArmExpression, "actions is an ARM expression"),
});
const resourceSchema = z.strictObject({
  type: z.literal("Microsoft.AlertsManagement/prometheusRuleGroups"),
  apiVersion: z.literal("2023-03-01"),
  name: z.string().refine(isArmExpression),
  location: z.string(),
  properties: z.strictObject({
    description: z.string(),
    scopes: z.array(z.string()).length(1), // "currently limited to creating with one scope"
    clusterName: z.string(),
    enabled: z.boolean(),
    // "between 1 and 15 minutes"
    interval: z.string().regex(/^PT([1-9]|1[0-5])M$/),
    rules: z.array(ruleSchema).min(1),
  }),
});
const templateSchema = z.strictObject({
  $schema: z.literal("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"),
  contentVersion: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/),
  metadata: z.record(z.string(), z.unknown()).optional(),
  parameters: z.record(z.string(), parameterSchema),
  resources: z.array(resourceSchema).min(1),
});
type Template = z.infer<typeof templateSchema>;

/** Every string in the value, with its JSON path. */
function strings(v: unknown, path = "$"): Array<[string, string]> {
  if (typeof v === "string") return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => strings(x, `${path}.${k}`));
  return [];
}

/** Decodes the Bicep single-quoted string literals of `key: '...'` lines. */
function bicepValues(text: string, key: string): string[] {
  const re = new RegExp(`^\\s*${key}: '((?:[^'\\\\]|\\\\.)*)'$`, "gm");
  return [...text.matchAll(re)].map((m) =>
    (m[1] ?? "").replace(/\\(u\{[0-9a-fA-F]+\}|.)/g, (_all, c: string) => {
      if (c.startsWith("u{")) return String.fromCodePoint(parseInt(c.slice(2, -1), 16));
      return ({ n: "\n", r: "\r", t: "\t" } as Record<string, string>)[c] ?? c;
    }),
  );
}

describe("Azure managed Prometheus rule groups", () => {
  const template: Template = templateSchema.parse(arm);

  it("the ARM JSON has the shape of a deployment template with prometheusRuleGroups resources", () => {
    expect(template.resources.map((r) => r.name)).toEqual(
      ruleGroups.map((g) => `[concat(parameters('namePrefix'), '${g.name}')]`),
    );
    // Azure rule group names may not contain these characters (REST API: ^[^:@/#{}%&+*<>?]+$)
    for (const g of ruleGroups) expect(g.name).toMatch(/^[^:@/#{}%&+*<>?]+$/);
  });

  it("the schema check rejects what Azure rejects, so passing it means something", () => {
    const broken = structuredClone(arm) as { resources: Array<{ properties: Record<string, unknown> }> };
    const props = broken.resources[0]?.properties as { interval: string; rules: Array<Record<string, unknown>> };
    props.interval = "PT30M";
    expect(templateSchema.safeParse(broken).success).toBe(false);
    props.interval = "PT1M";
    (props.rules[0] as { severity: number }).severity = 5;
    expect(templateSchema.safeParse(broken).success).toBe(false);
  });

  it("every ARM expression refers only to declared parameters, and no literal is read as an expression", () => {
    const declared = new Set(Object.keys(template.parameters));
    for (const [path, s] of strings(template)) {
      if (path.startsWith("$.parameters") || path === "$.$schema") continue;
      if (!s.startsWith("[")) continue;
      if (s.startsWith("[[")) continue;
      expect(isArmExpression(s), `${path}: ${s}`).toBe(true);
      for (const m of s.matchAll(/parameters\('([^']+)'\)/g)) expect(declared, path).toContain(m[1]);
    }
    // required parameters are exactly the workspace and its region
    const required = Object.entries(template.parameters)
      .filter(([, p]) => p.defaultValue === undefined)
      .map(([k]) => k);
    expect(required.sort()).toEqual(["azureMonitorWorkspaceId", "location"]);
  });

  it("ARM JSON and Bicep carry exactly the PrometheusRule's expressions, durations, labels and annotations", () => {
    const fromCr = prometheusRule.spec.groups.flatMap((g) => g.rules);
    expect(fromCr.map((r) => r.alert)).toEqual(allAlerts().map((a) => a.alert));
    const armRules = template.resources.flatMap((r) => r.properties.rules);
    expect(armRules.map((r) => r.alert)).toEqual(fromCr.map((r) => r.alert));
    armRules.forEach((r, i) => {
      const cr = fromCr[i];
      if (!cr) throw new Error("missing rule");
      expect(armLiteral(r.expression), r.alert).toBe(cr.expr);
      expect(r.for, r.alert).toBe(cr.for === undefined ? undefined : isoDuration(cr.for));
      expect(r.severity, r.alert).toBe(AZURE_SEVERITY[cr.labels.severity]);
      expect(r.labels, r.alert).toEqual(cr.labels);
      expect(r.annotations, r.alert).toEqual(cr.annotations);
    });
    expect(bicepValues(bicep, "expression")).toEqual(fromCr.map((r) => r.expr));
    expect(bicepValues(bicep, "alert")).toEqual(fromCr.map((r) => r.alert));
    expect(bicepValues(bicep, "description").filter((d) => d.includes("{{"))).toEqual(
      fromCr.map((r) => r.annotations.description),
    );
    expect(bicepValues(bicep, "for")).toEqual(fromCr.map((r) => isoDuration(r.for ?? "")));
  });

  it("Bicep string literals escape what Bicep would otherwise interpret", () => {
    const tricky = "a'b\\c ${notInterpolated} \n{{ $labels.x }}";
    const [decoded] = bicepValues(`  expression: ${bicepString(tricky)}`, "expression");
    expect(decoded).toBe(tricky);
    expect(bicepString("${x}")).toBe("'\\${x}'");
  });

  it("converts Prometheus durations to ISO 8601", () => {
    expect(["30s", "5m", "1h", "1d"].map(isoDuration)).toEqual(["PT30S", "PT5M", "PT1H", "P1D"]);
    expect(() => isoDuration("1h30m")).toThrow();
  });
});
