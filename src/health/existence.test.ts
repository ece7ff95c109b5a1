import { describe, expect, it } from "vitest";
import { evaluateExistence } from "./existence.js";
import { resolveSubnet } from "./resolve-subnet.js";
import { SUB, T0, THRESHOLDS, okVnet, snapshot, subnetId, subnetProps } from "./test-fixtures.js";
import type { EvaluationSettings, NodeClassInput, VNetObservation } from "./types.js";

const nc = (vnetSubnetID: string | undefined): NodeClassInput => ({
  name: "default",
  uid: "u1",
  generation: 1,
  vnetSubnetID,
  maxPods: undefined,
});
const settings = (defaultSubnetID: string | undefined, allowed?: string[]): EvaluationSettings => ({
  defaultSubnetID,
  allowedSubscriptions: allowed,
  thresholds: THRESHOLDS,
});

describe("resolveSubnet", () => {
  it("prefers spec.vnetSubnetID over the default", () => {
    const r = resolveSubnet(nc(subnetId("a")), settings(subnetId("b")));
    expect(r.source).toBe("spec");
    expect(r.parsed?.ok && r.parsed.ref.subnet).toBe("a");
  });
  it("falls back to the default subnet when the spec is unset", () => {
    const r = resolveSubnet(nc(undefined), settings(subnetId("b")));
    expect(r).toMatchObject({ source: "default", raw: subnetId("b") });
  });
  it("treats an empty spec value as set and invalid, not as unset", () => {
    const r = resolveSubnet(nc(""), settings(subnetId("b")));
    expect(r.source).toBe("spec");
    expect(r.parsed?.ok).toBe(false);
  });
  it("reports no subnet when neither is set", () => {
    expect(resolveSubnet(nc(undefined), settings(undefined))).toEqual({
      source: "default",
      raw: undefined,
      parsed: undefined,
    });
  });
});

const run = (
  spec: string | undefined,
  vnet: VNetObservation | undefined,
  opts: { default?: string; allowed?: string[] } = {},
) => evaluateExistence(resolveSubnet(nc(spec), settings(opts.default, opts.allowed)), vnet, opts.allowed);

