/**
 * The Helm chart as a cluster admin meets it: `helm lint`, `helm template` with the value sets in
 * charts/aks-subnet-health/ci/, a server-side dry run of everything it renders against the real API
 * server (prometheus-operator CRDs installed) into a namespace enforcing Pod Security `restricted`,
 * refusal of a release without the cluster ID, and the kustomize manifests held equal to the chart.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { azureMonitorCrdFiles, binDir, installCrds, prometheusOperatorCrdFiles } from "../../hack/control-plane.js";
import { helmBin, renderManifests } from "../../hack/render-manifests.js";
import { controlPlane, uniqueName } from "../support/kube.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const CHART = path.join(root, "charts", "aks-subnet-health");
const VALUE_SETS = readdirSync(path.join(CHART, "ci")).filter((f) => f.endsWith(".yaml"));
const CLUSTER_ID =
  "/subscriptions/5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c/resourcegroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod";
const CLIENT_ID = "7d4e1c2b-3a5f-4e6d-8c9b-0a1b2c3d4e5f";

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: Record<string, unknown> & {
    containers: Array<{ image: string; args?: string[]; envFrom?: Array<{ configMapRef?: { name: string } }> }>;
  };
}

/** Drops what only a Helm release carries (its labels, the config checksum) and kustomize's name hashes. */
function withoutHelmBookkeeping(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHelmBookkeeping);
  if (typeof value === "string") return value.replace(/^aks-subnet-health-[a-z0-9]{10}$/, "aks-subnet-health");
  if (value === null || typeof value !== "object") return value ?? null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "helm.sh/chart" || k === "app.kubernetes.io/managed-by" || k === "checksum/config") continue;
    const cleaned = withoutHelmBookkeeping(v);
    if (k === "annotations" && cleaned !== null && typeof cleaned === "object" && Object.keys(cleaned).length === 0)
      continue;
    out[k] = cleaned;
  }
  return out;
}

let helm = "";
let kubectl = "";
const helmRun = (args: string[]) => run(helm, args, { maxBuffer: 16 * 1024 * 1024 });

