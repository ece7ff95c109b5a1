/**
 * Starts a real etcd + kube-apiserver on loopback (TLS, token authentication, RBAC authorizer) and
 * installs CRDs. Used by the test global setup and by hack/local-up.sh; the binaries come from
 * hack/control-plane-bins.sh (KUBEBUILDER_ASSETS, a version-keyed cache, or a build from Go modules).
 *
 * CLI: tsx hack/control-plane.ts start --dir DIR [--crd ours|upstream]   (detached; writes DIR/state.json)
 *      tsx hack/control-plane.ts stop --dir DIR
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "node:https";
import { parseAllDocuments } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export type CrdFlavor = "ours" | "upstream";

export interface ControlPlaneState {
  dir: string;
  server: string;
  caFile: string;
  adminToken: string;
  /** a non-admin user ("aks-subnet-health-operator", group "aks-subnet-health") for RBAC tests */
  operatorToken: string;
  kubeconfig: string;
  operatorKubeconfig: string;
  etcdPid: number;
  apiserverPid: number;
  crd: CrdFlavor;
}

/** Third-party CRDs kept in the repository (source, version and licence in third_party/crds/README.md). */
export const THIRD_PARTY_CRDS = path.join(root, "third_party", "crds");

/** The CRDs a control plane starts with: AKSNodeClass (ours or Karpenter's), NodePool, NodeClaim, our views. */
export function crdFiles(flavor: CrdFlavor): string[] {
  const karpenter = path.join(THIRD_PARTY_CRDS, "karpenter");
  const karpenterCore = [
    path.join(karpenter, "karpenter.sh_nodepools.yaml"),
    path.join(karpenter, "karpenter.sh_nodeclaims.yaml"),
  ];
  const nodeclass =
    flavor === "ours"
      ? path.join(root, "crds", "aksnodeclasses.yaml")
      : path.join(karpenter, "karpenter.azure.com_aksnodeclasses.yaml");
  // aks-subnet-health's own view CRDs, installed with the operator whichever AKSNodeClass CRD is present
  const views = [path.join(root, "crds", "nodeclasshealths.yaml"), path.join(root, "crds", "subnethealths.yaml")];
  return [nodeclass, ...karpenterCore, ...views];
}

/** prometheus-operator's ServiceMonitor, PodMonitor and PrometheusRule CRDs (for the chart's monitoring objects). */
/** The ServiceMonitor / PodMonitor CRDs of Azure managed Prometheus (the AKS metrics add-on). */
export function azureMonitorCrdFiles(): string[] {
  const dir = path.join(THIRD_PARTY_CRDS, "azure-monitor");
  return ["servicemonitor", "podmonitor"].map((k) => path.join(dir, `ama-metrics-${k}-crd.yaml`));
}

export function prometheusOperatorCrdFiles(): string[] {
  const dir = path.join(THIRD_PARTY_CRDS, "prometheus-operator");
  return ["servicemonitors", "podmonitors", "prometheusrules"].map((k) =>
    path.join(dir, `monitoring.coreos.com_${k}.yaml`),
  );
}

export function binDir(): string {
  const out = execFileSync("bash", [path.join(root, "hack", "control-plane-bins.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const dir = out.trim().split("\n").pop() ?? "";
  if (!dir) throw new Error("hack/control-plane-bins.sh printed no directory");
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function makePki(pki: string): void {
  mkdirSync(pki, { recursive: true });
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "3650",
      "-subj",
      "/CN=aks-subnet-health-test-ca",
    ],
    pki,
  );
  writeFileSync(
    path.join(pki, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=kube-apiserver",
    ],
    pki,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      "3650",
      "-extfile",
      "server.ext",
    ],
    pki,
  );
  openssl(["genrsa", "-out", "sa.key", "2048"], pki);
}

function kubeconfigYaml(server: string, caFile: string, token: string, user: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: local",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: local",
    "  context:",
    "    cluster: local",
    `    user: ${user}`,
    "current-context: local",
    "",
  ].join("\n");
}

function startProcess(bin: string, args: string[], logFile: string, detached: boolean): ChildProcess {
  const fd = openSync(logFile, "a");
  const child = spawn(bin, args, { stdio: ["ignore", fd, fd], detached });
  closeSync(fd);
  if (detached) child.unref();
  return child;
}

interface HttpResult {
  status: number;
  body: string;
}

export function apiRequest(
  state: Pick<ControlPlaneState, "server" | "caFile" | "adminToken">,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = "application/json",
  accept = "application/json",
): Promise<HttpResult> {
  const url = new URL(urlPath, state.server);
  const agent = new Agent({ ca: readFileSync(state.caFile) });
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${state.adminToken}`,
          accept,
          ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  logHint?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}${logHint ? ` (logs: ${logHint})` : ""}`,
  );
}

