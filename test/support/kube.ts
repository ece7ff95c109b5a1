import { randomBytes } from "node:crypto";
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { inject } from "vitest";
import { AKSNODECLASS } from "../../src/domain.js";
import type { ControlPlaneState, CrdFlavor } from "../../hack/control-plane.js";

export type { CrdFlavor };
export const CRD_FLAVORS: CrdFlavor[] = ["ours", "upstream"];

export function controlPlane(flavor: CrdFlavor = "ours"): ControlPlaneState {
  return inject("controlPlanes")[flavor];
}

export function adminKubeConfig(flavor: CrdFlavor = "ours"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(controlPlane(flavor).kubeconfig);
  return kc;
}

/** The non-admin user the operator runs as in RBAC tests. */
export function operatorKubeConfig(flavor: CrdFlavor = "ours"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(controlPlane(flavor).operatorKubeconfig);
  return kc;
}

/** A DNS-1123 name unique to this test run, so parallel test files never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export interface AKSNodeClassObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: { conditions?: Array<Record<string, unknown>>; subnetHealth?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

export function nodeClassApi(kc: KubeConfig): {
  create(name: string, spec: Record<string, unknown>): Promise<AKSNodeClassObject>;
  get(name: string): Promise<AKSNodeClassObject>;
  patchStatus(name: string, body: unknown): Promise<AKSNodeClassObject>;
  patchSpec(name: string, body: unknown): Promise<AKSNodeClassObject>;
  remove(name: string): Promise<void>;
} {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  return {
    create: async (name, spec) =>
      (await api.createClusterCustomObject({
        ...base,
        body: {
          apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
          kind: AKSNODECLASS.kind,
          metadata: { name },
          spec,
        },
      })) as AKSNodeClassObject,
    get: async (name) => (await api.getClusterCustomObject({ ...base, name })) as AKSNodeClassObject,
    patchStatus: async (name, body) =>
      (await api.patchClusterCustomObjectStatus({ ...base, name, body }, merge)) as AKSNodeClassObject,
    patchSpec: async (name, body) =>
      (await api.patchClusterCustomObject({ ...base, name, body }, merge)) as AKSNodeClassObject,
    remove: async (name) => {
      await api.deleteClusterCustomObject({ ...base, name });
    },
  };
}

/** Polls until `fn` returns a value that is not undefined, or fails with the last error/value. */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${opts.what ?? "condition"}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
