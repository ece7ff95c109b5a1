/**
 * Wiring of `aks-subnet-health run`: builds every part from the validated options, starts them in
 * order (HTTP, informers, leader election, controller) and stops them in reverse on SIGTERM.
 * `startOperator` is also what the integration tests and the benchmark run in-process.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import { ArmGuardError, classifyAzureError, createAzureDataLayer } from "../azure/index.js";
import { parseClusterResourceId, principalFromCluster } from "../azure/cluster-source.js";
import { azureEndpoints, type Options } from "../config/options.js";
import { resolvedSettings } from "../config/resolved.js";
import { credentialFor, evaluationSettings, managedClusterNetwork, networkFromOptions } from "./from-options.js";
import { AKSNODECLASS } from "../domain.js";
import { networkSupportMetric } from "../health/network-plan.js";
import type { ClusterNetworkObservation, EvaluationSettings } from "../health/types.js";
import { describeError } from "../kube/errors.js";
import { EventRecorder } from "../kube/events.js";
import { ResilientInformer } from "../kube/informer.js";
import { createClients, loadKubeConfig, podIdentity } from "../kube/kubeconfig.js";
import { LeaderElector } from "../kube/leader-election.js";
import { discoverClusterNetwork } from "../kube/network-discovery.js";
import { NodeAddressWatch } from "../kube/node-addresses.js";
import { NodePoolWatch } from "../kube/nodepools.js";
import { RateLimitedLog, createLogger, type Logger } from "../log.js";
import { OperatorMetrics } from "../metrics/metrics.js";
import { VERSION } from "../version.js";
import { SubnetHealthController, type NetworkSource, type NodeClassResource } from "./controller.js";
import { startHttp, type HttpEndpoints } from "./http-server.js";
import { viewScope } from "../views/project.js";
import { ViewWriter } from "../views/view-writer.js";

export interface OperatorOverrides {
  kubeConfig?: KubeConfig;
  credential?: TokenCredential;
  log?: Logger;
  /** SDK retry settings (tests use small ones) */
  azureRetry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** per-ARM-call deadline */
  armTimeoutMs?: number;
  /** relist nodeclasses when their watch is silent this long */
  watchdogMs?: number;
}

export interface RunningOperator {
  metricsUrl: string;
  healthUrl: string;
  controller: SubnetHealthController;
  metrics: OperatorMetrics;
  /** the NodeClassHealth / SubnetHealth writer; undefined when their CRDs are not installed */
  views: ViewWriter | undefined;
  identity: string;
  isLeader(): boolean;
  /** resolves once caches have synced */
  synced: Promise<void>;
  stop(): Promise<void>;
}

