/**
 * Least privilege: the shipped RBAC (manifests/rbac.yaml, rendered from the chart) grants exactly the
 * Kubernetes API calls the code makes, found by reading the code: every client-node call and every watched
 * collection in src/ maps to one (group, resource, verb, scope). A grant nobody uses fails this test, and so
 * does a call nobody granted. test/integration/rbac.test.ts shows the same rules are enough at run time.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";

const root = path.resolve(import.meta.dirname, "../..");

/** events-namespace: "default", the only namespace where a core/v1 Event about a cluster-scoped object is accepted */
type Scope = "cluster" | "operator-namespace" | "events-namespace";
interface Use {
  group: string;
  resource: string;
  verb: string;
  scope: Scope;
}

/** client-node method → what it asks the API server. */
const METHODS: Record<string, Use> = {
  getClusterCustomObject: { group: "karpenter.azure.com", resource: "aksnodeclasses", verb: "get", scope: "cluster" },
  patchClusterCustomObjectStatus: {
    group: "karpenter.azure.com",
    resource: "aksnodeclasses/status",
    verb: "patch",
    scope: "cluster",
  },
  listNode: { group: "", resource: "nodes", verb: "list", scope: "cluster" },
  listServiceCIDR: { group: "networking.k8s.io", resource: "servicecidrs", verb: "list", scope: "cluster" },
  createNamespacedEvent: { group: "", resource: "events", verb: "create", scope: "events-namespace" },
  patchNamespacedEvent: { group: "", resource: "events", verb: "patch", scope: "events-namespace" },
  readNamespacedLease: { group: "coordination.k8s.io", resource: "leases", verb: "get", scope: "operator-namespace" },
  createNamespacedLease: {
    group: "coordination.k8s.io",
    resource: "leases",
    verb: "create",
    scope: "operator-namespace",
  },
  replaceNamespacedLease: {
    group: "coordination.k8s.io",
    resource: "leases",
    verb: "update",
    scope: "operator-namespace",
  },
};

/** group constants of src/domain.ts → the custom resources they name */
const CUSTOM_KINDS: Record<string, { group: string; resources: string[] }> = {
  AKSNODECLASS: { group: "karpenter.azure.com", resources: ["aksnodeclasses"] },
  NODEPOOL: { group: "karpenter.sh", resources: ["nodepools"] },
  VIEWS: { group: "aks-subnet-health.io", resources: ["nodeclasshealths", "subnethealths"] },
};

/** custom-object calls in a file that names VIEWS.group (the view writer): on both view resources */
const VIEW_METHODS: Record<string, { verb: string; status: boolean }> = {
  getClusterCustomObject: { verb: "get", status: false },
  createClusterCustomObject: { verb: "create", status: false },
  patchClusterCustomObject: { verb: "patch", status: false },
  deleteClusterCustomObject: { verb: "delete", status: false },
  patchClusterCustomObjectStatus: { verb: "patch", status: true },
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "sim" ? [] : sources(p); // the simulator is not the operator
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const key = (u: Use): string => `${u.scope} ${u.group}/${u.resource} ${u.verb}`;

function usesInCode(): { uses: Set<string>; unknown: string[] } {
  const uses = new Set<string>();
  const unknown: string[] = [];
  for (const file of sources(path.join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    // calls on client-node API objects: list*/read*/get*/create*/patch*/replace*/delete* with a Kubernetes kind
    for (const m of text.matchAll(
      /\.((?:list|read|get|create|patch|replace|delete)(?:Namespaced|Cluster)?(?:CustomObject|Event|Lease|Node|ServiceCIDR|Namespace|Pod|ConfigMap|Secret)\w*)\(/g,
    )) {
      const method = m[1] ?? "";
      if (method === "listClusterCustomObject") continue; // by kind, below
      const view = /\bVIEWS\.group\b/.test(text) ? VIEW_METHODS[method] : undefined;
      if (view) {
        for (const resource of CUSTOM_KINDS["VIEWS"]?.resources ?? [])
          uses.add(
            key({
              group: "aks-subnet-health.io",
              resource: view.status ? `${resource}/status` : resource,
              verb: view.verb,
              scope: "cluster",
            }),
          );
        continue;
      }
      const use = METHODS[method];
      if (use) uses.add(key(use));
      else unknown.push(`${path.relative(root, file)}: ${method}`);
    }
    // custom objects: the kind is named by the group constant next to the call (AKSNODECLASS, NODEPOOL)
    for (const m of text.matchAll(/\.listClusterCustomObject\(\{\s*group:\s*(\w+)\.group/g)) {
      const kind = CUSTOM_KINDS[m[1] ?? ""];
      for (const resource of kind?.resources ?? [])
        uses.add(key({ group: kind?.group ?? "", resource, verb: "list", scope: "cluster" }));
      if (!kind) unknown.push(`${path.relative(root, file)}: listClusterCustomObject of ${m[1] ?? "?"}`);
    }
    // watched custom collections: `${KIND.group}/${KIND.version}/${KIND.plural}`, or `${plural}` for each of KIND's resources
    for (const m of text.matchAll(
      /path:\s*`\/apis\/\$\{(\w+)\.group\}\/\$\{\1\.version\}\/\$\{(?:\1\.plural|plural)\}`/g,
    )) {
      const kind = CUSTOM_KINDS[m[1] ?? ""];
      for (const resource of kind?.resources ?? [])
        uses.add(key({ group: kind?.group ?? "", resource, verb: "watch", scope: "cluster" }));
      if (!kind) unknown.push(`${path.relative(root, file)}: watch of ${m[1] ?? "?"}`);
    }
    // raw paged LISTs of a collection (src/kube/paged-list.ts)
    for (const m of text.matchAll(/rawPageFetcher(?:<[^>]*>)?\([^,]+,\s*"([^"]+)"\)/g)) {
      const collection = m[1] ?? "";
      if (collection === "/api/v1/nodes")
        uses.add(key({ group: "", resource: "nodes", verb: "list", scope: "cluster" }));
      else unknown.push(`${path.relative(root, file)}: raw list of ${collection}`);
    }
    // watched collections (ResilientInformer / ListWatch on a collection path): a watch of each
    if (/path:\s*"\/api\/v1\/nodes"/.test(text)) {
      uses.add(key({ group: "", resource: "nodes", verb: "watch", scope: "cluster" }));
    }
  }
  return { uses, unknown };
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function shippedGrants(): Set<string> {
  const grants = new Set<string>();
  const docs = parseAllDocuments(readFileSync(path.join(root, "manifests/rbac.yaml"), "utf8"));
  for (const doc of docs) {
    const obj = doc.toJSON() as {
      kind?: string;
      metadata?: { name?: string; namespace?: string };
      rules?: Rule[];
    } | null;
    if (!obj?.rules) continue;
    const scope: Scope =
      obj.kind === "ClusterRole"
        ? "cluster"
        : obj.metadata?.namespace === "default"
          ? "events-namespace"
          : "operator-namespace";
    for (const r of obj.rules) {
      for (const g of r.apiGroups)
        for (const res of r.resources)
          for (const v of r.verbs) grants.add(key({ group: g, resource: res, verb: v, scope }));
    }
  }
  return grants;
}

describe("shipped RBAC = what the code does", () => {
  test("every Kubernetes call in src/ is a known one", () => {
    expect(usesInCode().unknown).toEqual([]);
  });

  test("manifests/rbac.yaml grants exactly those calls, each in its scope", () => {
    const { uses } = usesInCode();
    expect([...shippedGrants()].sort()).toEqual([...uses].sort());
  });
});
