import {
  bearerTokenAuthenticationPolicyName,
  createHttpHeaders,
  createPipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { ArmLimiter } from "./arm-limiter.js";
import { ARM_POLICY_NAME, armRequestPolicy, createAzureClients, credentialScopeFor } from "./clients.js";
import { classifyAzureError } from "./errors.js";
import { operationFromRequest } from "./operations.js";
import { ARM_TARGET_GUARD_POLICY_NAME, checkRequestTarget } from "./request-guard.js";
import { azureError, networkError } from "./testing.js";

const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
const BASE = `https://management.azure.com/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1`;

describe("operationFromRequest", () => {
  it.each([
    [`${BASE}/subnets/s1?api-version=2026-01-01`, "Subnets_Get"],
    [`${BASE}?api-version=2026-01-01`, "VirtualNetworks_Get"],
    [`${BASE}/usages?api-version=2026-01-01`, "VirtualNetworks_ListUsage"],
    [`${BASE}/usages?api-version=2026-01-01&$skipToken=abc`, "VirtualNetworks_ListUsage"],
    [
      `https://management.azure.com//subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()`,
      "RoleAssignments_ListForScope",
    ],
    [
      `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
      "RoleDefinitions_GetById",
    ],
    [
      `https://management.azure.com/subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1/providers/Microsoft.Authorization/denyAssignments`,
      "DenyAssignments_ListForResource",
    ],
    [
      `https://management.azure.com/subscriptions/${SUB}/providers/Microsoft.Authorization/denyAssignments`,
      "DenyAssignments_ListForScope",
    ],
    [
      `https://management.azure.com/subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1/providers/Microsoft.Authorization/permissions`,
      "Permissions_ListForResource",
    ],
    [
      `https://management.azure.com/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1`,
      "ManagedClusters_Get",
    ],
    [`https://management.azure.com/subscriptions/${SUB}/resourceGroups/rg`, "Other"],
  ])("%s → %s", (url, op) => {
    expect(operationFromRequest("GET", url)).toBe(op);
  });
  it("non-GET is Other", () => {
    expect(operationFromRequest("PUT", `${BASE}/subnets/s1`)).toBe("Other");
  });
});

describe("credentialScopeFor", () => {
  it("uses the sovereign cloud's own audience and the public one for anything else", () => {
    expect(credentialScopeFor("https://management.azure.com")).toBe("https://management.azure.com/.default");
    expect(credentialScopeFor("https://management.usgovcloudapi.net/")).toBe(
      "https://management.usgovcloudapi.net/.default",
    );
    expect(credentialScopeFor("https://management.chinacloudapi.cn")).toBe(
      "https://management.chinacloudapi.cn/.default",
    );
    expect(credentialScopeFor("https://127.0.0.1:8443")).toBe("https://management.azure.com/.default");
  });
});

describe("createAzureClients", () => {
  const credential = { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3_600_000 }) };
  it("refuses a plain-http endpoint (tokens would travel in clear)", () => {
    expect(() => createAzureClients({ credential, endpoint: "http://127.0.0.1:1" })).toThrow(/https/);
  });
  it("creates clients per subscription once", () => {
    const clients = createAzureClients({ credential });
    expect(clients.forSubscription(SUB)).toBe(clients.forSubscription(SUB.toUpperCase()));
    expect(clients.credentialScope).toBe("https://management.azure.com/.default");
  });
});