async function template(namespace: string, args: string[]): Promise<K8sObject[]> {
  const { stdout } = await helmRun(["template", "aks-subnet-health", CHART, "--namespace", namespace, ...args]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const podTemplate = (objects: K8sObject[]): PodTemplate => {
  const deployment = objects.find((o) => o.kind === "Deployment");
  if (!deployment) throw new Error("no Deployment rendered");
  return (deployment.spec as { template: PodTemplate }).template;
};

async function kubectlIn(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const cp = controlPlane("ours");
  const child = run(kubectl, ["--kubeconfig", cp.kubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

beforeAll(async () => {
  helm = helmBin();
  kubectl = path.join(binDir(), "kubectl");
  await installCrds(controlPlane("ours"), [...prometheusOperatorCrdFiles(), ...azureMonitorCrdFiles()]);
});

describe("helm lint and template", () => {
  test.each(VALUE_SETS)("helm lint --strict passes with ci/%s", async (file) => {
    const { stdout } = await helmRun(["lint", CHART, "--strict", "-f", path.join(CHART, "ci", file)]);
    expect(stdout).toContain("0 chart(s) failed");
  });

  test("the cluster-ID install: settings from values, workload identity, restricted pod, no placeholder", async () => {
    const objects = await template("ops", ["-f", path.join(CHART, "ci", "cluster-id-values.yaml")]);
    const config = objects.find((o) => o.kind === "ConfigMap" && !o.metadata.name.endsWith("-dashboard"));
    expect(config?.data?.CLUSTER_RESOURCE_ID).toBe(CLUSTER_ID);
    // nothing set by hand: default subnet, Karpenter's identity and network come from the managed cluster
    for (const key of ["VNET_SUBNET_ID", "KARPENTER_PRINCIPAL_ID", "NETWORK_PLUGIN"])
      expect(config?.data?.[key], key).toBeUndefined();
    const sa = objects.find((o) => o.kind === "ServiceAccount");
    expect(sa?.metadata.annotations?.["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
    const pod = podTemplate(objects);
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
    expect(pod.spec.containers[0]?.envFrom?.[0]?.configMapRef?.name).toBe(config?.metadata.name);
    expect(pod.spec.containers[0]?.args).toContain("--leader-elect");
    for (const o of objects) {
      if (o.kind.startsWith("Cluster")) expect(o.metadata.namespace, o.kind).toBeUndefined();
      // Events about cluster-scoped AKSNodeClasses are accepted in "default" only: their Role lives there
      else if (o.metadata.name.endsWith("-events")) expect(o.metadata.namespace, o.kind).toBe("default");
      else expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe("ops");
    }
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/00000000-0000-0000-0000-000000000000|CHANGE-ME/i);
    // monitoring objects are opt-in: a cluster without prometheus-operator installs cleanly
    expect(objects.map((o) => o.kind)).not.toContain("ServiceMonitor");
    expect(objects.map((o) => o.kind)).not.toContain("PrometheusRule");
  });

  test("the explicit install without the cluster ID: overrides reach the operator, no Lease RBAC", async () => {
    const objects = await template("ops", ["-f", path.join(CHART, "ci", "explicit-values.yaml")]);
    const config = objects.find((o) => o.kind === "ConfigMap");
    expect(config?.data).toMatchObject({
      VNET_SUBNET_ID: expect.stringContaining("/subnets/nodes") as unknown,
      KARPENTER_PRINCIPAL_ID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      NETWORK_PLUGIN: "azure",
      NETWORK_PLUGIN_MODE: "overlay",
      POD_CIDR: "10.244.0.0/16",
      ALLOWED_SUBSCRIPTIONS: "5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c",
    });
    expect(config?.data?.CLUSTER_RESOURCE_ID).toBeUndefined();
    expect(objects.filter((o) => o.kind === "Role").map((o) => o.metadata.name)).toEqual(["aks-subnet-health-events"]);
    expect(objects.map((o) => o.kind)).not.toContain("PodDisruptionBudget");
    expect(podTemplate(objects).spec.containers[0]?.args).not.toContain("--leader-elect");
    const sa = objects.find((o) => o.kind === "ServiceAccount");
    expect(sa?.metadata.annotations?.["azure.workload.identity/tenant-id"]).toBe(
      "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    );
  });

  test("every toggle: monitoring objects, image by digest, labels and annotations on every object", async () => {
    const objects = await template("ops", ["-f", path.join(CHART, "ci", "full-values.yaml")]);
    const kinds = objects.map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
    const dashboard = objects.find((o) => o.metadata.name.endsWith("-dashboard"));
    expect(dashboard?.metadata.labels?.grafana_dashboard).toBe("1");
    expect(JSON.parse(dashboard?.data?.["aks-subnet-health.json"] ?? "null")).toEqual(
      JSON.parse(readFileSync(path.join(root, "manifests", "grafana-dashboard.json"), "utf8")),
    );
    for (const o of objects) {
      expect(o.metadata.labels?.team, `${o.kind} ${o.metadata.name}`).toBe("platform");
      expect(o.metadata.annotations?.owner, `${o.kind} ${o.metadata.name}`).toBe("platform@example.com");
    }
    const pod = podTemplate(objects);
    expect(pod.spec.containers[0]?.image).toBe(
      "ghcr.io/aks-subnet-health/aks-subnet-health@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    expect(pod.metadata.labels["cost-center"]).toBe("42");
    expect(pod.spec.containers[0]?.args).toContain("--concurrency=20");
    const sm = objects.find((o) => o.kind === "ServiceMonitor" && o.apiVersion === "monitoring.coreos.com/v1");
    expect(sm?.metadata.labels?.release).toBe("kube-prometheus-stack");
    // the Azure managed Prometheus toggle: the same scrape, in the add-on's API group
    const ama = objects.find((o) => o.kind === "ServiceMonitor" && o.apiVersion === "azmonitoring.coreos.com/v1");
    expect(ama?.spec).toEqual(sm?.spec);
  });
});

describe("a release the chart refuses", () => {
  test("without the cluster ID (and without the explicit set): the error names azure.clusterResourceId", async () => {
    const err = await helmRun(["template", "x", CHART, "--set", `workloadIdentity.clientId=${CLIENT_ID}`]).then(
      () => undefined,
      (e: unknown) => e as { stderr: string },
    );
    expect(err?.stderr).toMatch(/azure\/clusterResourceId/);
  });

  test.each([
    [
      "an all-zero GUID",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
    ],
    [
      "CHANGE-ME",
      "/subscriptions/5f3c3a7e-8d14-4c3e-9a59-0d7b3e1f2a6c/resourceGroups/CHANGE-ME/providers/Microsoft.ContainerService/managedClusters/CHANGE-ME",
    ],
    ["an unparseable ID", "aks-prod"],
  ])("a cluster ID holding %s", async (_what, id) => {
    const err = await helmRun([
      "template",
      "x",
      CHART,
      "--set",
      `workloadIdentity.clientId=${CLIENT_ID}`,
      "--set",
      `azure.clusterResourceId=${id}`,
    ]).then(
      () => undefined,
      (e: unknown) => e as { stderr: string },
    );
    expect(err?.stderr).toMatch(/azure\/clusterResourceId/);
  });

  test("without the workload identity client ID", async () => {
    const err = await helmRun(["template", "x", CHART, "--set", `azure.clusterResourceId=${CLUSTER_ID}`]).then(
      () => undefined,
      (e: unknown) => e as { stderr: string },
    );
    expect(err?.stderr).toMatch(/workloadIdentity\/clientId/);
  });
});

describe("server-side dry run against the real API server", () => {
  const namespace = uniqueName("chart-restricted");
  beforeAll(async () => {
    await kubectlIn(["create", "namespace", namespace]);
    await kubectlIn([
      "label",
      "namespace",
      namespace,
      "pod-security.kubernetes.io/enforce=restricted",
      "pod-security.kubernetes.io/warn=restricted",
    ]);
  });
  afterAll(async () => {
    await kubectlIn(["delete", "namespace", namespace, "--wait=false"]).catch(() => undefined);
  });

  test.each(VALUE_SETS)("everything rendered with ci/%s is accepted, with no Pod Security warning", async (file) => {
    const objects = await template(namespace, ["-f", path.join(CHART, "ci", file)]);
    const manifest = objects.map((o) => JSON.stringify(o)).join("\n");
    const { stdout, stderr } = await kubectlIn(["apply", "--dry-run=server", "-f", "-"], manifest);
    // cluster-scoped objects (ClusterRoles, the Events Role in default) may already exist, created by
    // another test file without kubectl apply: kubectl's note about that annotation is not a finding
    const warnings = stderr
      .split("\n")
      .filter((l) => /Warning/i.test(l) && !/last-applied-configuration annotation/.test(l));
    expect(warnings).toEqual([]);
    expect(stdout.trim().split("\n")).toHaveLength(objects.length);
    // Pod Security enforces on Pods: the Deployment's pod, created (dry run) in the restricted namespace
    const pod = podTemplate(objects);
    const asPod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "operator", namespace, labels: pod.metadata.labels },
      spec: pod.spec,
    };
    await expect(kubectlIn(["create", "--dry-run=server", "-f", "-"], JSON.stringify(asPod))).resolves.toBeDefined();
  });

  test("control: a pod without the chart's security context is refused there", async () => {
    const pod = podTemplate(await template(namespace, ["-f", path.join(CHART, "ci", "cluster-id-values.yaml")]));
    const spec = {
      ...pod.spec,
      securityContext: {},
      containers: pod.spec.containers.map((c) => ({ ...c, securityContext: {} })),
    };
    const asPod = { apiVersion: "v1", kind: "Pod", metadata: { name: "loose", namespace }, spec };
    const err = await kubectlIn(["create", "--dry-run=server", "-f", "-"], JSON.stringify(asPod)).then(
      () => undefined,
      (e: unknown) => e as { stderr: string },
    );
    expect(err?.stderr).toMatch(/violates PodSecurity "restricted/);
  });
});

describe("the kustomize manifests are the chart's", () => {
  test("manifests/ is what hack/render-manifests.ts renders from the chart now", () => {
    for (const [file, content] of Object.entries(renderManifests(helm))) {
      expect(
        readFileSync(path.join(root, file), "utf8"),
        `${file} is stale: run npx tsx hack/render-manifests.ts`,
      ).toBe(content);
    }
  });

  test("kubectl kustomize builds the same objects as the chart, with the settings from operator.env", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kustomize-"));
    try {
      cpSync(path.join(root, "manifests"), dir, { recursive: true });
      const noEnv = await kubectlIn(["kustomize", dir]).then(
        () => undefined,
        (e: unknown) => e as { stderr: string },
      );
      expect(noEnv?.stderr).toContain("operator.env");
      writeFileSync(
        path.join(dir, "operator.env"),
        `CLUSTER_RESOURCE_ID=${CLUSTER_ID}\nAZURE_CLIENT_ID=${CLIENT_ID}\n`,
      );
      const { stdout } = await kubectlIn(["kustomize", dir]);
      const kust = parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
      const chart = await template("aks-subnet-health", [
        "-f",
        path.join(CHART, "ci", "cluster-id-values.yaml"),
        "--set",
        "metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true",
      ]);
      const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, "")}`;
      const byKey = new Map(kust.map((o) => [key(o), o]));
      for (const o of chart) {
        const k = byKey.get(key(o));
        expect(k, `${key(o)} missing from kustomize`).toBeDefined();
        if (o.kind === "ConfigMap" && !o.metadata.name.endsWith("-dashboard")) {
          expect(k?.data?.CLUSTER_RESOURCE_ID).toBe(CLUSTER_ID);
          continue;
        }
        // the parts a user relies on are the same; they differ only by Helm's bookkeeping
        expect(withoutHelmBookkeeping(k?.spec ?? k?.data), key(o)).toEqual(withoutHelmBookkeeping(o.spec ?? o.data));
      }
      const pod = podTemplate(kust);
      expect(pod.spec.containers[0]?.envFrom?.[0]?.configMapRef?.name).toMatch(/^aks-subnet-health-[a-z0-9]{10}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
