/**
 * Issue 12: the operator starts and converges against thousands of AKS-shaped nodes that exist
 * before it starts, with a heap cap far below what a whole node LIST needs.
 *
 * 3,000 nodes of about 15 KB of JSON each (labels, annotations, 60 images, 14 conditions; see
 * test/support/aks-nodes.ts) are 50 MB as one LIST response and several times that once parsed. The
 * operator runs as a process (`aks-subnet-health run`, as in the image) with --max-old-space-size=128:
 * it only survives if it lists nodes in pages and keeps a small summary per node. A recording proxy
 * in front of the API server shows the pages (`limit` / `continue`) directly.
 *
 * This file has its own API server: thousands of Karpenter-labelled nodes would otherwise reach every
 * other test's operator. Nothing here is timed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { request as httpsRequest, Agent } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { CustomObjectsApi, KubeConfig, type V1Node } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { binDir, startControlPlane, stopControlPlane, type ControlPlaneState } from "../../hack/control-plane.js";
import { AKSNODECLASS, CONDITION_PREFIX, NODECLASS_LABEL } from "../../src/domain.js";
import { nodeListEncoding, summarizeNode, type NodeSummary } from "../../src/kube/node-addresses.js";
import { listInPages, rawPageFetcher, type PageFetcher } from "../../src/kube/paged-list.js";
import { generatedTopology } from "../../src/sim/generated-topology.js";
import { simToken, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { aksNode, aksNodeName, createNodesRaw } from "../support/aks-nodes.js";
import { eventually, type AKSNodeClassObject } from "../support/kube.js";
import { OPERATOR_OID } from "../support/stack.js";

const NODES = 3_000;
const NODECLASSES = 20;
/** far below one unpaginated LIST of NODES parsed (~150 MB), above the operator's own ~70 MB */
const HEAP_CAP_MIB = 128;
const KARPENTER_OID = "11111111-1111-1111-1111-111111111111";
const SUBSCRIPTION = "00000000-0000-0000-0000-0000000000d5";
const world = generatedTopology({
  subscriptionId: SUBSCRIPTION,
  resourceGroup: "rg-node-scale",
  vnets: ["vnet-a"],
  subnetsPerVnet: 4,
  pageSize: 10,
  operatorPrincipalId: OPERATOR_OID,
  karpenterPrincipalId: KARPENTER_OID,
});
const root = path.resolve(import.meta.dirname, "../..");
const ncName = (i: number): string => `scale-nc-${String(i).padStart(2, "0")}`;
/** nodeclass 0's nodes sit outside its subnet: the operator must have read them to say so */
const OUTSIDE = ncName(0);
const nodeIp = (i: number, nc: number): string =>
  nc === 0 ? `192.168.${(i >> 8) & 0xff}.${i & 0xff}` : `10.10.${nc % 4}.${4 + (i % 250)}`;

let dir: string;
let cp: ControlPlaneState | undefined;
let sim: RunningSimulator | undefined;
let proxy: Server | undefined;
let operator: ChildProcess | undefined;
let output = "";
/** every request the operator sent to the API server, as method + path with query */
const requests: string[] = [];

/**
 * An HTTP → HTTPS pass-through to the API server that records request lines (watches stream through).
 * The operator's kubeconfig points here with the admin token.
 */
