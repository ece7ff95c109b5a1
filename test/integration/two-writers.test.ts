/**
 * Two writers: a second aks-subnet-health with another lease name (both lead) and a different threshold,
 * so each overwrites the other's conditions. Each notices within a minute, says so (log, metric, condition
 * message) and spaces its writes instead of fighting.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import path from "node:path";
import { OTHER_WRITER_NOTE } from "../../src/operator/other-writer.js";
import type { RunningOperator } from "../../src/operator/run.js";
import { EXAMPLE_SUBNET_IDS } from "../../src/sim/example-ids.js";
import { eventually, uniqueName } from "../support/kube.js";
import { startStack, type Stack } from "../support/stack.js";

const TOPOLOGY = path.resolve(import.meta.dirname, "../../examples/topology.yaml");

describe("a second instance writing the same conditions", () => {
  let stack: Stack;
  let second: RunningOperator;
  beforeAll(async () => {
    stack = await startStack({
      topology: TOPOLOGY,
      flags: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        leaderElect: true,
        leaderElectionNamespace: "default",
        leaderElectionId: uniqueName("lease-a"),
      },
    });
    // another release: its own lease, so both lead; a stricter threshold, so it disagrees on capacity
    second = await stack.startAnotherOperator({ leaderElectionId: uniqueName("lease-b"), freeRatioWarning: "0.99" });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("is detected and reported within a minute; the write rate is bounded", async () => {
    const name = uniqueName("contested");
    await stack.createNodeClass(name, { vnetSubnetID: EXAMPLE_SUBNET_IDS["approach-b-custom-role"] });
    const operators = [stack.operator, second];
    const overwritten = async (): Promise<number> => {
      let sum = 0;
      for (const op of operators) {
        const text = await (await fetch(op.metricsUrl)).text();
        const m = /^aks_subnet_health_status_overwritten_total (\S+)$/m.exec(text);
        sum += Number(m?.[1] ?? 0);
      }
      return sum;
    };

    // reported in the condition message within a minute
    const noted = await stack.waitForCondition(
      name,
      "SubnetReady",
      (c) => String(c.message).includes(OTHER_WRITER_NOTE),
      "the other-writer note",
      60_000,
    );
    expect(noted).toBeDefined();
    expect(await overwritten()).toBeGreaterThanOrEqual(3);

    // bounded: over the next 10 reconciles of each instance, at most one write each (spacing is ≥ 30 s)
    const writes = (): number => operators.reduce((n, op) => n + op.controller.stats.writes, 0);
    const before = writes();
    const reconcilesBefore = operators.map((op) => op.controller.stats.reconciles);
    await eventually(
      () =>
        Promise.resolve(
          operators.every((op, i) => op.controller.stats.reconciles >= (reconcilesBefore[i] ?? 0) + 10) || undefined,
        ),
      { what: "10 more reconciles on each instance", timeoutMs: 90_000 },
    );
    expect(writes() - before).toBeLessThanOrEqual(2);
  });
});
