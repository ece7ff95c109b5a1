/**
 * The shipped memory settings are the formula's (src/config/memory-sizing.ts), not numbers typed in
 * two places: the chart's values and the kustomize manifests rendered from it must carry exactly the
 * request, limit and heap cap the formula gives at its design point.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { DESIGN_POINT, MEMORY_MODEL, SHIPPED_SIZING, memorySizing } from "../../src/config/memory-sizing.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("memory sizing", () => {
  it("grows with nodeclasses and nodes, and keeps the heap cap below the limit", () => {
    const small = memorySizing({ nodeclasses: 10, nodes: 0 });
    const moreClasses = memorySizing({ nodeclasses: 5_000, nodes: 0 });
    const moreNodes = memorySizing({ nodeclasses: 10, nodes: 20_000 });
    for (const s of [small, moreClasses, moreNodes, SHIPPED_SIZING]) {
      expect(s.heapMiB).toBeLessThan(s.limitMiB);
      expect(s.requestMiB).toBeLessThanOrEqual(s.limitMiB);
      // the heap cap stays above what the heap retains
      expect(s.heapMiB).toBeGreaterThan(MEMORY_MODEL.heapBaseMiB);
    }
    expect(moreClasses.limitMiB).toBeGreaterThan(small.limitMiB);
    expect(moreNodes.limitMiB).toBeGreaterThan(small.limitMiB);
    expect(moreClasses.heapMiB).toBeGreaterThan(small.heapMiB);
  });

  it("the chart's values carry the formula's settings at the design point", () => {
    const values = parse(readFileSync(path.join(root, "charts/aks-subnet-health/values.yaml"), "utf8")) as {
      resources: { requests: { memory: string }; limits: { memory: string } };
      maxOldSpaceSizeMiB: number;
    };
    expect(DESIGN_POINT).toEqual({ nodeclasses: 1_000, nodes: 5_000 });
    expect(values.resources.requests.memory).toBe(`${SHIPPED_SIZING.requestMiB}Mi`);
    expect(values.resources.limits.memory).toBe(`${SHIPPED_SIZING.limitMiB}Mi`);
    expect(values.maxOldSpaceSizeMiB).toBe(SHIPPED_SIZING.heapMiB);
  });

  it("the kustomize Deployment carries them too", () => {
    const docs = parseAllDocuments(readFileSync(path.join(root, "manifests/deployment.yaml"), "utf8"));
    const deployment = docs.map((d) => d.toJSON() as Record<string, unknown>).find((d) => d?.kind === "Deployment") as {
      spec: {
        template: {
          spec: {
            containers: Array<{
              env?: Array<{ name: string; value?: string }>;
              resources: { requests: { memory: string }; limits: { memory: string } };
            }>;
          };
        };
      };
    };
    const c = deployment.spec.template.spec.containers[0]!;
    expect(c.resources.requests.memory).toBe(`${SHIPPED_SIZING.requestMiB}Mi`);
    expect(c.resources.limits.memory).toBe(`${SHIPPED_SIZING.limitMiB}Mi`);
    expect(c.env?.find((e) => e.name === "NODE_OPTIONS")?.value).toBe(`--max-old-space-size=${SHIPPED_SIZING.heapMiB}`);
  });
});
