/** ARM-like throttling, injected faults and request counters, seen through the real SDK. */
import { isRestError } from "@azure/core-rest-pipeline";
import { request } from "node:https";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  EXAMPLE_SUBSCRIPTION_ID,
  KARPENTER_PRINCIPAL_ID,
  OPERATOR_PRINCIPAL_ID,
  EXAMPLE_SUBNET_IDS,
} from "../../src/sim/example-ids.js";
import { NetworkManagementClient } from "@azure/arm-network";
import { SimTokenCredential, simToken, startSimulator, type RunningSimulator } from "../../src/sim/index.js";
import { networkClient, rejection } from "./helpers.js";

const EXAMPLE_TOPOLOGY = new URL("../../examples/topology.yaml", import.meta.url).pathname;
const operator = new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID });
const karpenter = new SimTokenCredential({ oid: KARPENTER_PRINCIPAL_ID });

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ topology: EXAMPLE_TOPOLOGY, readBucket: { capacity: 250, refillPerSecond: 25 } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await sim.admin.clearFaults();
  await sim.admin.setReadBucket({ capacity: 250, refillPerSecond: 25 });
  await sim.admin.resetCounters();
});

function rawGet(
  path: string,
  oid = OPERATOR_PRINCIPAL_ID,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}${path}`,
      { ca: sim.caPem, agent: false, headers: { authorization: `Bearer ${simToken({ oid })}` } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const SUBNET_PATH = `${EXAMPLE_SUBNET_IDS.healthy}?api-version=2026-01-01`;
const getHealthy = (net: NetworkManagementClient, signal?: AbortSignal) =>
  net.subnets.get("rg-network", "vnet-aks", "aks-default", signal ? { abortSignal: signal } : {});

describe("read throttling", () => {
  it("an empty bucket answers 429 SubscriptionRequestsThrottled with Retry-After from the refill rate, per caller", async () => {
    await sim.admin.setReadBucket({ capacity: 3, refillPerSecond: 0.25 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await rawGet(SUBNET_PATH)).status);
    const throttled = await rawGet(SUBNET_PATH);
    expect([...statuses, throttled.status]).toEqual([200, 200, 200, 429]);
    const retryAfter = Number(throttled.headers["retry-after"]);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 4).toBe(true);
    expect(throttled.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBe("0");
    expect(JSON.parse(throttled.body)).toEqual({
      error: {
        code: "SubscriptionRequestsThrottled",
        message: `Number of 'read' requests for subscription '${EXAMPLE_SUBSCRIPTION_ID}' actor '${OPERATOR_PRINCIPAL_ID}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
      },
    });
    // another caller has its own bucket
    expect((await rawGet(SUBNET_PATH, KARPENTER_PRINCIPAL_ID)).status).toBe(200);
  });

  it("the SDK honours Retry-After: a burst beyond the bucket eventually succeeds, counters show the 429s", async () => {
    await sim.admin.setReadBucket({ capacity: 5, refillPerSecond: 2 });
    const net = new NetworkManagementClient(operator, EXAMPLE_SUBSCRIPTION_ID, {
      endpoint: sim.url,
      tlsOptions: { ca: sim.caPem },
      retryOptions: { maxRetries: 4, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => getHealthy(net)));
    expect(results.every((s) => s.name === "aks-default")).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited at least one Retry-After second
    const c = await sim.admin.counters();
    expect(c.byOperationStatus["Subnets_Get"]?.["200"]).toBe(8);
    expect(c.byOperationStatus["Subnets_Get"]?.["429"]).toBeGreaterThanOrEqual(3);
    expect(c.byOperation["Subnets_Get"]).toBe(8 + (c.byOperationStatus["Subnets_Get"]?.["429"] ?? 0));
  });
});

