/**
 * Azure Resource Manager simulator: an HTTPS server on loopback that the unmodified Azure SDK
 * clients talk to (endpoint + CA + a SimTokenCredential). See docs/simulator.md.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { SimAdminClient } from "./admin-client.js";
import type { SimCore } from "./admin.js";
import { simTlsMaterial } from "./certs.js";
import { CounterStore } from "./counters.js";
import { FaultBook } from "./faults.js";
import { SimServer } from "./server.js";
import { buildState } from "./state.js";
import { DEFAULT_READ_BUCKET, ReadBuckets, type BucketConfig } from "./throttle.js";
import { loadTopology, type Topology } from "./topology.js";

export interface StartSimulatorOptions {
  /** topology object, YAML text, or a path to a YAML file */
  topology: Topology | string;
  /** 0 or omitted: any free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** per-caller read bucket; default 250 tokens, 25/s */
  readBucket?: BucketConfig;
  /** items per page for list operations; overrides the topology's pageSize */
  pageSize?: number;
}

export interface RunningSimulator {
  /** https://127.0.0.1:PORT */
  url: string;
  caPem: string;
  /** the CA written to a temp file (removed on close) */
  caFile: string;
  admin: SimAdminClient;
  close(): Promise<void>;
}

export async function startSimulator(opts: StartSimulatorOptions): Promise<RunningSimulator> {
  const state = buildState(loadTopology(opts.topology));
  if (opts.pageSize !== undefined) state.pageSize = opts.pageSize;
  const core: SimCore = {
    state,
    buckets: new ReadBuckets(opts.readBucket ?? DEFAULT_READ_BUCKET),
    faults: new FaultBook(),
    counters: new CounterStore(),
  };
  const tls = await simTlsMaterial();
  const sim = new SimServer({ key: tls.keyPem, cert: tls.certPem, core });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    sim.server.once("error", reject);
    sim.server.listen(opts.port ?? 0, host, () => {
      sim.server.off("error", reject);
      resolve();
    });
  });
  const port = (sim.server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `https://${urlHost}:${port}`;
  const dir = await mkdtemp(join(tmpdir(), "azure-sim-"));
  const caFile = join(dir, "ca.pem");
  await writeFile(caFile, tls.caPem, { mode: 0o644 });
  let closed: Promise<void> | undefined;
  return {
    url,
    caPem: tls.caPem,
    caFile,
    admin: new SimAdminClient(url, tls.caPem),
    close: () => {
      closed ??= (async () => {
        await sim.close();
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

export { SimAdminClient, SimAdminError, type SubnetProps } from "./admin-client.js";
export type { SubnetUsageInfo } from "./admin.js";
export {
  SimTokenCredential,
  simToken,
  staticTokenCredential,
  parseSimToken,
  type SimTokenClaims,
} from "./credential.js";
export type { Counters, RequestLogEntry } from "./counters.js";
export type { FaultSpec, FaultStatus } from "./faults.js";
export { OPERATIONS, type OperationName } from "./operations.js";
export type { BucketConfig } from "./throttle.js";
export {
  BUILT_IN_ROLES,
  CONTRIBUTOR_ROLE_ID,
  EVERYONE_PRINCIPAL,
  NETWORK_CONTRIBUTOR_ROLE_ID,
  OWNER_ROLE_ID,
  READER_ROLE_ID,
  TopologyError,
  loadTopology,
  topologyJsonSchema,
  validateTopology,
  type ParsedTopology,
  type Topology,
} from "./topology.js";