describe("SubnetFound", () => {
  const id = subnetId("nodes");
  const cases: Array<[string, () => ReturnType<typeof run>, string, string, RegExp]> = [
    ["subnet present", () => run(id, okVnet([subnetProps("nodes")])), "True", "SubnetFound", /exists and is readable/],
    [
      "subnet matched case-insensitively",
      () => run(subnetId("NODES"), okVnet([subnetProps("nodes")])),
      "True",
      "SubnetFound",
      /exists/,
    ],
    [
      "malformed ID",
      () => run("/subscriptions/x/resourceGroups/rg", undefined),
      "False",
      "SubnetIDInvalid",
      /spec\.vnetSubnetID "\/subscriptions\/x\/resourceGroups\/rg" is not a valid subnet ID: .*Fix it/,
    ],
    [
      "malformed default",
      () => run(undefined, undefined, { default: "nonsense" }),
      "False",
      "SubnetIDInvalid",
      /default subnet \(--vnet-subnet-id\) "nonsense"/,
    ],
    [
      "nothing configured",
      () => run(undefined, undefined),
      "False",
      "NoSubnetConfigured",
      /--vnet-subnet-id.*|spec\.vnetSubnetID/,
    ],
    [
      "subscription not allowed",
      () => run(id, okVnet([subnetProps("nodes")]), { allowed: ["11111111-1111-1111-1111-111111111111"] }),
      "False",
      "SubscriptionNotAllowed",
      new RegExp(SUB),
    ],
    [
      "shell says not allowed",
      () => run(id, { kind: "not-allowed", message: "x" }),
      "False",
      "SubscriptionNotAllowed",
      /not allowed/,
    ],
    [
      "subnet missing in a fresh VNet",
      () => run(id, okVnet([subnetProps("other")])),
      "False",
      "SubnetNotFound",
      /Subnet nodes does not exist in virtual network vnet1/,
    ],
    [
      "VNet missing",
      () => run(id, { kind: "vnet-not-found", message: "m", observedAt: T0 }),
      "False",
      "VNetNotFound",
      /Virtual network vnet1 .* does not exist/,
    ],
    [
      "RG missing",
      () => run(id, { kind: "resource-group-not-found", message: "m", observedAt: T0 }),
      "False",
      "ResourceGroupNotFound",
      /Resource group rg1/,
    ],
    [
      "subscription missing",
      () => run(id, { kind: "subscription-not-found", message: "m", observedAt: T0 }),
      "False",
      "SubscriptionNotFound",
      new RegExp(`Subscription ${SUB}`),
    ],
    [
      "403 on read",
      () => run(id, { kind: "forbidden", message: "m", observedAt: T0 }),
      "Unknown",
      "SubnetReadForbidden",
      /cannot tell whether .* exists\. Fix: `az role assignment create .* --role Reader --scope \/subscriptions\/[^`]*\/virtualNetworks\/vnet1`\.$/,
    ],
    ["pending", () => run(id, { kind: "pending" }), "Unknown", "AwaitingAzure", /Waiting/],
    ["no observation yet", () => run(id, undefined), "Unknown", "AwaitingAzure", /Waiting/],
    [
      "throttled, no earlier data",
      () =>
        run(id, {
          kind: "unavailable",
          failure: {
            kind: "throttled",
            statusCode: 429,
            code: "SubscriptionRequestsThrottled",
            message: "try after 10 s",
          },
          since: T0,
        }),
      "Unknown",
      "AzureUnavailable",
      /throttled .*\(HTTP 429, SubscriptionRequestsThrottled\)\. No earlier read succeeded/,
    ],
    [
      "unreachable with a last good snapshot",
      () =>
        run(id, {
          kind: "unavailable",
          failure: { kind: "unreachable", message: "ECONNREFUSED" },
          lastGood: snapshot([subnetProps("nodes")]),
          since: T0,
        }),
      "Unknown",
      "AzureUnavailable",
      /could not be reached\. Last known: subnet existed/,
    ],
    [
      "provisioning Failed",
      () => run(id, okVnet([subnetProps("nodes", { provisioningState: "Failed" })])),
      "False",
      "SubnetNotProvisioned",
      /Failed/,
    ],
    [
      "provisioning Deleting",
      () => run(id, okVnet([subnetProps("nodes", { provisioningState: "Deleting" })])),
      "False",
      "SubnetNotProvisioned",
      /being deleted/,
    ],
    [
      "provisioning Updating",
      () => run(id, okVnet([subnetProps("nodes", { provisioningState: "Updating" })])),
      "True",
      "SubnetFound",
      /Updating/,
    ],
  ];
  it.each(cases)("%s → %s %s", (_, act, status, reason, message) => {
    const out = act();
    expect(out.condition.status).toBe(status);
    expect(out.condition.reason).toBe(reason);
    expect(out.condition.message).toMatch(message);
  });

  it("Unknown is not False: an unavailable VNet with a last good snapshot keeps the subnet data as stale", () => {
    const out = run(id, {
      kind: "unavailable",
      failure: { kind: "timeout", message: "t" },
      lastGood: snapshot([subnetProps("nodes")]),
      since: T0 + 60_000,
    });
    expect(out.condition.status).toBe("Unknown");
    expect(out.state).toBe("unavailable");
    expect(out.data?.stale).toBe(true);
    expect(out.data?.snapshot.fetchedAt).toBe(T0);
  });

  it("does not quote Azure's free-text error (it carries moving numbers)", () => {
    const out = run(id, {
      kind: "unavailable",
      failure: { kind: "throttled", message: "try again after '17' seconds", retryAfterSeconds: 17 },
      since: T0,
    });
    expect(out.condition.message).not.toMatch(/17/);
  });
});
