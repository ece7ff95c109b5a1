/**
 * Hostile answers in ARM's place, with the real SDK clients against the simulator: nextLinks to another
 * host or in a loop, 200s that are not the resource, huge bodies. A second loopback HTTPS server with a
 * certificate the client trusts records everything it receives: it must receive nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArmLimiter } from "../../src/azure/arm-limiter.js";
import { armAuthorizationReader } from "../../src/azure/authorization-reader.js";
import { createAzureClients, type AzureClients } from "../../src/azure/clients.js";
import { classifyAzureError } from "../../src/azure/errors.js";
import { armNetworkReader } from "../../src/azure/network-reader.js";
import type { ArmGuardError } from "../../src/azure/request-guard.js";
import { FileTokenCredential } from "../../src/azure/static-token-credential.js";
import { VNetCache } from "../../src/azure/vnet-cache.js";
import {
  SimTokenCredential,
  simToken,
  startSimulator,
  type FaultSpec,
  type RunningSimulator,
} from "../../src/sim/index.js";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";
import { KARPENTER_A, NODES, OPERATOR, SUB, subnet, topology } from "./fixtures.js";

let sim: RunningSimulator;
let recorder: RecordingServer;
let recorderUrl: string;
let received: RecordingServer["received"];

interface Harness {
  clients: AzureClients;
  limiter: ArmLimiter;
  refusals: ArmGuardError[];
}

function harness(opts: { maxPages?: number; maxResponseBytes?: number } = {}): Harness {
  const limiter = new ArmLimiter({ timeoutMs: 20_000 });
  const refusals: ArmGuardError[] = [];
  const clients = createAzureClients({
    credential: new SimTokenCredential({ oid: OPERATOR }),
    endpoint: sim.url,
    ca: sim.caPem,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    limiter,
    onRefused: (e) => refusals.push(e),
    ...opts,
  });
  return { clients, limiter, refusals };
}

const ref = subnet(NODES);
const vnetRef = { subscriptionId: SUB, resourceGroup: ref.resourceGroup, vnet: ref.vnet };

async function failureOf(p: Promise<unknown>, operation: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${operation} should have failed`).toBeDefined();
  return classifyAzureError(err, { operation });
}

beforeAll(async () => {
  sim = await startSimulator({ topology: topology(), pageSize: 2 });
  recorder = await startRecordingServer();
  recorderUrl = recorder.url;
  received = recorder.received;
});
afterAll(async () => {
  await sim?.close();
  await recorder?.close();
});
beforeEach(async () => {
  received.length = 0;
  await sim.admin.clearFaults();
  await sim.admin.replaceTopology(topology());
  await sim.admin.resetCounters();
});

const listings: Array<{ operation: FaultSpec["operation"]; call: (h: Harness) => Promise<unknown> }> = [
  { operation: "VirtualNetworks_ListUsage", call: (h) => armNetworkReader(h.clients, h.limiter).listUsage(vnetRef) },
  {
    operation: "RoleAssignments_ListForScope",
    call: (h) => armAuthorizationReader(h.clients, h.limiter).listRoleAssignments(ref, KARPENTER_A),
  },
  {
    operation: "DenyAssignments_ListForResource",
    call: (h) => armAuthorizationReader(h.clients, h.limiter).listDenyAssignments(ref),
  },
  {
    operation: "Permissions_ListForResource",
    call: (h) => armAuthorizationReader(h.clients, h.limiter).listPermissions(ref),
  },
];

describe("requests stay on ARM", () => {
  it.each(listings)("a foreign-host nextLink on $operation: nothing reaches the other host", async (l) => {
    await sim.admin.setFaults([
      { operation: l.operation, kind: "foreign-next-link", nextLink: `${recorderUrl}/subscriptions/${SUB}/steal` },
    ]);
    const h = harness();
    const c = await failureOf(l.call(h), l.operation);
    expect(c.outcome).toBe("failure");
    expect(c.outcome === "failure" && c.failure.code).toBe("RequestToForeignHostRefused");
    expect(received).toEqual([]);
    expect(h.refusals.map((r) => [r.reason, r.host])).toEqual([["foreign-host", recorder.host]]);
    // the first page was read from ARM, nothing after it
    expect((await sim.admin.counters()).byOperation[l.operation]).toBe(1);
  });

  it("a foreign nextLink fails before a token is even requested", async () => {
    await sim.admin.setFaults([{ operation: "*", kind: "foreign-next-link", nextLink: `${recorderUrl}/x` }]);
    const scopesAsked: string[] = [];
    const cred = new SimTokenCredential({ oid: OPERATOR });
    const counting = {
      getToken: async (scopes: string | string[], o?: Parameters<SimTokenCredential["getToken"]>[1]) => {
        scopesAsked.push(String(scopes));
        const token = await cred.getToken(scopes, o);
        // about to expire: the bearer policy asks again for every request that reaches it
        return { token: token.token, expiresOnTimestamp: Date.now() + 1_000 };
      },
    };
    const limiter = new ArmLimiter({ timeoutMs: 20_000 });
    const clients = createAzureClients({ credential: counting, endpoint: sim.url, ca: sim.caPem, limiter });
    await failureOf(armNetworkReader(clients, limiter).listUsage(vnetRef), "VirtualNetworks_ListUsage");
    // one token for the first (ARM) page; the foreign page never reached the token policy
    expect(scopesAsked).toHaveLength(1);
    expect(received).toEqual([]);
  });

  it("a looping nextLink (same URL) stops at once; other reads go on", async () => {
    await sim.admin.setFaults([{ operation: "VirtualNetworks_ListUsage", kind: "looping-next-link" }]);
    const h = harness();
    const reader = armNetworkReader(h.clients, h.limiter);
    const c = await failureOf(reader.listUsage(vnetRef), "VirtualNetworks_ListUsage");
    expect(c.outcome === "failure" && c.failure.code).toBe("NextLinkLoop");
    // the simulator's nextLink repeats the first request's URL: refused before it is sent again
    expect((await sim.admin.counters()).byOperation["VirtualNetworks_ListUsage"]).toBe(1);
    await expect(reader.getVirtualNetwork(vnetRef)).resolves.toMatchObject({ name: ref.vnet });
  });

  it("a looping nextLink with a new URL each time stops at the page cap; other reads go on", async () => {
    await sim.admin.setFaults([
      { operation: "RoleAssignments_ListForScope", kind: "looping-next-link", distinct: true },
    ]);
    const h = harness({ maxPages: 7 });
    const authz = armAuthorizationReader(h.clients, h.limiter);
    const c = await failureOf(authz.listRoleAssignments(ref, KARPENTER_A), "RoleAssignments_ListForScope");
    expect(c.outcome === "failure" && c.failure.code).toBe("PageLimitExceeded");
    expect((await sim.admin.counters()).byOperation["RoleAssignments_ListForScope"]).toBe(7);
    expect(h.refusals.map((r) => r.reason)).toEqual(["page-limit"]);
    await expect(authz.listDenyAssignments(ref)).resolves.toEqual(expect.any(Array));
  });

  it("normal paging (pageSize 2) is not affected by the guard", async () => {
    const h = harness({ maxPages: 2 });
    const usages = await armNetworkReader(h.clients, h.limiter).listUsage(vnetRef);
    expect(usages.length).toBe(3);
    expect(h.refusals).toEqual([]);
  });
});

describe("shape before meaning", () => {
  it.each([
    ["html", "UnexpectedContentType"],
    ["error-body", "ErrorBodyWithSuccessStatus"],
    ["wrong-shape", "UnexpectedResponseBody"],
  ] as const)("a VNet read answered 200 with %s is a failure, never 'missing'", async (kind, code) => {
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind }]);
    const h = harness();
    const cache = new VNetCache({ reader: armNetworkReader(h.clients, h.limiter) });
    const obs = await cache.get(ref);
    expect(obs.kind).toBe("unavailable");
    expect(obs.kind === "unavailable" && obs.failure.code).toBe(code);
    expect(obs.kind === "unavailable" && obs.failure.statusCode).toBe(200);
  });

  it("a role-assignment listing answered 200 HTML is a failure", async () => {
    await sim.admin.setFaults([{ operation: "RoleAssignments_ListForScope", kind: "html" }]);
    const h = harness();
    const c = await failureOf(
      armAuthorizationReader(h.clients, h.limiter).listRoleAssignments(ref, KARPENTER_A),
      "RoleAssignments_ListForScope",
    );
    expect(c.outcome === "failure" && c.failure.code).toBe("UnexpectedContentType");
  });

  it("a 404 with a code that is not Azure's not-found code is no answer", async () => {
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "error", status: 404, code: "NoSuchThing" }]);
    const h = harness();
    const obs = await new VNetCache({ reader: armNetworkReader(h.clients, h.limiter) }).get(ref);
    expect(obs.kind).toBe("unavailable");
  });
});

describe("bounded responses", () => {
  it("an oversized body fails the call without being read whole", async () => {
    const size = 256 * 1024 * 1024;
    await sim.admin.setFaults([{ operation: "VirtualNetworks_Get", kind: "huge-body", bodyBytes: size }]);
    const h = harness({ maxResponseBytes: 1024 * 1024 });
    const before = process.memoryUsage();
    const c = await failureOf(armNetworkReader(h.clients, h.limiter).getVirtualNetwork(vnetRef), "VirtualNetworks_Get");
    const after = process.memoryUsage();
    expect(c.outcome === "failure" && c.failure.code).toBe("ResponseTooLarge");
    const [status] = await sim.admin.faults();
    // the transfer was cut short: far less than the body was sent (socket buffers allow a few MB)
    expect(status?.bytesSent ?? 0).toBeLessThan(size / 8);
    expect(after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed)).toBeLessThan(size / 4);
    expect(h.refusals.map((r) => r.reason)).toEqual(["body-too-large"]);
  });
});

describe("token file problems are authentication failures, repaired on the next read", () => {
  it("missing, then empty, then fixed: auth failures, then an answer at the next read", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-token-"));
    const file = path.join(dir, "token");
    const limiter = new ArmLimiter({ timeoutMs: 20_000 });
    const clients = createAzureClients({
      credential: new FileTokenCredential(file),
      endpoint: sim.url,
      ca: sim.caPem,
      retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
      limiter,
    });
    let now = 0;
    const cache = new VNetCache({ reader: armNetworkReader(clients, limiter), failureTtlMs: 15_000, now: () => now });

    const missing = await cache.get(ref);
    expect(missing).toMatchObject({ kind: "unavailable", failure: { kind: "auth" } });
    expect(missing.kind === "unavailable" && missing.failure.message).toMatch(/token file .* is missing/);

    writeFileSync(file, "\n");
    now += 15_000; // one failure window
    const empty = await cache.get(ref);
    expect(empty.kind === "unavailable" && empty.failure.message).toMatch(/is empty/);

    writeFileSync(file, simToken({ oid: OPERATOR }));
    now += 15_000; // fixed: the next read after one failure window answers
    expect((await cache.get(ref)).kind).toBe("ok");
    rmSync(dir, { recursive: true, force: true });
  });
});
