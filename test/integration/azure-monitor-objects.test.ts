/**
 * The Azure managed Prometheus scrape objects as the AKS metrics add-on's API server sees them: the add-on's own
 * CRDs (copied into third_party/crds/azure-monitor, see the README there) are installed into the real kube-apiserver,
 * and the generated ServiceMonitor and PodMonitor are created with strict field validation, so a field the add-on
 * does not know, or a wrong type, fails here rather than being silently pruned on a user's cluster.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { apiRequest, azureMonitorCrdFiles, installCrds } from "../../hack/control-plane.js";
import { REPO_ROOT } from "../../observability/generate.js";
import { controlPlane, uniqueName } from "../support/kube.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const GROUP = "azmonitoring.coreos.com";

interface Monitor {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Raw requests, as the typed client's serializer would drop fields it does not model. */
const kube = (method: string, path: string, body?: unknown) => apiRequest(controlPlane(), method, path, body);

describe("Azure managed Prometheus scrape objects (azmonitoring.coreos.com/v1)", () => {
  const namespace = uniqueName("ama");
  const create = (plural: string, body: unknown) =>
    kube("POST", `/apis/${GROUP}/v1/namespaces/${namespace}/${plural}?fieldValidation=Strict`, body);

  beforeAll(async () => {
    await installCrds(controlPlane(), azureMonitorCrdFiles());
    const ns = await kube("POST", "/api/v1/namespaces", { metadata: { name: namespace } });
    expect(ns.status, ns.body).toBe(201);
  });

  it.each([
    ["ServiceMonitor", "servicemonitors", "observability/generated/azure/servicemonitor.yaml"],
    ["PodMonitor", "podmonitors", "observability/generated/azure/podmonitor.yaml"],
  ])(
    "the generated %s is accepted by the add-on's CRD with strict validation, unchanged",
    async (kind, plural, file) => {
      const obj = parse(read(file)) as Monitor;
      expect(obj.apiVersion).toBe(`${GROUP}/v1`);
      expect(obj.kind).toBe(kind);
      const body = { ...obj, metadata: { ...obj.metadata, namespace } };
      const res = await create(plural, body);
      expect(res.status, res.body).toBe(201);
      // nothing pruned: what the add-on reads is what we wrote
      expect((JSON.parse(res.body) as Monitor).spec).toEqual(obj.spec);
    },
  );

  it("strict validation does reject a field the add-on does not know, so acceptance means something", async () => {
    const obj = parse(read("observability/generated/azure/servicemonitor.yaml")) as Monitor;
    const body = {
      ...obj,
      metadata: { ...obj.metadata, name: "bogus", namespace },
      spec: { ...obj.spec, scrapeEverything: true },
    };
    const res = await create("servicemonitors", body);
    expect(res.status, res.body).toBe(400);
    expect(res.body).toContain("strict decoding error");
    expect(res.body).toContain("scrapeEverything");
  });
});
