/**
 * An operator running in-process against the shared real control plane and its own ARM simulator.
 * Each stack handles only nodeclasses carrying its own label (--nodeclass-selector), so test files
 * running in parallel on one API server never touch each other's objects.
 */
import { randomBytes } from "node:crypto";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { resolveOptions, type Options } from "../../src/config/options.js";
import { AKSNODECLASS, CONDITION_PREFIX } from "../../src/domain.js";
import { createLogger } from "../../src/log.js";
import { startOperator, type RunningOperator } from "../../src/operator/run.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import type { Topology } from "../../src/sim/topology.js";
import { adminKubeConfig, eventually, type AKSNodeClassObject, type CrdFlavor } from "./kube.js";

export const OPERATOR_OID = "22222222-2222-2222-2222-222222222222";

export interface Stack {
  sim: RunningSimulator;
  kc: KubeConfig;
  runLabel: string;
  options: Options;
  operator: RunningOperator;
  /** create a nodeclass handled by this stack's operator */
  createNodeClass(name: string, spec: Record<string, unknown>): Promise<AKSNodeClassObject>;
  patchSpec(name: string, spec: Record<string, unknown>): Promise<void>;
  deleteNodeClass(name: string): Promise<void>;
  get(name: string): Promise<AKSNodeClassObject>;
  condition(obj: AKSNodeClassObject, short: string): Record<string, unknown> | undefined;
  /** poll until the nodeclass's condition `short` satisfies `pred` */
  waitForCondition(
    name: string,
    short: string,
    pred: (c: Record<string, unknown>) => boolean,
    what?: string,
    timeoutMs?: number,
  ): Promise<AKSNodeClassObject>;
  metricsText(): Promise<string>;
  /** value of one series, undefined when absent */
  metric(name: string, labels: Record<string, string>): Promise<number | undefined>;
  events(name: string): Promise<Array<{ type: string; reason: string; message: string; count: number }>>;
  startAnotherOperator(flags?: Record<string, unknown>): Promise<RunningOperator>;
  stop(): Promise<void>;
}

export async function startStack(opts: {
  topology: Topology | string;
  flavor?: CrdFlavor;
  flags?: Record<string, unknown>;
  readBucket?: { capacity: number; refillPerSecond: number };
  /** what the operator authenticates as (default: the admin user, like the test itself) */
  operatorKubeConfig?: KubeConfig;
}): Promise<Stack> {
  const flavor = opts.flavor ?? "ours";
  const kc = adminKubeConfig(flavor);
  const sim = await startSimulator({
    topology: opts.topology,
    ...(opts.readBucket ? { readBucket: opts.readBucket } : {}),
  });
  const runLabel = `t${randomBytes(4).toString("hex")}`;
  const others: RunningOperator[] = [];
  const optionsFor = (flags: Record<string, unknown>): Options =>
    resolveOptions(
      {
        armEndpoint: sim.url,
        azureCaFile: sim.caFile,
        metricsBindAddress: "127.0.0.1:0",
        healthProbeBindAddress: "127.0.0.1:0",
        resyncPeriod: "2s",
        vnetCacheTtl: "1s",
        accessCacheTtl: "1s",
        statusNumbersMinInterval: "1s",
        nodeclassSelector: `aks-subnet-health-test=${runLabel}`,
        podName: `operator-${runLabel}-${others.length}`,
        logLevel: process.env.TEST_LOG_LEVEL ?? "warn",
        ...opts.flags,
        ...flags,
      },
      {},
    );
  const launch = (flags: Record<string, unknown>): Promise<RunningOperator> =>
    startOperator(optionsFor(flags), {
      kubeConfig: opts.operatorKubeConfig ?? kc,
      credential: new SimTokenCredential({ oid: OPERATOR_OID }),
      log: createLogger(process.env.TEST_LOG_LEVEL ?? "warn"),
      azureRetry: { maxRetries: 1, retryDelayInMs: 20, maxRetryDelayInMs: 100 },
      armTimeoutMs: 5_000,
    });
  const options = optionsFor({});
  const operator = await launch({});
  others.push(operator);
  const api = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const base = { group: AKSNODECLASS.group, version: AKSNODECLASS.version, plural: AKSNODECLASS.plural };
  const created: string[] = [];

  const get = async (name: string): Promise<AKSNodeClassObject> =>
    (await api.getClusterCustomObject({ ...base, name })) as AKSNodeClassObject;
  const condition = (obj: AKSNodeClassObject, short: string): Record<string, unknown> | undefined =>
    obj.status?.conditions?.find((c) => c.type === `${CONDITION_PREFIX}${short}`);

  const metricsText = async (): Promise<string> => (await fetch(operator.metricsUrl)).text();
  const stack: Stack = {
    sim,
    kc,
    runLabel,
    options,
    operator,
    createNodeClass: async (name, spec) => {
      created.push(name);
      return (await api.createClusterCustomObject({
        ...base,
        body: {
          apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
          kind: AKSNODECLASS.kind,
          metadata: { name, labels: { "aks-subnet-health-test": runLabel } },
          spec,
        },
      })) as AKSNodeClassObject;
    },
    patchSpec: async (name, spec) => {
      await api.patchClusterCustomObject(
        { ...base, name, body: { spec } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    },
    deleteNodeClass: async (name) => {
      await api.deleteClusterCustomObject({ ...base, name });
    },
    get,
    condition,
    waitForCondition: async (name, short, pred, what, timeoutMs = 30_000) =>
      eventually(
        async () => {
          const obj = await get(name);
          const c = condition(obj, short);
          return c && pred(c) ? obj : undefined;
        },
        { what: what ?? `${name} ${short}`, timeoutMs },
      ),
    metricsText,
    metric: async (name, labels) => {
      const text = await metricsText();
      for (const line of text.split("\n")) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        const m = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const got: Record<string, string> = {};
        for (const part of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[part[1] ?? ""] = part[2] ?? "";
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
      }
      return undefined;
    },
    events: async (name) => {
      const list = await core.listNamespacedEvent({
        namespace: options.eventsNamespace,
        fieldSelector: `involvedObject.name=${name}`,
      });
      return list.items.map((e) => ({
        type: e.type ?? "",
        reason: e.reason ?? "",
        message: e.message ?? "",
        count: e.count ?? 1,
      }));
    },
    startAnotherOperator: async (flags = {}) => {
      const op = await launch(flags);
      others.push(op);
      return op;
    },
    stop: async () => {
      await Promise.allSettled(others.map((o) => o.stop()));
      await Promise.allSettled(created.map((n) => api.deleteClusterCustomObject({ ...base, name: n })));
      await sim.close();
    },
  };
  return stack;
}
