/**
 * The SDK clients, built per subscription on demand and sharing one HTTP policy that:
 *  - waits for the ARM limiter before every attempt (pages and SDK retries count against ARM's budget),
 *  - reports every attempt to a RequestObserver (metrics: operation, status or error class, duration),
 *  - on a 429 pauses the limiter for Retry-After and hides the retry headers from the SDK's throttling
 *    retry, which would otherwise sleep Retry-After (uncapped) while holding a concurrency slot;
 *  - refuses, before it leaves, any attempt to another origin or path than an ARM read (request-guard.ts),
 *    reads the body with a size cap and refuses a 2xx that is not the expected resource.
 * A second policy, `armTargetGuardPolicy`, sits before the SDK's bearer-token policy on every client, so a
 * foreign `nextLink` fails before a token is requested or attached.
 * Tokens and the Authorization header are never read or logged here.
 */
import { rootCertificates } from "node:tls";
import { performance } from "node:perf_hooks";
import { NetworkManagementClient } from "@azure/arm-network";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import type { TokenCredential } from "@azure/core-auth";
import {
  bearerTokenAuthenticationPolicyName,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
  type SendRequest,
} from "@azure/core-rest-pipeline";
import type { ArmLimiter } from "./arm-limiter.js";
import {
  ArmThrottledError,
  ArmTimeoutError,
  HIDDEN_RETRY_HEADER_PREFIX,
  RETRY_AFTER_HEADERS,
  errorClass,
  retryAfterSecondsFrom,
} from "./errors.js";
import { operationFromRequest, type ArmOperation } from "./operations.js";
import {
  ARM_TARGET_GUARD_POLICY_NAME,
  ArmGuardError,
  DEFAULT_MAX_PAGES,
  DEFAULT_MAX_RESPONSE_BYTES,
  armTargetGuardPolicy,
  checkRequestTarget,
  checkResponseShape,
  readCappedBody,
  type RefusalObserver,
} from "./request-guard.js";

export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";

/** Called once per HTTP attempt. `outcome` is the status code ("200", "429") or an error class ("ECONNRESET"). */
export type RequestObserver = (operation: ArmOperation, outcome: string, durationSeconds: number) => void;

export interface RetrySettings {
  maxRetries: number;
  retryDelayInMs: number;
  maxRetryDelayInMs: number;
}

export interface AzureClientOptions {
  credential: TokenCredential;
  /** ARM endpoint; default https://management.azure.com */
  endpoint?: string;
  /** token scope; default derived from the endpoint (see credentialScopeFor) */
  credentialScope?: string;
  /** extra CA certificate(s), PEM, trusted in addition to the system roots (the simulator's CA) */
  ca?: string;
  /** SDK retries for 5xx/network errors; throttling is the limiter's job. Default 2 retries, 1 s .. 8 s. */
  retry?: Partial<RetrySettings>;
  userAgentPrefix?: string;
  /** gate every HTTP attempt through this limiter (recommended: one limiter for the process) */
  limiter?: ArmLimiter;
  onRequest?: RequestObserver;
  /** told of every refused request or response (foreign host, page cap, body cap, wrong shape) */
  onRefused?: RefusalObserver;
  /** pages one listing may read (default 100) */
  maxPages?: number;
  /** bytes one response body may have, decoded (default 32 MiB) */
  maxResponseBytes?: number;
}

export interface SubscriptionClients {
  subscriptionId: string;
  network: NetworkManagementClient;
  authorization: AuthorizationManagementClient;
  containerService: ContainerServiceClient;
}

export interface AzureClients {
  /** Clients for one subscription, created on first use and reused. */
  forSubscription(subscriptionId: string): SubscriptionClients;
  readonly endpoint: string;
  readonly credentialScope: string;
  readonly limiter: ArmLimiter | undefined;
  /** pages one listing may read: run listings under `withListingBudget(maxPages, …)` */
  readonly maxPages: number;
}

const SOVEREIGN_ARM_HOSTS = new Set([
  "management.azure.com",
  "management.usgovcloudapi.net",
  "management.chinacloudapi.cn",
  "management.microsoftazure.de",
]);

