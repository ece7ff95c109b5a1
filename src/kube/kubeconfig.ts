/**
 * Where the operator's cluster credentials come from, and the API clients built on them.
 * Order: an explicit path (flag), else $KUBECONFIG (may list several files), else the in-cluster
 * service account. ~/.kube/config is deliberately not a fallback: an operator that silently talks to
 * a developer's current context is worse than one that fails to start.
 */
import { hostname } from "node:os";
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { reuseConnections } from "./connection-reuse.js";

export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  let source: string;
  if (path) {
    source = `kubeconfig ${path}`;
    kc.loadFromFile(path);
  } else if (env.KUBECONFIG) {
    source = `KUBECONFIG=${env.KUBECONFIG}`;
    kc.loadFromDefault();
  } else {
    source = "in-cluster service account";
    if (!env.KUBERNETES_SERVICE_HOST)
      throw new Error(
        "no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST is unset)",
      );
    kc.loadFromCluster();
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`no current cluster in ${source}`);
  return kc;
}

export interface KubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  customObjects: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

/** The API clients; also makes every client and watch built on `kubeConfig` share one connection pool. */
export function createClients(kubeConfig: KubeConfig): KubeClients {
  reuseConnections(kubeConfig);
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
  };
}

/** This replica's identity for leases and events: the pod name (POD_NAME via the downward API) or the hostname. */
export function podIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || hostname();
}
