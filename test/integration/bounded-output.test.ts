/**
 * A hostile spec: a 40,000-character vnetSubnetID (neither CRD bounds its length). The operator must say
 * SubnetIDInvalid with a shortened echo, and every write, Event and metric line it makes stays bounded,
 * so the API server accepts the status write.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import path from "node:path";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");
const SUB = "00000000-0000-0000-0000-0000000000a1";

describe("bounded output", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: TOPOLOGY });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("a 40,000-character ID: SubnetIDInvalid is written, with a short echo; all output bounded", async () => {
    const name = uniqueName("long-id");
    const id = `/subscriptions/${SUB}/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/${"v".repeat(40_000)}/subnets/nodes`;
    expect(id.length).toBeGreaterThan(40_000);
    await stack.createNodeClass(name, { vnetSubnetID: id });

    const obj = await stack.waitForCondition(name, "SubnetFound", (c) => c.reason === "SubnetIDInvalid");
    const found = stack.condition(obj, "SubnetFound");
    expect(found?.status).toBe("False");
    expect(String(found?.message)).toMatch(/at most 355/);
    for (const c of obj.status?.conditions ?? []) {
      const text = (v: unknown): string => (typeof v === "string" ? v : "");
      expect(text(c.message).length, text(c.type)).toBeLessThanOrEqual(4_000);
      expect(text(c.reason).length, text(c.type)).toBeLessThanOrEqual(128);
    }
    const stored: unknown = obj.status?.subnetHealth?.["subnetID"];
    const subnetID = typeof stored === "string" ? stored : "";
    expect(subnetID.length).toBeGreaterThan(0);
    expect(subnetID.length).toBeLessThan(200);
    expect(subnetID).toMatch(/40\d{3} characters, sha256:/);

    const events = await eventually(async () => {
      const evs = await stack.events(name);
      return evs.length > 0 ? evs : undefined;
    });
    for (const e of events) expect(e.message.length).toBeLessThanOrEqual(4_000);

    const lines = (await stack.metricsText()).split("\n").filter((l) => l.includes(name));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.length, l.slice(0, 200)).toBeLessThan(600);
    // and no ARM request was made for it
    const requests = await stack.sim.admin.requests();
    expect(requests.filter((r) => r.path.length > 1_000)).toEqual([]);
  });
});