/**
 * Token scope for an ARM endpoint. Public and sovereign clouds use "<endpoint>/.default"; any other host
 * (a local simulator, a proxy) defaults to the public-cloud audience, which is what the modular SDKs ask
 * for anyway (Azure's documented token audiences). Azure Stack needs an explicit --credential-scope.
 */
export function credentialScopeFor(endpoint: string): string {
  let host: string;
  try {
    host = new URL(endpoint).host.toLowerCase();
  } catch {
    throw new Error(`invalid ARM endpoint ${JSON.stringify(endpoint)}: expected an https:// URL`);
  }
  return SOVEREIGN_ARM_HOSTS.has(host) ? `https://${host}/.default` : `${DEFAULT_ARM_ENDPOINT}/.default`;
}

export const ARM_POLICY_NAME = "aksSubnetHealthArmRequests";

/** Retry-After up to this is waited out inside the call (once); longer ones fail the call. */
const INLINE_RETRY_MAX_SECONDS = 5;

export interface ArmRequestPolicyOptions {
  limiter?: ArmLimiter;
  onRequest?: RequestObserver;
  onRefused?: RefusalObserver;
  /** origin every attempt must go to; unset only in unit tests of the throttling logic */
  origin?: string;
  /** default 32 MiB */
  maxResponseBytes?: number;
}

/** The per-attempt policy described at the top of this file. Exported for tests with a fake `next`. */
export function armRequestPolicy(opts: ArmRequestPolicyOptions): PipelinePolicy {
  return {
    name: ARM_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      const operation = operationFromRequest(request.method, request.url);
      let response = await attempt(request, next, operation, opts);
      const retryAfter = response.status === 429 ? retryAfterSecondsFrom(response.headers) : undefined;
      if (opts.limiter && retryAfter !== undefined && retryAfter <= INLINE_RETRY_MAX_SECONDS) {
        opts.limiter.noteThrottled(retryAfter * 1000);
        // one more try once a short pause is over, so a brief throttle costs time rather than an answer;
        // a long Retry-After fails the call at once and the caches keep their last data meanwhile
        const retried = await attempt(request, next, operation, opts).catch((err: unknown) => {
          if (err instanceof ArmThrottledError || err instanceof ArmTimeoutError) return undefined;
          throw err;
        });
        if (retried) response = retried;
      }
      if (response.status === 429) {
        const seconds = retryAfterSecondsFrom(response.headers);
        opts.limiter?.noteThrottled(seconds === undefined ? undefined : seconds * 1000);
        for (const name of RETRY_AFTER_HEADERS) {
          const value = response.headers.get(name);
          if (value === undefined) continue;
          response.headers.delete(name);
          response.headers.set(`${HIDDEN_RETRY_HEADER_PREFIX}${name}`, value);
        }
      }
      const wrongShape = checkResponseShape(operation, response);
      if (wrongShape) throw refused(opts, wrongShape);
      return response;
    },
  };
}

function refused(opts: ArmRequestPolicyOptions, err: ArmGuardError): ArmGuardError {
  try {
    opts.onRefused?.(err);
  } catch {
    // an observer's bug must not turn a refusal into something else
  }
  return err;
}

/** Every status streams, so that the body is read here, under the cap, instead of whole by the transport. */
const STREAM_ALL = new Set([Number.POSITIVE_INFINITY]);

async function attempt(
  request: PipelineRequest,
  next: SendRequest,
  operation: ArmOperation,
  opts: ArmRequestPolicyOptions,
): Promise<PipelineResponse> {
  // again here, right before the attempt leaves: retries and redirects run after the per-call guard
  const target = opts.origin === undefined ? undefined : checkRequestTarget(request.method, request.url, opts.origin);
  if (target) throw refused(opts, target);
  if (opts.limiter) await opts.limiter.acquire(request.abortSignal);
  const started = performance.now();
  const streamCodes = request.streamResponseStatusCodes;
  request.streamResponseStatusCodes = STREAM_ALL;
  try {
    const response = await next(request);
    try {
      await readCappedBody(response, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, operation);
    } catch (err) {
      if (err instanceof ArmGuardError) throw refused(opts, err);
      throw err;
    }
    opts.onRequest?.(operation, String(response.status), (performance.now() - started) / 1000);
    return response;
  } catch (err) {
    opts.onRequest?.(operation, errorClass(err), (performance.now() - started) / 1000);
    throw err;
  } finally {
    request.streamResponseStatusCodes = streamCodes;
  }
}