/** Creates (or replaces) the CRDs in the files and waits until each is Established. */
export async function installCrds(state: ControlPlaneState, files: string[]): Promise<void> {
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const obj = doc.toJSON() as { metadata: { name: string } } | null;
      if (!obj) continue;
      names.push(obj.metadata.name);
      const res = await apiRequest(state, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", obj);
      if (res.status === 409) continue;
      if (res.status >= 300)
        throw new Error(`creating CRD ${obj.metadata.name} from ${file}: HTTP ${res.status} ${res.body}`);
    }
  }
  for (const name of names) {
    await waitFor(`CRD ${name} Established`, 30_000, async () => {
      const res = await apiRequest(state, "GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      if (res.status !== 200) return false;
      const crd = JSON.parse(res.body) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
    });
  }
}

export async function startControlPlane(opts: {
  dir: string;
  crd: CrdFlavor;
  detached?: boolean;
  bins?: string;
}): Promise<ControlPlaneState> {
  const bins = opts.bins ?? binDir();
  const dir = path.resolve(opts.dir);
  const pki = path.join(dir, "pki");
  mkdirSync(dir, { recursive: true });
  makePki(pki);
  const adminToken = randomBytes(24).toString("hex");
  const operatorToken = randomBytes(24).toString("hex");
  writeFileSync(
    path.join(pki, "tokens.csv"),
    `${adminToken},test-admin,uid-admin,"system:masters"\n${operatorToken},aks-subnet-health-operator,uid-operator,"aks-subnet-health"\n`,
  );
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const detached = opts.detached ?? false;

  const etcd = startProcess(
    path.join(bins, "etcd"),
    [
      "--name=t",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=t=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ],
    path.join(dir, "etcd.log"),
    detached,
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = startProcess(
    path.join(bins, "kube-apiserver"),
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--advertise-address=127.0.0.1",
      `--cert-dir=${path.join(dir, "certs")}`,
      `--tls-cert-file=${path.join(pki, "server.crt")}`,
      `--tls-private-key-file=${path.join(pki, "server.key")}`,
      `--client-ca-file=${path.join(pki, "ca.crt")}`,
      `--token-auth-file=${path.join(pki, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${path.join(pki, "sa.key")}`,
      `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/16",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none",
      "--enable-priority-and-fairness=false",
    ],
    path.join(dir, "kube-apiserver.log"),
    detached,
  );
  const state: ControlPlaneState = {
    dir,
    server,
    caFile: path.join(pki, "ca.crt"),
    adminToken,
    operatorToken,
    kubeconfig: path.join(dir, "kubeconfig"),
    operatorKubeconfig: path.join(dir, "operator.kubeconfig"),
    etcdPid: etcd.pid ?? -1,
    apiserverPid: apiserver.pid ?? -1,
    crd: opts.crd,
  };
  writeFileSync(state.kubeconfig, kubeconfigYaml(server, state.caFile, adminToken, "test-admin"), { mode: 0o600 });
  writeFileSync(
    state.operatorKubeconfig,
    kubeconfigYaml(server, state.caFile, operatorToken, "aks-subnet-health-operator"),
    { mode: 0o600 },
  );
  writeFileSync(path.join(dir, "state.json"), JSON.stringify(state, null, 2), { mode: 0o600 });

  let exited: string | undefined;
  for (const [name, child] of [
    ["etcd", etcd],
    ["kube-apiserver", apiserver],
  ] as const) {
    child.once("exit", (code, sig) => (exited ??= `${name} exited (${code ?? sig})`));
  }
  try {
    await waitFor(
      "kube-apiserver /readyz",
      90_000,
      async () => {
        if (exited) throw new Error(exited);
        const res = await apiRequest(state, "GET", "/readyz");
        return res.status === 200;
      },
      dir,
    );
    await installCrds(state, crdFiles(opts.crd));
  } catch (err) {
    stopControlPlane(state);
    throw err;
  }
  return state;
}

/** Whether a PID is a live process (a zombie answers kill(0) too, but is gone for our purposes). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2];
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}

/** Stops by recorded PID (kube-apiserver first, then etcd): SIGTERM, then SIGKILL after a grace period. */
export function stopControlPlane(state: Pick<ControlPlaneState, "apiserverPid" | "etcdPid">, graceMs = 5_000): void {
  for (const pid of [state.apiserverPid, state.etcdPid]) {
    if (pid <= 0 || !processAlive(pid)) continue;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      continue;
    }
    const deadline = Date.now() + graceMs;
    while (processAlive(pid) && Date.now() < deadline) execFileSync("sleep", ["0.1"]);
    if (processAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}

async function cli(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const arg = (name: string, dflt?: string): string => {
    const i = rest.indexOf(`--${name}`);
    const v = i >= 0 ? rest[i + 1] : dflt;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const dir = path.resolve(arg("dir"));
  if (cmd === "start") {
    const crd = arg("crd", "ours");
    if (crd !== "ours" && crd !== "upstream") throw new Error("--crd must be ours or upstream");
    const state = await startControlPlane({ dir, crd, detached: true });
    process.stdout.write(JSON.stringify(state) + "\n");
  } else if (cmd === "stop") {
    const file = path.join(dir, "state.json");
    if (!existsSync(file)) return;
    stopControlPlane(JSON.parse(readFileSync(file, "utf8")) as ControlPlaneState);
  } else {
    throw new Error("usage: control-plane.ts start|stop --dir DIR [--crd ours|upstream]");
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  cli().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
