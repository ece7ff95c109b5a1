/** Real Azure SDK clients pointed at a simulator, with fast retries so failures surface quickly. */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { NetworkManagementClient } from "@azure/arm-network";
import type { TokenCredential } from "@azure/core-auth";
import type { RunningSimulator } from "../../src/sim/index.js";

export const FAST_RETRIES = { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 50 };

export function networkClient(
  sim: RunningSimulator,
  cred: TokenCredential,
  subscriptionId: string,
): NetworkManagementClient {
  return new NetworkManagementClient(cred, subscriptionId, {
    endpoint: sim.url,
    tlsOptions: { ca: sim.caPem },
    retryOptions: FAST_RETRIES,
  });
}

export function authorizationClient(
  sim: RunningSimulator,
  cred: TokenCredential,
  subscriptionId: string,
): AuthorizationManagementClient {
  return new AuthorizationManagementClient(cred, subscriptionId, {
    endpoint: sim.url,
    credentialScopes: ["https://management.azure.com/.default"],
    tlsOptions: { ca: sim.caPem },
    retryOptions: FAST_RETRIES,
  });
}

export function containerServiceClient(
  sim: RunningSimulator,
  cred: TokenCredential,
  subscriptionId: string,
): ContainerServiceClient {
  return new ContainerServiceClient(cred, subscriptionId, {
    endpoint: sim.url,
    tlsOptions: { ca: sim.caPem },
    retryOptions: FAST_RETRIES,
  });
}

/** Awaits a promise expected to reject and returns the error (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
