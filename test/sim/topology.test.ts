/** Topology validation, the example files' consistency, and the pure RBAC / throttling rules. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { EXAMPLE_DEFAULT_SUBNET_ID, EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { loadTopology, topologyJsonSchema, TopologyError, validateTopology } from "../../src/sim/index.js";
import { actionMatches, scopeCovers } from "../../src/sim/rbac.js";
import { ReadBuckets } from "../../src/sim/throttle.js";

const examplePath = (name: string): string => new URL(`../../examples/${name}`, import.meta.url).pathname;

function topologyError(fn: () => unknown): TopologyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TopologyError);
    return err as TopologyError;
  }
  throw new Error("expected a TopologyError");
}

const minimal = (subnet: Record<string, unknown>): unknown => ({
  subscriptions: [
    {
      id: "s1",
      resourceGroups: [
        { name: "rg", virtualNetworks: [{ name: "v", addressSpace: ["10.0.0.0/16"], subnets: [subnet] }] },
      ],
    },
  ],
});

describe("topology validation", () => {
  it("names the path of a bad field", () => {
    const e = topologyError(() => validateTopology(minimal({ name: "a", addressPrefix: "10.0.0.0/33" })));
    expect(e.issues).toEqual([
      {
        path: "subscriptions[0].resourceGroups[0].virtualNetworks[0].subnets[0].addressPrefix",
        message: expect.stringMatching(/CIDR/) as unknown,
      },
    ]);
    expect(e.message).toContain("subscriptions[0].resourceGroups[0].virtualNetworks[0].subnets[0].addressPrefix");
  });

  it("rejects unknown fields (typos), missing prefixes, unknown roles and duplicates", () => {
    expect(topologyError(() => validateTopology(minimal({ name: "a", adressPrefix: "10.0.0.0/24" }))).message).toMatch(
      /subnets\[0\].*adressPrefix|Unrecognized key.*adressPrefix/s,
    );
    expect(topologyError(() => validateTopology(minimal({ name: "a" }))).message).toMatch(
      /subnets\[0\]\.addressPrefix: a subnet needs addressPrefix/,
    );
    const badRole = {
      ...(minimal({ name: "a", addressPrefix: "10.0.0.0/24" }) as object),
      roleAssignments: [{ principalId: "p", scope: "/subscriptions/s1", role: "Network Contributer" }],
    };
    expect(topologyError(() => validateTopology(badRole)).message).toContain(
      "roleAssignments[0].role: unknown role name 'Network Contributer'",
    );
    const dup = minimal({ name: "a", addressPrefix: "10.0.0.0/24" }) as {
      subscriptions: Array<{ resourceGroups: Array<{ virtualNetworks: Array<{ subnets: unknown[] }> }> }>;
    };
    dup.subscriptions[0]?.resourceGroups[0]?.virtualNetworks[0]?.subnets.push({
      name: "A",
      addressPrefix: "10.0.1.0/24",
    });
    expect(topologyError(() => validateTopology(dup)).message).toContain("subnets[1].name: duplicate subnet 'A'");
  });

  it("reports YAML syntax errors and a non-mapping document", () => {
    expect(topologyError(() => loadTopology("subscriptions: [\n")).message).toMatch(/not valid YAML/);
    expect(topologyError(() => loadTopology("just text\nmore")).message).toMatch(/YAML mapping/);
  });

  it("loads the example topology from a file path and fills defaults", () => {
    const t = loadTopology(examplePath("topology.yaml"));
    expect(t.pageSize).toBe(2);
    const subnet = t.subscriptions[0]?.resourceGroups[1]?.virtualNetworks[0]?.subnets[0];
    expect(subnet).toMatchObject({ name: "aks-default", provisioningState: "Succeeded", usageNotReported: false });
  });

  it("examples/topology.schema.json is the JSON Schema generated from the zod schema", () => {
    const committed: unknown = JSON.parse(readFileSync(examplePath("topology.schema.json"), "utf8"));
    expect(committed).toEqual(topologyJsonSchema());
  });
});

describe("example nodeclasses", () => {
  const docs = parseAllDocuments(readFileSync(examplePath("nodeclasses.yaml"), "utf8")).map(
    (d) =>
      d.toJS() as {
        apiVersion: string;
        kind: string;
        metadata: { name: string };
        spec: { vnetSubnetID?: string };
      },
  );
  // the upstream CRD's pattern for spec.vnetSubnetID
  const crdPattern =
    /^\/subscriptions\/[^/]+\/resourceGroups\/[a-zA-Z0-9_\-().]{0,89}[a-zA-Z0-9_\-()]\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;

  it("has one AKSNodeClass per scenario, named after it, with the exported subnet IDs", () => {
    expect(docs.map((d) => d.metadata.name).sort()).toEqual(Object.keys(EXAMPLE_SUBNET_IDS).sort());
    for (const d of docs) {
      expect([d.apiVersion, d.kind]).toEqual(["karpenter.azure.com/v1beta1", "AKSNodeClass"]);
      expect(d.spec.vnetSubnetID).toBe(EXAMPLE_SUBNET_IDS[d.metadata.name as keyof typeof EXAMPLE_SUBNET_IDS]);
    }
  });

  it("every vnetSubnetID passes the CRD pattern (malformed-id included: only a strict parser rejects it)", () => {
    for (const d of docs) if (d.spec.vnetSubnetID !== undefined) expect(d.spec.vnetSubnetID).toMatch(crdPattern);
  });

  it("the default subnet is the cluster's system pool subnet", () => {
    const t = loadTopology(examplePath("topology.yaml"));
    const pool = t.subscriptions[0]?.resourceGroups[0]?.managedClusters[0]?.agentPoolProfiles[0];
    expect(pool?.vnetSubnetID).toBe(EXAMPLE_DEFAULT_SUBNET_ID);
  });
});

describe("RBAC matching rules (Azure RBAC's documented rules)", () => {
  const read = "Microsoft.Network/virtualNetworks/subnets/read";
  const join = "Microsoft.Network/virtualNetworks/subnets/join/action";
  it.each([
    ["*", true, true],
    ["Microsoft.Network/*", true, true],
    ["microsoft.network/virtualnetworks/*", true, true],
    ["*/read", true, false],
    ["Microsoft.Network/*/read", true, false],
    ["Microsoft.Network/virtualNetworks/subnets/*/action", false, true],
    ["Microsoft.Network/virtualNetworks/subnets/read", true, false],
    ["Microsoft.Compute/*", false, false],
  ])("%s: read=%s join=%s", (pattern, r, j) => {
    expect([actionMatches(pattern, read), actionMatches(pattern, join)]).toEqual([r, j]);
  });

  it("regex metacharacters in patterns are literal", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", ".", "(", "[", "+", "?", "/", "$", "^", "|") }), (s) => {
        expect(actionMatches(s, s)).toBe(true);
        expect(actionMatches(`${s}x`, `${s}y`)).toBe(false);
      }),
    );
  });

  it("a scope covers itself and descendants at '/' boundaries, case-insensitively", () => {
    const seg = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.array(seg, { maxLength: 3 }), (base, extra) => {
        const a = `/${base.join("/")}`;
        const below = `${a}${extra.map((e) => `/${e}`).join("")}`;
        expect(scopeCovers(a.toUpperCase(), below)).toBe(true);
        expect(scopeCovers("/", below)).toBe(true);
        expect(scopeCovers(`${a}x`, `${a}/y`)).toBe(false); // sibling with a common prefix
      }),
    );
  });
});

describe("read token bucket", () => {
  it("refills at the configured rate and computes Retry-After from it", () => {
    let now = 0;
    const b = new ReadBuckets({ capacity: 2, refillPerSecond: 0.5 }, () => now);
    expect(b.take("a")).toEqual({ ok: true, remaining: 1 });
    expect(b.take("a")).toEqual({ ok: true, remaining: 0 });
    expect(b.take("a")).toEqual({ ok: false, remaining: 0, retryAfterSeconds: 2 });
    expect(b.take("b").ok).toBe(true);
    now = 1000;
    expect(b.take("a")).toEqual({ ok: false, remaining: 0, retryAfterSeconds: 1 });
    now = 2000;
    expect(b.take("a")).toEqual({ ok: true, remaining: 0 });
    now = 60_000;
    expect(b.remaining("a")).toBe(2); // never above capacity
  });
});