describe("faults", () => {
  it("a connection reset is retried by the SDK; more resets than retries fail the call", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "reset", count: 1 }]);
    expect((await getHealthy(net)).name).toBe("aks-default");
    let c = await sim.admin.counters();
    expect(c.byOperationStatus["Subnets_Get"]).toEqual({ reset: 1, "200": 1 });

    await sim.admin.setFaults([{ operation: "*", kind: "reset" }]);
    const err = await rejection(getHealthy(net));
    expect(isRestError(err) ? err.code : String(err)).toMatch(/ECONNRESET/);
    c = await sim.admin.counters();
    expect(c.byOperationStatus["Subnets_Get"]?.["reset"]).toBe(1 + 3); // 1 + maxRetries 2 + first attempt
  });

  it("latency delays the answer", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    // a caller whose deadline is far shorter than the added latency gives up; the next call, after the
    // one-shot fault, is answered (no clock is read: the 60x margin decides)
    await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "latency", latencyMs: 3_000, count: 1 }]);
    const err = await rejection(getHealthy(net, AbortSignal.timeout(50)));
    expect(String((err as Error).name)).toMatch(/Abort|Timeout/);
    expect((await sim.admin.faults())[0]).toMatchObject({ applied: 1 });
    const subnet = await getHealthy(net);
    expect(subnet.name).toBe("aks-default");
    expect((await sim.admin.faults())[0]).toMatchObject({ applied: 1 });
  });

  it("errors carry the given status and code; 5xx beyond the retries reach the caller", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "error", status: 500 }]);
    const err = await rejection(getHealthy(net));
    expect(isRestError(err) && [err.statusCode, err.code]).toEqual([500, "InternalServerError"]);

    await sim.admin.setFaults([
      { operation: "Subnets_Get", kind: "error", status: 503, code: "ServiceUnavailable", count: 1 },
    ]);
    expect((await getHealthy(net)).name).toBe("aks-default");

    await sim.admin.setFaults([
      { operation: "Subnets_Get", kind: "error", status: 409, code: "Conflict", message: "busy" },
    ]);
    const conflict = await rejection(getHealthy(net));
    expect(isRestError(conflict) && [conflict.statusCode, conflict.code, conflict.message]).toEqual([
      409,
      "Conflict",
      "busy",
    ]);
  });

  it("an error rate is deterministic for a seed", async () => {
    const run = async (): Promise<number[]> => {
      await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "error", status: 500, rate: 0.5, seed: 42 }]);
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await rawGet(SUBNET_PATH)).status);
      return out;
    };
    const first = await run();
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(18);
    expect(await run()).toEqual(first);
  });

  it("a burst of 429s with Retry-After is waited out by the SDK", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "throttle", count: 1, retryAfterSeconds: 1 }]);
    const t0 = Date.now();
    expect((await getHealthy(net)).name).toBe("aks-default");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect((await sim.admin.counters()).byOperationStatus["Subnets_Get"]).toEqual({ "429": 1, "200": 1 });
  });

  it("`after` and `caller` target exactly the requests meant", async () => {
    await sim.admin.setFaults([
      { operation: "Subnets_Get", kind: "error", status: 500, after: 1, count: 1, caller: OPERATOR_PRINCIPAL_ID },
    ]);
    const statuses = [
      await rawGet(SUBNET_PATH, KARPENTER_PRINCIPAL_ID),
      await rawGet(SUBNET_PATH),
      await rawGet(SUBNET_PATH),
      await rawGet(SUBNET_PATH),
    ].map((r) => r.status);
    expect(statuses).toEqual([200, 200, 500, 200]);
    const [status] = await sim.admin.faults();
    expect(status).toMatchObject({ seen: 2, applied: 1 });
  });

  it("a hang never answers; the caller's abort signal ends the wait", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await sim.admin.setFaults([{ operation: "Subnets_Get", kind: "hang" }]);
    const err = await rejection(getHealthy(net, AbortSignal.timeout(200)));
    expect(err).toMatchObject({ name: "AbortError" });
    await expect
      .poll(async () => (await sim.admin.counters()).byOperationStatus["Subnets_Get"]?.["hang"], { timeout: 2000 })
      .toBe(1);
    await sim.admin.clearFaults();
    expect((await getHealthy(net)).name).toBe("aks-default");
  });

  it("rejects a bad fault spec with the field named", async () => {
    await expect(sim.admin.setFaults([{ operation: "Subnets_Get", kind: "latency" }])).rejects.toThrow(
      /fault\[0\]: latencyMs/,
    );
    await expect(sim.admin.setFaults([{ operation: "Nope" as "Subnets_Get", kind: "reset" }])).rejects.toThrow(
      /fault\[0\]: operation/,
    );
  });
});

describe("counters", () => {
  it("count every request by operation, caller and status, and reset", async () => {
    const net = networkClient(sim, operator, EXAMPLE_SUBSCRIPTION_ID);
    await getHealthy(net);
    await net.virtualNetworks.get("rg-network", "vnet-aks");
    await rejection(networkClient(sim, karpenter, EXAMPLE_SUBSCRIPTION_ID).subnets.get("rg-aks", "x", "y")); // 403: no role on rg-aks
    const c = await sim.admin.counters();
    expect(c.total).toBe(3);
    expect(c.byOperation).toEqual({ Subnets_Get: 2, VirtualNetworks_Get: 1 });
    expect(c.byCaller[OPERATOR_PRINCIPAL_ID]).toEqual({ Subnets_Get: 1, VirtualNetworks_Get: 1 });
    expect(c.byCaller[KARPENTER_PRINCIPAL_ID]).toEqual({ Subnets_Get: 1 });
    expect(c.byOperationStatus["Subnets_Get"]).toEqual({ "200": 1, "403": 1 });
    expect(c.apiVersions["Subnets_Get"]).toEqual({ "2026-01-01": 2 });
    await sim.admin.resetCounters();
    expect(await sim.admin.counters()).toEqual({
      total: 0,
      byOperation: {},
      byCaller: {},
      byOperationStatus: {},
      apiVersions: {},
    });
  });
});