function startRecordingProxy(state: ControlPlaneState): Promise<{ server: Server; url: string }> {
  const upstream = new URL(state.server);
  const agent = new Agent({ ca: readFileSync(state.caFile), keepAlive: true });
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? "GET"} ${req.url ?? ""}`);
    const out = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", (err) => res.destroy(err));
    res.on("close", () => out.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-node-scale-"));
  cp = await startControlPlane({ dir: path.join(dir, "control-plane"), crd: "ours", bins: binDir() });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  for (let i = 0; i < NODECLASSES; i++)
    await api.createClusterCustomObject({
      group: AKSNODECLASS.group,
      version: AKSNODECLASS.version,
      plural: AKSNODECLASS.plural,
      body: {
        apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
        kind: AKSNODECLASS.kind,
        metadata: { name: ncName(i) },
        spec: { vnetSubnetID: world.subnetIds[i % 4] },
      },
    });
  // the nodes exist before the operator starts: its first LIST returns all of them
  await createNodesRaw(kc, {
    count: NODES,
    make: (i) =>
      aksNode(aksNodeName("scale", i), i, {
        nodeclass: ncName(i % NODECLASSES),
        internalIP: nodeIp(i, i % NODECLASSES),
      }),
  });
  sim = await startSimulator({ topology: world.topology });
  const p = await startRecordingProxy(cp);
  proxy = p.server;
  const proxyKubeconfig = path.join(dir, "proxy.kubeconfig");
  writeFileSync(
    proxyKubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      // client-node refuses plain HTTP unless TLS verification is off; the proxy is on loopback
      clusters: [{ name: "proxy", cluster: { server: p.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "admin", user: { token: cp.adminToken } }],
      contexts: [{ name: "proxy", context: { cluster: "proxy", user: "admin" } }],
      "current-context": "proxy",
    }),
  );
  const tokenFile = path.join(dir, "token");
  writeFileSync(tokenFile, simToken({ oid: OPERATOR_OID }), { mode: 0o600 });
  operator = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_CAP_MIB}`, "--import", "tsx", "src/cli/main.ts", "run"],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: proxyKubeconfig,
        METRICS_BIND_ADDRESS: "127.0.0.1:0",
        HEALTH_PROBE_BIND_ADDRESS: "127.0.0.1:0",
        ARM_ENDPOINT: sim.url,
        AZURE_CA_FILE: sim.caFile,
        AZURE_TOKEN_FILE: tokenFile,
        KARPENTER_PRINCIPAL_ID: KARPENTER_OID,
        NETWORK_PLUGIN: "azure",
        NETWORK_PLUGIN_MODE: "overlay",
        NETWORK_POLICY: "cilium",
        NETWORK_DATAPLANE: "cilium",
        POD_CIDR: "10.244.0.0/16",
        SERVICE_CIDR: "10.0.0.0/16",
        DNS_SERVICE_IP: "10.0.0.10",
        RESYNC_PERIOD: "30s",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  operator.stdout?.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  operator.stderr?.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
});

afterAll(async () => {
  if (operator && operator.exitCode === null) {
    const exited = new Promise((r) => operator?.once("exit", r));
    operator.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (operator.exitCode === null) operator.kill("SIGKILL");
  }
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  proxy?.closeAllConnections();
  await sim?.close();
  if (cp) stopControlPlane(cp);
  rmSync(dir, { recursive: true, force: true });
});

