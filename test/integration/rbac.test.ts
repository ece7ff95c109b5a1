/**
 * The shipped RBAC (manifests/rbac.yaml) is all the operator needs, and no more: the operator runs as
 * a non-admin user bound by exactly those rules (ServiceAccount subjects swapped for the test user),
 * reports, records Events and takes the Lease; writing a nodeclass's spec is forbidden to it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { AuthorizationV1Api } from "@kubernetes/client-node";
import { AKSNODECLASS, VIEWS } from "../../src/domain.js";
import { EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { adminKubeConfig, eventually, operatorKubeConfig, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const root = path.resolve(import.meta.dirname, "../..");
const NAMESPACE = "aks-subnet-health";
const TEST_USER = { kind: "User", name: "aks-subnet-health-operator", apiGroup: "rbac.authorization.k8s.io" };

async function applyShippedRbac(): Promise<void> {
  const admin = adminKubeConfig("ours");
  const objects = KubernetesObjectApi.makeApiClient(admin);
  await admin
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: NAMESPACE } } })
    .catch((err: unknown) => {
      if ((err as ApiException<unknown>).code !== 409) throw err;
    });
  for (const doc of parseAllDocuments(readFileSync(path.join(root, "manifests/rbac.yaml"), "utf8"))) {
    const obj = doc.toJSON() as (KubernetesObject & { subjects?: unknown[] }) | null;
    if (!obj) continue;
    if (obj.subjects) obj.subjects = [...obj.subjects, TEST_USER];
    await objects.create(obj).catch((err: unknown) => {
      if ((err as ApiException<unknown>).code !== 409) throw err;
    });
  }
}

let stack: Stack;
beforeAll(async () => {
  await applyShippedRbac();
  stack = await startStack({
    topology: path.join(root, "examples/topology.yaml"),
    operatorKubeConfig: operatorKubeConfig("ours"),
    flags: {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      leaderElect: true,
      leaderElectionNamespace: NAMESPACE,
      leaderElectionId: uniqueName("rbac-lease"),
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  // the RBAC objects are cluster-scoped or in "default", shared with other test files (the chart's dry run)
  const objects = KubernetesObjectApi.makeApiClient(adminKubeConfig("ours"));
  for (const doc of parseAllDocuments(readFileSync(path.join(root, "manifests/rbac.yaml"), "utf8"))) {
    const obj = doc.toJSON() as KubernetesObject | null;
    if (obj) await objects.delete(obj).catch(() => undefined);
  }
});

test("with only the shipped RBAC the operator reports, records Events and leads", async () => {
  const name = uniqueName("rbac");
  await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS.full });
  await stack.waitForCondition(name, "SubnetCapacity", (c) => c.reason === "SubnetFull");
  await eventually(async () => ((await stack.events(name)).some((e) => e.reason === "SubnetFull") ? true : undefined), {
    what: "SubnetFull event",
  });
  expect(stack.operator.isLeader()).toBe(true);
});

test("the operator's identity may not change a nodeclass's spec", async () => {
  const name = uniqueName("rbac-spec");
  await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS.full });
  const asOperator = operatorKubeConfig("ours").makeApiClient(CustomObjectsApi);
  const err = await asOperator
    .patchClusterCustomObject(
      {
        group: AKSNODECLASS.group,
        version: AKSNODECLASS.version,
        plural: AKSNODECLASS.plural,
        name,
        body: { spec: { maxPods: 50 } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect((err as ApiException<unknown>).code).toBe(403);
});

test("it writes its own view resources, and the shipped RBAC grants nothing else new", async () => {
  const name = uniqueName("rbac-view");
  await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS.full });
  // written by the operator, which runs as the non-admin user bound by manifests/rbac.yaml
  const view = await eventually(
    async () =>
      (
        (await stack.kc
          .makeApiClient(CustomObjectsApi)
          .getClusterCustomObject({ group: VIEWS.group, version: VIEWS.version, plural: VIEWS.nodeClassPlural, name })
          .catch(() => undefined)) as { status?: { freeIPs?: number } } | undefined
      )?.status?.freeIPs === 0
        ? true
        : undefined,
    { what: "the operator's NodeClassHealth" },
  );
  expect(view).toBe(true);

  const authz = operatorKubeConfig("ours").makeApiClient(AuthorizationV1Api);
  const can = async (group: string, resource: string, verb: string, subresource?: string): Promise<boolean> =>
    (
      await authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { group, resource, verb, ...(subresource ? { subresource } : {}) } } },
      })
    ).status?.allowed === true;
  for (const plural of [VIEWS.nodeClassPlural, VIEWS.subnetPlural]) {
    for (const verb of ["get", "list", "watch", "create", "patch", "delete"])
      expect(await can(VIEWS.group, plural, verb), `${verb} ${plural}`).toBe(true);
    expect(await can(VIEWS.group, plural, "patch", "status"), `patch ${plural}/status`).toBe(true);
    // what the operator never does to them
    expect(await can(VIEWS.group, plural, "update"), `update ${plural}`).toBe(false);
    expect(await can(VIEWS.group, plural, "deletecollection"), `deletecollection ${plural}`).toBe(false);
  }
  // nothing beyond its own two resources: not the group at large, not CRDs, not nodeclasses' lifecycle
  expect(await can(VIEWS.group, "somethingelse", "create")).toBe(false);
  expect(await can("apiextensions.k8s.io", "customresourcedefinitions", "create")).toBe(false);
  expect(await can(AKSNODECLASS.group, AKSNODECLASS.plural, "delete")).toBe(false);
  expect(await can(AKSNODECLASS.group, AKSNODECLASS.plural, "create")).toBe(false);
  expect(await can("", "nodes", "patch")).toBe(false);
  expect(await can("", "secrets", "get")).toBe(false);
});
