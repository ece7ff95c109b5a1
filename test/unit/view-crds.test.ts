/**
 * The view CRDs: one copy in crds/ (kubectl apply, the test control planes) and the Helm chart's crds/
 * carrying the same text; every printer column reads a field the schema declares.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { VIEWS } from "../../src/domain.js";

const root = path.resolve(import.meta.dirname, "../..");
const FILES = [`${VIEWS.nodeClassPlural}.yaml`, `${VIEWS.subnetPlural}.yaml`];

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      subresources: { status: object };
      additionalPrinterColumns: Array<{ name: string; jsonPath: string; priority?: number }>;
      schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } };
    }>;
  };
}

describe.each(FILES)("%s", (file) => {
  const text = readFileSync(path.join(root, "crds", file), "utf8");
  const crd = parse(text) as Crd;
  const [version] = crd.spec.versions;

  test("the chart installs the same CRD", () => {
    expect(readFileSync(path.join(root, "charts/aks-subnet-health/crds", file), "utf8")).toBe(text);
  });

  test("cluster-scoped, our group and version, status subresource, short name, the shared category", () => {
    expect(crd.spec.group).toBe(VIEWS.group);
    expect(crd.spec.scope).toBe("Cluster");
    expect(version?.name).toBe(VIEWS.version);
    expect(version?.subresources.status).toEqual({});
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    expect(crd.spec.names.categories).toEqual([VIEWS.category]);
    expect([VIEWS.nodeClassKind, VIEWS.subnetKind]).toContain(crd.spec.names.kind);
  });

  test("every printer column reads a declared status field", () => {
    const fields = Object.keys(version?.schema.openAPIV3Schema.properties.status.properties ?? {});
    for (const c of version?.additionalPrinterColumns ?? []) {
      if (c.jsonPath === ".metadata.creationTimestamp") continue;
      expect(fields, c.name).toContain(c.jsonPath.replace(/^\.status\./, ""));
    }
  });
});