test(`${NODES} AKS-shaped nodes present at start, heap capped at ${HEAP_CAP_MIB} MiB: the operator converges`, async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(cp!.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const condition = (o: AKSNodeClassObject, short: string): { status?: string; reason?: string } | undefined =>
    o.status?.conditions?.find((c) => c.type === `${CONDITION_PREFIX}${short}`);

  const exited = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new Error(`operator exited (${operator?.exitCode}):\n${output.slice(-4_000)}`));
    if (operator?.exitCode !== null) fail();
    else operator.once("exit", fail);
  });
  exited.catch(() => undefined); // the stop in afterAll is no failure

  const converged = eventually(
    async () => {
      const list = (await api.listClusterCustomObject({
        group: AKSNODECLASS.group,
        version: AKSNODECLASS.version,
        plural: AKSNODECLASS.plural,
      })) as { items: AKSNodeClassObject[] };
      const ready = list.items.filter((o) => condition(o, "SubnetReady")?.status === "True");
      const outside = list.items.find((o) => o.metadata.name === OUTSIDE);
      // every nodeclass reported, and the one whose nodes are elsewhere says so: node data arrived
      const stable = condition(outside!, "SubnetStable")?.reason;
      if (ready.length === NODECLASSES && stable === "NodesOutsideSubnet") return true;
      throw new Error(
        `${ready.length}/${NODECLASSES} SubnetReady=True; ${OUTSIDE} SubnetStable ${stable ?? "not yet"}`,
      );
    },
    {
      what: `all ${NODECLASSES} nodeclasses reported with ${NODES} nodes`,
      timeoutMs: 240_000,
      intervalMs: 1_000,
    },
  );
  // an operator out of heap fails the test at once
  await Promise.race([converged, exited]);
  expect(operator?.exitCode, output).toBeNull();

  // the node LIST went in pages: a limit on every request, and continue tokens to walk them
  const nodeLists = requests
    .filter((r) => r.startsWith("GET /api/v1/nodes?") && !/[?&]watch=/.test(r))
    .map((r) => new URL(r.slice(4), "http://x").searchParams);
  expect(nodeLists.length, "node LIST requests").toBeGreaterThan(0);
  for (const q of nodeLists) {
    expect(Number(q.get("limit")), `limit of ${q.toString()}`).toBeGreaterThan(0);
    expect(Number(q.get("limit"))).toBeLessThanOrEqual(500);
  }
  const limit = Number(nodeLists[0]!.get("limit"));
  const continued = nodeLists.filter((q) => q.get("continue")).length;
  expect(continued, "pages fetched with a continue token").toBeGreaterThanOrEqual(Math.ceil(NODES / limit) - 1);

  // the first report cost each nodeclass one status PATCH against the informer's copy: no GET, no retry
  const base = `/apis/${AKSNODECLASS.group}/${AKSNODECLASS.version}/${AKSNODECLASS.plural}/`;
  const calls = requests.map((r) => {
    const [method, url] = r.split(" ");
    return { method, path: (url ?? "").split("?")[0] ?? "" };
  });
  for (let i = 0; i < NODECLASSES; i++) {
    const own = calls
      .filter((c) => c.path === `${base}${ncName(i)}` || c.path.startsWith(`${base}${ncName(i)}/`))
      .map((c) => `${c.method} ${c.path}`);
    expect(own, `requests about ${ncName(i)}`).toEqual([`PATCH ${base}${ncName(i)}/status`]);
  }
}, 300_000);

test("the node list read in protobuf says what the JSON list says: names, nodeclass label, every InternalIP (dual-stack too)", async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(cp!.kubeconfig);
  // dual-stack and IPv6-only nodes of a nodeclass no operator has, next to the 3,000 single-stack ones
  const addresses = [
    [
      { type: "InternalIP", address: "10.30.0.4" },
      { type: "InternalIP", address: "fd00:30::4" },
      { type: "Hostname", address: "dual-0" },
    ],
    [
      { type: "ExternalIP", address: "20.1.2.3" },
      { type: "InternalIP", address: "fd00:30::5" },
      { type: "InternalIP", address: "10.30.0.5" },
    ],
    [{ type: "InternalIP", address: "fd00:30::6" }],
  ];
  await createNodesRaw(kc, {
    count: addresses.length,
    make: (i) => {
      const node = aksNode(aksNodeName("dual", i), i, { nodeclass: "scale-nc-dual", internalIP: "10.30.0.1" });
      return { ...node, status: { ...(node.status as object), addresses: addresses[i] } };
    },
  });
  const list = async (listPage: PageFetcher<V1Node>): Promise<NodeSummary[]> =>
    (await listInPages(listPage, (n) => summarizeNode(n), { labelSelector: NODECLASS_LABEL, pageSize: 500 })).items;
  const viaProtobuf = await list(rawPageFetcher<V1Node>(kc, "/api/v1/nodes", undefined, nodeListEncoding));
  const viaJson = await list(rawPageFetcher<V1Node>(kc, "/api/v1/nodes"));
  expect(viaProtobuf.length).toBe(NODES + addresses.length);
  expect(viaProtobuf).toEqual(viaJson);
  const dual = viaProtobuf.filter((n) => n.nodeclass === "scale-nc-dual").map((n) => n.internalIPs);
  expect(dual.sort((a, b) => (a.join() < b.join() ? -1 : 1))).toEqual([
    ["10.30.0.4", "fd00:30::4"],
    ["10.30.0.5", "fd00:30::5"],
    ["fd00:30::6"],
  ]);
}, 120_000);