describe("armRequestPolicy", () => {
  function response(status: number, headers: Record<string, string> = {}): PipelineResponse {
    return {
      status,
      headers: createHttpHeaders({ "content-type": "application/json; charset=utf-8", ...headers }),
      request: createPipelineRequest({ url: BASE }),
      bodyAsText: JSON.stringify({ id: "/subscriptions/x", properties: {} }),
    };
  }

  it("reports every attempt with operation, status and duration", async () => {
    const seen: Array<[string, string, number]> = [];
    const policy = armRequestPolicy({ onRequest: (op, outcome, seconds) => seen.push([op, outcome, seconds]) });
    await policy.sendRequest(createPipelineRequest({ url: `${BASE}/subnets/s1` }), async () => response(200));
    await expect(
      policy.sendRequest(createPipelineRequest({ url: `${BASE}/usages` }), async () => {
        throw networkError("ECONNRESET");
      }),
    ).rejects.toThrow();
    expect(seen.map(([op, outcome]) => [op, outcome])).toEqual([
      ["Subnets_Get", "200"],
      ["VirtualNetworks_ListUsage", "ECONNRESET"],
    ]);
    expect(seen.every(([, , s]) => s >= 0)).toBe(true);
  });

  it("on 429 pauses the limiter for Retry-After and hides the header from the SDK's own retry", async () => {
    const limiter = new ArmLimiter();
    const policy = armRequestPolicy({ limiter });
    const res = await policy.sendRequest(createPipelineRequest({ url: BASE }), async () =>
      response(429, { "retry-after": "7" }),
    );
    expect(res.headers.get("retry-after")).toBeUndefined();
    expect(limiter.throttledUntil).toBeGreaterThan(Date.now() + 6_000);
    // the classifier still finds the delay on the error built from that response
    const err = azureError(429, "SubscriptionRequestsThrottled", "x", Object.fromEntries([...res.headers]));
    const c = classifyAzureError(err, { operation: "VirtualNetworks_Get" });
    expect(c.outcome === "failure" && c.failure.retryAfterSeconds).toBe(7);
  });

  it("never reads the Authorization header", async () => {
    const request = createPipelineRequest({ url: BASE });
    const headers = request.headers;
    let touched: boolean;
    request.headers = new Proxy(headers, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (typeof args[0] === "string" && args[0].toLowerCase() === "authorization") touched = true;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    request.headers.set("authorization", "Bearer secret");
    touched = false;
    await armRequestPolicy({ onRequest: () => undefined }).sendRequest(request, async () => response(200));
    expect(touched).toBe(false);
  });
});

describe("ARM target guard placement", () => {
  const credential = { getToken: async () => ({ token: "x", expiresOnTimestamp: Date.now() + 3_600_000 }) };
  it("runs before the bearer-token policy on every client (a refused request never gets a token)", () => {
    const c = createAzureClients({ credential }).forSubscription(SUB);
    for (const client of [c.network, c.authorization, c.containerService]) {
      const names = client.pipeline.getOrderedPolicies().map((p) => p.name);
      const guard = names.indexOf(ARM_TARGET_GUARD_POLICY_NAME);
      expect(guard).toBeGreaterThanOrEqual(0);
      expect(guard).toBeLessThan(names.indexOf(bearerTokenAuthenticationPolicyName));
      // and the per-attempt checks run after it, right before the transport
      expect(names.indexOf(ARM_POLICY_NAME)).toBeGreaterThan(names.indexOf(bearerTokenAuthenticationPolicyName));
    }
  });
});

describe("checkRequestTarget", () => {
  const origin = "https://management.azure.com";
  it.each([
    `${BASE}/subnets/s1?api-version=1`,
    `${BASE}/usages?api-version=1&$skipToken=abc`,
    `https://management.azure.com//subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1/providers/Microsoft.Authorization/roleAssignments?$filter=x`,
    `https://MANAGEMENT.azure.com:443/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
  ])("lets %s go", (url) => {
    expect(checkRequestTarget("GET", url, origin)).toBeUndefined();
  });
  it.each([
    [
      `https://evil.example/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1`,
      "foreign-host",
    ],
    [`https://management.azure.com.evil.example${BASE.slice("https://management.azure.com".length)}`, "foreign-host"],
    [`https://user:pw@management.azure.com${BASE.slice("https://management.azure.com".length)}`, "foreign-host"],
    [`http://management.azure.com${BASE.slice("https://management.azure.com".length)}`, "foreign-host"],
    [`https://management.azure.com:8443${BASE.slice("https://management.azure.com".length)}`, "foreign-host"],
    [`https://management.azure.com/subscriptions/${SUB}/resourceGroups/rg`, "path"],
    [`${BASE}/subnets/s1%2F..%2F..?api-version=1`, "path"],
    [`https://management.azure.com/tenants/x/providers/Microsoft.Network/virtualNetworks/v1`, "path"],
  ])("refuses %s (%s)", (url, reason) => {
    expect(checkRequestTarget("GET", url, origin)?.reason).toBe(reason);
  });
  it("refuses anything but GET", () => {
    expect(checkRequestTarget("DELETE", `${BASE}/subnets/s1`, origin)?.reason).toBe("path");
  });
});
