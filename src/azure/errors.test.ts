import { describe, expect, it } from "vitest";
import { ArmThrottledError, ArmTimeoutError, classifyAzureError, errorClass, retryAfterSecondsFrom } from "./errors.js";
import { ArmGuardError } from "./request-guard.js";
import { azureError, networkError } from "./testing.js";

const SUB = "6f1c2a3b-0d4e-4f5a-8b9c-0123456789ab";
const VNET = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet`;

describe("classifyAzureError: Azure error bodies (ARM's documented error responses)", () => {
  const cases: Array<{ name: string; err: unknown; operation: string; expect: { outcome: string; kind: string } }> = [
    {
      name: "subnet missing (Network RP NotFound naming the subnet)",
      err: azureError(404, "NotFound", `Resource ${VNET}/subnets/nodes not found.`),
      operation: "Subnets_Get",
      expect: { outcome: "definite", kind: "subnet-not-found" },
    },
    {
      name: "VNet missing on Subnets_Get (gateway ResourceNotFound)",
      err: azureError(
        404,
        "ResourceNotFound",
        "The Resource 'Microsoft.Network/virtualNetworks/aks-vnet' under resource group 'net-rg' was not found.",
        {
          "x-ms-failure-cause": "gateway",
        },
      ),
      operation: "Subnets_Get",
      expect: { outcome: "definite", kind: "vnet-not-found" },
    },
    {
      name: "VNet missing on VirtualNetworks_Get (ResourceNotFound)",
      err: azureError(
        404,
        "ResourceNotFound",
        "The Resource 'Microsoft.Network/virtualNetworks/aks-vnet' under resource group 'net-rg' was not found.",
      ),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "definite", kind: "vnet-not-found" },
    },
    {
      name: "VNet missing on VirtualNetworks_Get (NotFound form)",
      err: azureError(404, "NotFound", `Resource ${VNET} not found.`),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "definite", kind: "vnet-not-found" },
    },
    {
      name: "resource group missing",
      err: azureError(404, "ResourceGroupNotFound", "Resource group 'net-rg' could not be found."),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "definite", kind: "resource-group-not-found" },
    },
    {
      name: "subscription missing",
      err: azureError(404, "SubscriptionNotFound", `The subscription '${SUB}' could not be found.`),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "definite", kind: "subscription-not-found" },
    },
    {
      name: "no read permission",
      err: azureError(
        403,
        "AuthorizationFailed",
        "The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/read'",
      ),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "definite", kind: "forbidden" },
    },
    {
      name: "bad token",
      err: azureError(401, "InvalidAuthenticationToken", "The access token is invalid."),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "auth" },
    },
    {
      name: "throttled",
      err: azureError(429, "SubscriptionRequestsThrottled", "Number of 'read' requests for subscription exceeded.", {
        "retry-after": "10",
      }),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "throttled" },
    },
    {
      name: "RP lock is not throttling",
      err: azureError(429, "RetryableErrorDueToAnotherOperation", "Operation is in progress."),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "other" },
    },
    {
      name: "server error",
      err: azureError(503, "ServiceUnavailable", "try later"),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "server-error" },
    },
    {
      name: "500 without body",
      err: azureError(500, undefined, ""),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "server-error" },
    },
    {
      name: "404 without an Azure error code is not 'missing'",
      err: azureError(404, undefined, ""),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "other" },
    },
    {
      name: "managed cluster missing",
      err: azureError(
        404,
        "ResourceNotFound",
        "The Resource 'Microsoft.ContainerService/managedClusters/c' was not found.",
      ),
      operation: "ManagedClusters_Get",
      expect: { outcome: "definite", kind: "not-found" },
    },
    {
      name: "ECONNRESET",
      err: networkError("ECONNRESET", "read ECONNRESET"),
      operation: "VirtualNetworks_Get",
      expect: { outcome: "failure", kind: "unreachable" },
    },
    {
      name: "ECONNREFUSED",
      err: networkError("ECONNREFUSED"),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "unreachable" },
    },
    {
      name: "ENOTFOUND",
      err: networkError("ENOTFOUND", "getaddrinfo ENOTFOUND management.azure.com"),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "unreachable" },
    },
    {
      name: "socket hang up",
      err: new Error("socket hang up"),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "unreachable" },
    },
    {
      name: "ETIMEDOUT",
      err: networkError("ETIMEDOUT"),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "timeout" },
    },
    {
      name: "AbortError",
      err: Object.assign(new Error("The operation was aborted."), { name: "AbortError" }),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "timeout" },
    },
    {
      name: "limiter deadline",
      err: new ArmTimeoutError("Subnets_Get", 5000),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "timeout" },
    },
    {
      name: "limiter throttle",
      err: new ArmThrottledError("Subnets_Get", 7),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "throttled" },
    },
    {
      name: "credential unavailable",
      err: Object.assign(new Error("WorkloadIdentityCredential: missing AZURE_FEDERATED_TOKEN_FILE"), {
        name: "CredentialUnavailableError",
      }),
      operation: "Subnets_Get",
      expect: { outcome: "failure", kind: "auth" },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = classifyAzureError(c.err, { operation: c.operation, resource: `${VNET}/subnets/nodes` });
      expect(r.outcome).toBe(c.expect.outcome);
      expect(r.outcome === "definite" ? r.kind : r.failure.kind).toBe(c.expect.kind);
      // every message names the operation for the user
      const message = r.outcome === "definite" ? r.message : r.failure.message;
      expect(message).toContain(c.operation);
    });
  }

  it("a network failure never reads as not-found, whatever the message says", () => {
    const r = classifyAzureError(networkError("ECONNRESET", "Resource not found? read ECONNRESET"), {
      operation: "Subnets_Get",
    });
    expect(r.outcome).toBe("failure");
  });

  it("keeps the HTTP status and Azure code on failures", () => {
    const r = classifyAzureError(
      azureError(429, "SubscriptionRequestsThrottled", "slow down", { "retry-after": "10" }),
      { operation: "VirtualNetworks_Get" },
    );
    expect(r).toMatchObject({
      outcome: "failure",
      failure: { statusCode: 429, code: "SubscriptionRequestsThrottled", retryAfterSeconds: 10 },
    });
  });
});

describe("retry-after headers", () => {
  const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] });
  it("reads seconds, milliseconds and HTTP dates", () => {
    expect(retryAfterSecondsFrom(h({ "retry-after": "10" }))).toBe(10);
    expect(retryAfterSecondsFrom(h({ "retry-after-ms": "1500" }))).toBe(1.5);
    expect(retryAfterSecondsFrom(h({ "x-ms-retry-after-ms": "250" }))).toBe(0.25);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSecondsFrom(h({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30);
    expect(retryAfterSecondsFrom(h({}))).toBeUndefined();
    expect(retryAfterSecondsFrom(h({ "retry-after": "soon" }))).toBeUndefined();
  });

  it("prefers the millisecond headers and reads the copies our policy hides from the SDK", () => {
    expect(retryAfterSecondsFrom(h({ "retry-after": "10", "retry-after-ms": "2000" }))).toBe(2);
    expect(retryAfterSecondsFrom(h({ "x-aks-subnet-health-original-retry-after": "4" }))).toBe(4);
  });

  it("classifies a 429 carrying only retry-after-ms", () => {
    const r = classifyAzureError(azureError(429, "TooManyRequests", "x", { "retry-after-ms": "3000" }), {
      operation: "Subnets_Get",
    });
    expect(r.outcome === "failure" && r.failure.retryAfterSeconds).toBe(3);
  });
});

describe("errorClass (metrics label)", () => {
  it("is the status code for HTTP errors and a short class otherwise", () => {
    expect(errorClass(azureError(404, "NotFound", "x"))).toBe("404");
    expect(errorClass(networkError("ECONNRESET"))).toBe("ECONNRESET");
    expect(errorClass(new ArmTimeoutError("x", 1))).toBe("timeout");
    expect(errorClass(new Error("socket hang up"))).toBe("ECONNRESET");
    expect(errorClass(new Error("weird"))).toBe("error");
  });
});

describe("classifyAzureError: only Azure's documented codes are answers", () => {
  it.each([
    [404, "NoSuchThing"],
    [404, "InvalidResourceType"],
    [403, "Forbidden"],
    [403, "AccessDenied"],
  ])("%i %s is a failure, not an answer", (status, code) => {
    const c = classifyAzureError(azureError(status, code, "x"), { operation: "VirtualNetworks_Get" });
    expect(c.outcome).toBe("failure");
  });
  it("a refusal by the request guard is a failure carrying its code", () => {
    const err = new ArmGuardError(
      "content-type",
      "VirtualNetworks_Get",
      "HTTP 200 answer is text/html",
      undefined,
      200,
    );
    const c = classifyAzureError(err, { operation: "VirtualNetworks_Get", resource: VNET });
    expect(c).toMatchObject({
      outcome: "failure",
      failure: { kind: "other", code: "UnexpectedContentType", statusCode: 200 },
    });
  });
});