export async function startOperator(o: Options, over: OperatorOverrides = {}): Promise<RunningOperator> {
  const log = over.log ?? createLogger(o.logLevel);
  const kc = over.kubeConfig ?? loadKubeConfig(o.kubeconfig);
  const kube = createClients(kc);
  const identity = o.podName ?? podIdentity();
  const endpoints = azureEndpoints(o);

  const clusterRef = o.clusterResourceId ? parseClusterResourceId(o.clusterResourceId) : undefined;
  if (clusterRef && !clusterRef.ok) throw new Error(`--cluster-resource-id: ${clusterRef.error}`);
  const vnetTtl = o.vnetCacheTtl ?? Math.max(1_000, Math.floor(o.resyncPeriod / 2));
  const metrics: OperatorMetrics = new OperatorMetrics({
    version: VERSION,
    workqueueDepth: () => controller.queue.size,
  });
  const azureLog = new RateLimitedLog(log);
  const {
    vnets,
    access,
    networkResources,
    cluster: clusterSource,
  } = createAzureDataLayer({
    clients: {
      credential: over.credential ?? credentialFor(o, endpoints.authorityHost),
      endpoint: endpoints.armEndpoint,
      credentialScope: endpoints.armScope,
      ...(o.azureCaFile ? { ca: readFileSync(o.azureCaFile, "utf8") } : {}),
      ...(over.azureRetry ? { retry: over.azureRetry } : {}),
      onRequest: (operation, code, seconds) => {
        metrics.azureRequests.inc({ operation, code });
        metrics.azureRequestDuration.observe({ operation }, seconds);
        if (code === "429") metrics.azureThrottled.inc({ operation });
      },
      onRefused: (err) => {
        metrics.azureRefused.inc({ operation: err.operation, reason: err.reason });
        // once per (reason, host) per minute: a hostile nextLink repeats every failure window
        azureLog.warn(
          `refused:${err.reason}:${err.host ?? ""}`,
          { operation: err.operation, reason: err.reason, code: err.code, ...(err.host ? { host: err.host } : {}) },
          `Azure request refused: ${err.message}`,
        );
      },
      maxPages: o.armMaxPages,
      maxResponseBytes: o.armMaxResponseBytes,
    },
    limiter: {
      capacity: o.armReadBucket,
      refillPerSecond: o.armReadRefill,
      concurrency: o.armConcurrency,
      onCallFailed: (operation, err, target) => {
        if (err instanceof ArmGuardError) return; // logged as a refusal
        const c = classifyAzureError(err, { operation, ...(target ? { resource: target } : {}) });
        if (c.outcome !== "failure") return; // a definite answer (not found, forbidden) is reported as a condition
        azureLog.warn(
          `azure:${operation}:${c.failure.kind}`,
          {
            operation,
            ...(target ? { target } : {}),
            kind: c.failure.kind,
            ...(c.failure.statusCode !== undefined ? { status: c.failure.statusCode } : {}),
            ...(c.failure.code ? { code: c.failure.code } : {}),
          },
          `Azure read failed; keeping the last known data: ${c.failure.message.slice(0, 500)}`,
        );
      },
    },
    ...(over.armTimeoutMs !== undefined ? { callTimeoutMs: over.armTimeoutMs } : {}),
    vnetTtlMs: vnetTtl,
    vnetFailureTtlMs: Math.min(15_000, vnetTtl),
    access: {
      ...(o.karpenterPrincipalId ? { principalId: o.karpenterPrincipalId } : {}),
      selfCheck: true,
      ttlMs: o.accessCacheTtl,
    },
    ...(clusterRef?.ok
      ? { cluster: clusterRef.ref, clusterTtlMs: o.resyncPeriod, clusterFailureTtlMs: Math.min(30_000, o.resyncPeriod) }
      : {}),
  });

  const flagNetwork = networkFromOptions(o);
  let discovered: { at: number; obs: Promise<ClusterNetworkObservation> } | undefined;
  let lastNetworkLabels = "";
  let resolvedLogged: "no" | "partial" | "full" = "no";
  const network: NetworkSource = {
    get: async () => {
      let obs: ClusterNetworkObservation;
      if (clusterSource) {
        obs = managedClusterNetwork(await clusterSource.get(), o, flagNetwork);
        const mc = clusterSource.managedCluster;
        if (mc && !o.karpenterPrincipalId && access.configuredPrincipal === undefined) {
          const p = principalFromCluster(mc);
          if (p) {
            access.setPrincipal(p.principalId);
            log.info(
              { operation: "discover-principal", principal: p.principalId, source: p.source },
              "checking subnet access of the cluster's identity",
            );
          }
        }
      } else if (flagNetwork) {
        obs = { kind: "ok", network: flagNetwork, fetchedAt: Date.now() };
      } else {
        if (!discovered || Date.now() - discovered.at > o.resyncPeriod) {
          // one discovery per resync period, shared by every reconcile that asks meanwhile
          const at = Date.now();
          discovered = {
            at,
            obs: discoverClusterNetwork(kc).then((n): ClusterNetworkObservation =>
              n ? { kind: "ok", network: n, fetchedAt: at } : { kind: "unknown" },
            ),
          };
        }
        obs = await discovered.obs;
      }
      const net = obs.kind === "ok" ? obs.network : obs.kind === "unavailable" ? obs.last : undefined;
      // at start: what the checks will use and where each piece came from; once more when a managed
      // cluster unreadable at start becomes readable
      const clusterUnreadable = clusterSource !== undefined && clusterSource.managedCluster === undefined;
      if (resolvedLogged === "no" || (resolvedLogged === "partial" && !clusterUnreadable)) {
        resolvedLogged = clusterUnreadable ? "partial" : "full";
        const failure = obs.kind === "unavailable" ? obs.failure : undefined;
        (clusterUnreadable ? log.warn.bind(log) : log.info.bind(log))(
          { operation: "resolved", ...resolvedSettings(o, clusterSource?.managedCluster, net, failure) },
          clusterUnreadable
            ? "resolved configuration; the managed cluster is not readable yet (retried every resync)"
            : "resolved configuration",
        );
      }
      if (net) {
        const m = networkSupportMetric(net);
        const key = JSON.stringify(m);
        if (key !== lastNetworkLabels) {
          lastNetworkLabels = key;
          metrics.setClusterNetwork(m.labels, m.supported);
        }
      }
      return obs;
    },
  };

  const settings = (): EvaluationSettings => evaluationSettings(o, clusterSource?.managedCluster);

  const customObjects = kc.makeApiClient(CustomObjectsApi);
  const nodeClasses = new ResilientInformer<NodeClassResource, NodeClassResource>({
    name: AKSNODECLASS.plural,
    path: `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}`,
    kubeConfig: kc,
    list: async (labelSelector) =>
      (await customObjects.listClusterCustomObject({
        group: AKSNODECLASS.group,
        version: AKSNODECLASS.version,
        plural: AKSNODECLASS.plural,
        ...(labelSelector ? { labelSelector } : {}),
      })) as KubernetesListObject<NodeClassResource>,
    ...(o.nodeclassSelector ? { labelSelector: o.nodeclassSelector } : {}),
    ...(over.watchdogMs !== undefined ? { watchdogMs: over.watchdogMs } : {}),
    log,
  });
  const nodes = new NodeAddressWatch({
    kubeConfig: kc,
    log,
    ...(over.watchdogMs !== undefined ? { watchdogMs: over.watchdogMs } : {}),
  });
  // Karpenter's NodePools, for the capacity plan; never part of readiness: without them (no CRD, or an
  // RBAC rule missing after an upgrade) everything but the plan still works
  const nodePools = new NodePoolWatch({
    kubeConfig: kc,
    log,
    ...(over.watchdogMs !== undefined ? { watchdogMs: over.watchdogMs } : {}),
  });
  const events = new EventRecorder(kube.core, { instance: identity, namespace: o.eventsNamespace, log });

  // the views (NodeClassHealth, SubnetHealth) when their CRDs are installed
  const viewWriter = new ViewWriter({
    kubeConfig: kc,
    scope: viewScope(o.nodeclassSelector),
    numbersMinIntervalMs: o.statusNumbersMinInterval,
    log,
    ...(over.watchdogMs !== undefined ? { watchdogMs: over.watchdogMs } : {}),
    // the nodeclasses' own status first: at a start with many nodeclasses, views follow their pass
    yieldTo: () => controller.queue.onIdle(),
  });
  const views = (await viewWriter.available().catch((err: unknown) => {
    log.warn({ operation: "views", err: String(err) }, "cannot tell whether the view CRDs are installed; no views");
    return false;
  }))
    ? viewWriter
    : undefined;
  const controller: SubnetHealthController = new SubnetHealthController(
    {
      settings,
      resyncPeriodMs: o.resyncPeriod,
      vnetMaxAgeMs: vnetTtl,
      statusNumbersMinIntervalMs: o.statusNumbersMinInterval,
      concurrency: o.concurrency,
    },
    {
      nodeClasses,
      nodes,
      nodePools,
      vnets,
      access,
      network,
      networkResources,
      statusApi: customObjects,
      events,
      metrics,
      log,
      ...(views ? { views } : {}),
    },
  );

  let stopping = false;
  const synced = Promise.all([nodeClasses.waitForSync(), nodes.waitForSync(), views?.waitForSync()]).then(
    () => undefined,
  );
  // Writing starts once the nodeclasses (and views) are listed, not the nodes: a 5,000-node list takes
  // seconds, and meanwhile reconciles read Azure; each waits for the full node list only before judging
  // (gather.ts), so no verdict about nodes is ever made from part of them.
  const writable = Promise.all([nodeClasses.waitForSync(), views?.waitForSync()]).then(() => undefined);
  writable.catch(() => undefined);
  // a stop before the first sync rejects `synced`: that is a normal shutdown, not a crash
  synced.catch(() => undefined);
  let isSynced = false;
  void synced.then(
    () => (isSynced = true),
    () => undefined,
  );
  let elector: LeaderElector | undefined;

  const http: HttpEndpoints = await startHttp({
    registry: metrics.registry,
    metrics: o.metricsBindAddress,
    health: o.healthProbeBindAddress,
    probe: {
      healthy: () => !stopping,
      ready: () =>
        isSynced
          ? {
              ready: true,
              reason: elector
                ? elector.isLeader()
                  ? "ready (leader)"
                  : `ready (standby; leader ${elector.leader ?? "unknown"})`
                : "ready",
            }
          : { ready: false, reason: "caches not synced" },
    },
  });

  nodeClasses.start();
  views?.start();
  nodes.start();
  nodePools.start();
  // nodeclasses evaluated before the NodePools were listed have no plan yet
  void nodePools.waitForSync().then(
    () => controller.requeuePlannedWithoutNodePools(),
    () => undefined,
  );
  if (o.leaderElect) {
    elector = new LeaderElector({
      api: kube.coordination,
      namespace: o.leaderElectionNamespace,
      name: o.leaderElectionId,
      identity,
      log,
      onStartedLeading: async () => {
        if (
          !(await writable.then(
            () => true,
            () => false,
          ))
        )
          return; // stopped before the caches synced
        log.info({ operation: "leader-election", identity }, "became leader; reconciling");
        controller.activate();
      },
      onStoppedLeading: () => {
        log.warn({ operation: "leader-election", identity }, "stopped leading; no more writes");
        controller.deactivate();
      },
    });
    elector.start();
  } else {
    void writable.then(
      () => {
        if (!stopping) controller.activate();
      },
      () => undefined,
    );
  }
  log.info(
    {
      operation: "start",
      version: VERSION,
      identity,
      metrics: http.metricsUrl,
      health: http.healthUrl,
      armEndpoint: endpoints.armEndpoint,
      leaderElect: o.leaderElect,
    },
    "aks-subnet-health started",
  );
  // read the managed cluster (or discover the network) now, so what was resolved is logged at start
  // even before the first nodeclass; the answer is cached for the first reconciles
  void network.get().catch(() => undefined);

  return {
    metricsUrl: http.metricsUrl,
    healthUrl: http.healthUrl,
    controller,
    metrics,
    views,
    identity,
    isLeader: () => (elector ? elector.isLeader() : controller.isActive),
    synced,
    stop: async () => {
      if (stopping) return;
      stopping = true;
      log.info({ operation: "shutdown", identity }, "shutting down: draining work");
      controller.deactivate();
      await controller.shutdown(o.shutdownTimeout);
      if (elector) await elector.stop();
      await Promise.all([nodeClasses.stop(), nodes.stop(), nodePools.stop(), views?.stop()]);
      await http.close();
      log.info({ operation: "shutdown", identity }, "stopped");
    },
  };
}

/**
 * The `run` command: start, then stop cleanly on SIGTERM / SIGINT, which may arrive at any moment,
 * even while starting (then the start completes and is stopped at once).
 */
export async function runOperator(o: Options): Promise<void> {
  const log = createLogger(o.logLevel);
  let signalled: NodeJS.Signals | undefined;
  let onStopRequested = (): void => undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    log.info({ operation: "shutdown", signal: sig }, "signal received");
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    signalled = sig;
    const hard = setTimeout(() => {
      log.error({ operation: "shutdown" }, "shutdown deadline passed; exiting");
      process.exit(1);
    }, o.shutdownTimeout + 10_000);
    hard.unref();
    onStopRequested();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const op = await startOperator(o, { log });
  await new Promise<void>((resolve) => {
    onStopRequested = () => {
      op.stop().then(resolve, (err: unknown) => {
        log.error({ operation: "shutdown", err: describeError(err) }, "shutdown failed");
        resolve();
      });
    };
    if (signalled) onStopRequested();
  });
}
