/**
 * Invariants of the install manifests and the Dockerfile: what a cluster admin relies on when applying
 * manifests/ (RBAC sufficient for what the operator does, ports and selectors that line up, pinned images,
 * a restricted-profile pod).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../observability/generate.js";

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type: string };
  };
}
interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Service extends K8sObject {
  spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> };
}

const MANIFESTS = join(REPO_ROOT, "manifests");
const NAMESPACE = "aks-subnet-health";
const yamlFiles = readdirSync(MANIFESTS).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");

function load(): Array<{ file: string; obj: K8sObject }> {
  return yamlFiles.flatMap((file) =>
    parseAllDocuments(readFileSync(join(MANIFESTS, file), "utf8")).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      return { file, obj: doc.toJS() as K8sObject };
    }),
  );
}

const objects = load();
const find = <T extends K8sObject>(kind: string, name?: string): T => {
  const o = objects.find((x) => x.obj.kind === kind && (name === undefined || x.obj.metadata.name === name))?.obj;
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ""} in manifests/`);
  return o as T;
};
const all = (kind: string): K8sObject[] => objects.filter((x) => x.obj.kind === kind).map((x) => x.obj);

function allows(rules: PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups ?? [""]).includes(group) &&
      (r.resources ?? []).includes(resource) &&
      (r.verbs.includes(verb) || r.verbs.includes("*")),
  );
}

const selectorMatches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("manifests", () => {
  const deployment = find<Deployment>("Deployment", "aks-subnet-health");
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0] as Container;

  it("every document is a well-formed object; namespaced ones live in aks-subnet-health", () => {
    const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);
    expect(objects.length).toBeGreaterThanOrEqual(12);
    for (const { file, obj } of objects) {
      expect(obj.apiVersion, file).toBeTruthy();
      expect(obj.kind, file).toBeTruthy();
      expect(obj.metadata?.name, file).toBeTruthy();
      if (clusterScoped.has(obj.kind)) expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBeUndefined();
      // Events about cluster-scoped AKSNodeClasses are accepted in "default" only: their Role lives there
      else if (obj.metadata.name.endsWith("-events"))
        expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBe("default");
      else expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBe(NAMESPACE);
    }
    expect(find("Namespace").metadata.name).toBe(NAMESPACE);
  });

  it("kustomization.yaml lists every manifest file, and only existing ones", () => {
    const k = parseAllDocuments(readFileSync(join(MANIFESTS, "kustomization.yaml"), "utf8"))[0]?.toJS() as {
      resources: string[];
    };
    const local = k.resources.filter((r) => !r.startsWith("../"));
    expect([...local].sort()).toEqual([...yamlFiles].sort());
    for (const r of k.resources) expect(existsSync(join(MANIFESTS, r)), r).toBe(true);
  });

  it("the ClusterRole grants exactly what the operator needs cluster-wide", () => {
    const role = find<K8sObject & { rules: PolicyRule[] }>("ClusterRole", "aks-subnet-health");
    // exactly what the code calls (test/unit/rbac-use.test.ts compares both ways); Events are namespaced
    const needed: Array<[string, string, string[]]> = [
      ["karpenter.azure.com", "aksnodeclasses", ["get", "list", "watch"]],
      ["karpenter.azure.com", "aksnodeclasses/status", ["patch"]],
      ["", "nodes", ["list", "watch"]],
      ["networking.k8s.io", "servicecidrs", ["list"]],
    ];
    for (const [group, resource, verbs] of needed) {
      for (const verb of verbs)
        expect(allows(role.rules, group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    // least privilege: no writes to the nodeclass spec, no wildcard, no secrets
    expect(allows(role.rules, "karpenter.azure.com", "aksnodeclasses", "update")).toBe(false);
    expect(allows(role.rules, "karpenter.azure.com", "aksnodeclasses", "patch")).toBe(false);
    expect(
      role.rules.some(
        (r) => r.verbs.includes("*") || (r.resources ?? []).includes("*") || (r.resources ?? []).includes("secrets"),
      ),
    ).toBe(false);
    // leases and events are not granted cluster-wide
    expect(allows(role.rules, "coordination.k8s.io", "leases", "update")).toBe(false);
    expect(allows(role.rules, "", "events", "create")).toBe(false);
  });

  it("leader election may get, create and update Leases in its own namespace", () => {
    const role = find<K8sObject & { rules: PolicyRule[] }>("Role", "aks-subnet-health-leader-election");
    expect(role.metadata.namespace).toBe(NAMESPACE);
    for (const verb of ["get", "create", "update"])
      expect(allows(role.rules, "coordination.k8s.io", "leases", verb), verb).toBe(true);
  });

  it("bindings tie the roles to the operator's ServiceAccount", () => {
    const sa = find("ServiceAccount");
    expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
    const roles = new Set([...all("ClusterRole"), ...all("Role")].map((r) => `${r.kind}/${r.metadata.name}`));
    const bindings = [...all("ClusterRoleBinding"), ...all("RoleBinding")] as Array<
      K8sObject & {
        roleRef: { kind: string; name: string };
        subjects: Array<{ kind: string; name: string; namespace?: string }>;
      }
    >;
    expect(bindings.length).toBe(3);
    for (const b of bindings) {
      expect(roles.has(`${b.roleRef.kind}/${b.roleRef.name}`), `${b.metadata.name} → ${b.roleRef.name}`).toBe(true);
      expect(b.subjects).toContainEqual({ kind: "ServiceAccount", name: sa.metadata.name, namespace: NAMESPACE });
    }
  });

  it("uses Azure workload identity, with the client ID and cluster ID left to operator.env (no placeholder shipped)", () => {
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
    expect(find("ServiceAccount").metadata.annotations?.["azure.workload.identity/client-id"]).toBeUndefined();
    const example = readFileSync(join(MANIFESTS, "operator.env.example"), "utf8");
    for (const key of ["CLUSTER_RESOURCE_ID", "AZURE_CLIENT_ID"]) expect(example).toMatch(new RegExp(`^${key}=$`, "m"));
    for (const { file, obj } of objects)
      expect(JSON.stringify(obj), file).not.toMatch(/00000000-0000-0000-0000-000000000000|CHANGE-ME/i);
  });

  it("runs two leader-elected replicas with the documented args and settings", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(selectorMatches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(container.args).toEqual([
      "run",
      "--leader-elect",
      "--metrics-bind-address=:8080",
      "--health-probe-bind-address=:8081",
    ]);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    // settings come from the ConfigMap kustomize generates from operator.env
    expect(container.envFrom?.map((e) => e.configMapRef?.name)).toEqual(["aks-subnet-health"]);
    const env = new Set((container.env ?? []).map((e) => e.name));
    expect(env.has("AZURE_TOKEN_CREDENTIALS")).toBe(true);
    expect(container.resources?.requests?.cpu).toBeTruthy();
    expect(container.resources?.requests?.memory).toBeTruthy();
    expect(container.resources?.limits?.memory).toBeTruthy();
  });

  it("the pod meets the restricted Pod Security profile", () => {
    expect(pod.spec.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
    const sc = container.securityContext;
    expect(sc?.readOnlyRootFilesystem).toBe(true);
    expect(sc?.allowPrivilegeEscalation).toBe(false);
    expect(sc?.capabilities?.drop).toEqual(["ALL"]);
    expect(sc?.runAsNonRoot).toBe(true);
  });

  it("probes and ports: metrics on 8080, /healthz and /readyz on 8081", () => {
    const ports = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    expect(ports.get("metrics")).toBe(8080);
    expect(ports.get("health")).toBe(8081);
    const probePort = (p: string | number | undefined): number | undefined =>
      typeof p === "string" ? ports.get(p) : p;
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(probePort(container.livenessProbe?.httpGet?.port)).toBe(8081);
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(probePort(container.readinessProbe?.httpGet?.port)).toBe(8081);
  });

  it("the metrics Service selects the pods and targets the container's metrics port; the ServiceMonitor scrapes it", () => {
    const svc = find<Service>("Service");
    expect(selectorMatches(svc.spec.selector, pod.metadata.labels)).toBe(true);
    const containerPorts = container.ports ?? [];
    for (const p of svc.spec.ports) {
      const target = containerPorts.find((c) => c.name === p.targetPort || c.containerPort === p.targetPort);
      expect(target, `Service port ${p.name}`).toBeDefined();
    }
    const metricsPort = svc.spec.ports.find((p) => p.name === "metrics");
    expect(
      containerPorts.find((c) => c.name === metricsPort?.targetPort || c.containerPort === metricsPort?.targetPort)
        ?.containerPort,
    ).toBe(8080);

    const sm = find<
      K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path?: string }> };
      }
    >("ServiceMonitor");
    expect(selectorMatches(sm.spec.selector.matchLabels, svc.metadata.labels ?? {})).toBe(true);
    for (const e of sm.spec.endpoints) {
      expect(svc.spec.ports.map((p) => p.name)).toContain(e.port);
      expect(e.path ?? "/metrics").toBe("/metrics");
    }
  });

  it("the PodDisruptionBudget covers the operator's pods and lets one go at a time", () => {
    const pdb = find<
      K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number; minAvailable?: number };
      }
    >("PodDisruptionBudget");
    expect(selectorMatches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? deployment.spec.replicas - (pdb.spec.minAvailable ?? 0)).toBe(1);
  });

  it("every image is pinned by a version tag or digest", () => {
    const images = objects.flatMap(({ obj }) =>
      obj.kind === "Deployment" ? (obj as Deployment).spec.template.spec.containers.map((c) => c.image) : [],
    );
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      expect(image, image).toMatch(/(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
  const lines = dockerfile.split("\n").map((l) => l.trim());

  it("builds in a Node 24 stage pinned by digest with npm ci, build and a production prune", () => {
    const args = new Map([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    const froms = lines.filter((l) => l.startsWith("FROM ")).map((l) => l.split(/\s+/)[1] ?? "");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const image = from.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? from);
      // pinned by digest: a rebuild gets the same base (the Dockerfile says how to move it)
      expect(image, from).toMatch(
        /^(node:24[\w.-]*|gcr\.io\/distroless\/nodejs24[\w./-]*:[\w.-]+)@sha256:[0-9a-f]{64}$/,
      );
    }
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it("runs as a numeric non-root user with the operator's entrypoint", () => {
    const users = lines.filter((l) => l.startsWith("USER "));
    const last = users.at(-1)?.split(/\s+/)[1] ?? "";
    expect(last).toMatch(/^[1-9]\d*(:\d+)?$/);
    // node's own flags may come first (which ones: test/unit/image-build.test.ts)
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", (?:"--[\w-]+(?:=[^"]*)?", )*"dist\/cli\/main\.js"\]$/m);
    expect(dockerfile).toContain('CMD ["run"]');
  });

  it(".dockerignore keeps node_modules, dist and the git history out of the build context", () => {
    const ignored = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const p of ["node_modules", "dist", ".git"]) expect(ignored).toContain(p);
    for (const needed of ["src", "package.json", "package-lock.json"]) expect(ignored).not.toContain(needed);
  });

  it("the Deployment's runAsUser matches the image's user", () => {
    const deployment = find<Deployment>("Deployment");
    const user = lines
      .filter((l) => l.startsWith("USER "))
      .at(-1)
      ?.split(/\s+/)[1]
      ?.split(":")[0];
    expect(String(deployment.spec.template.spec.securityContext?.runAsUser)).toBe(user);
  });
});