/** Puts the target guard before the bearer-token policy, so a refused request never gets a token. */
export function installTargetGuard(pipeline: Pipeline, guard: PipelinePolicy): void {
  pipeline.addPolicy(guard, { beforePolicies: [bearerTokenAuthenticationPolicyName] });
  const names = pipeline.getOrderedPolicies().map((p) => p.name);
  const guardAt = names.indexOf(ARM_TARGET_GUARD_POLICY_NAME);
  const tokenAt = names.indexOf(bearerTokenAuthenticationPolicyName);
  if (guardAt < 0 || tokenAt < 0 || guardAt > tokenAt) {
    // an SDK upgrade that moved its token policy must not silently undo the guard
    throw new Error(`ARM request guard could not be placed before the bearer-token policy: ${names.join(", ")}`);
  }
}

export function createAzureClients(opts: AzureClientOptions): AzureClients {
  const endpoint = (opts.endpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, "");
  if (!/^https:\/\//i.test(endpoint)) {
    // the SDK's bearer policy refuses plain http anyway; fail at startup with a clear message
    throw new Error(`ARM endpoint must be https:// (bearer tokens are never sent in clear): ${endpoint}`);
  }
  const credentialScope = opts.credentialScope ?? credentialScopeFor(endpoint);
  const retryOptions: RetrySettings = {
    maxRetries: opts.retry?.maxRetries ?? 2,
    retryDelayInMs: opts.retry?.retryDelayInMs ?? 1000,
    maxRetryDelayInMs: opts.retry?.maxRetryDelayInMs ?? 8000,
  };
  // `ca` replaces Node's trust store, so keep the system roots next to the extra CA.
  const tlsOptions = opts.ca ? { ca: [...rootCertificates, opts.ca] } : undefined;
  const origin = new URL(endpoint).origin;
  const onRefused = opts.onRefused ? { onRefused: opts.onRefused } : {};
  const policy = armRequestPolicy({
    origin,
    ...(opts.limiter ? { limiter: opts.limiter } : {}),
    ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    ...(opts.maxResponseBytes !== undefined ? { maxResponseBytes: opts.maxResponseBytes } : {}),
    ...onRefused,
  });
  const guard = armTargetGuardPolicy({ origin, ...onRefused });
  const common = {
    endpoint,
    retryOptions,
    // ARM does not redirect reads; a redirect is an answer we do not follow
    redirectOptions: { maxRetries: 0 },
    ...(tlsOptions ? { tlsOptions } : {}),
    ...(opts.userAgentPrefix ? { userAgentOptions: { userAgentPrefix: opts.userAgentPrefix } } : {}),
    additionalPolicies: [{ policy, position: "perRetry" as const }],
  };
  const bySubscription = new Map<string, SubscriptionClients>();

  return {
    endpoint,
    credentialScope,
    limiter: opts.limiter,
    maxPages: opts.maxPages ?? DEFAULT_MAX_PAGES,
    forSubscription(subscriptionId: string): SubscriptionClients {
      const key = subscriptionId.toLowerCase();
      const hit = bySubscription.get(key);
      if (hit) return hit;
      const clients: SubscriptionClients = {
        subscriptionId,
        network: new NetworkManagementClient(opts.credential, subscriptionId, {
          ...common,
          credentials: { scopes: [credentialScope] },
        }),
        authorization: new AuthorizationManagementClient(opts.credential, subscriptionId, {
          ...common,
          credentialScopes: [credentialScope],
        }),
        containerService: new ContainerServiceClient(opts.credential, subscriptionId, {
          ...common,
          credentials: { scopes: [credentialScope] },
        }),
      };
      for (const c of [clients.network, clients.authorization, clients.containerService]) {
        installTargetGuard(c.pipeline, guard);
      }
      bySubscription.set(key, clients);
      return clients;
    },
  };
}
