/**
 * The network plan record (`check --report markdown`) of the example topology: the example nodeclasses
 * and NodePools checked against the ARM simulator running examples/topology.yaml. The record checked
 * into docs/ must be exactly what the command writes today (regenerate: UPDATE_EXAMPLES=1 on this test).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { checkOnce } from "../../src/check/run-check.js";
import { CHECK_OPTION_KEYS, resolveOptions } from "../../src/config/options.js";
import { EXAMPLE_CLUSTER_ID, OPERATOR_PRINCIPAL_ID } from "../../src/sim/example-ids.js";
import { SimTokenCredential, startSimulator, type RunningSimulator } from "../../src/sim/index.js";

const root = path.resolve(import.meta.dirname, "../..");
const RECORD = path.join(root, "docs/network-plan.example.md");

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ topology: path.join(root, "examples/topology.yaml") });
});
afterAll(async () => {
  await sim?.close();
});

test("the example topology's network plan record matches docs/network-plan.example.md", async () => {
  const options = resolveOptions(
    { armEndpoint: sim.url, azureCaFile: sim.caFile, clusterResourceId: EXAMPLE_CLUSTER_ID },
    {},
    CHECK_OPTION_KEYS,
  );
  const { record } = await checkOnce(
    options,
    {
      paths: [path.join(root, "examples/nodeclasses.yaml"), path.join(root, "examples/nodepools.yaml")],
      cluster: false,
    },
    { credential: new SimTokenCredential({ oid: OPERATOR_PRINCIPAL_ID }) },
  );
  const text = record();
  // what the example NodePools are there to show
  expect(text).toContain("| IPs needed at NodePool limits | 60: **39 IPs short** |");
  expect(text).toMatch(
    /`nearly-full` SubnetCapacity True CapacityLow: .*Set limits\.nodes to at most 21 on NodePool burst/,
  );
  expect(text).toContain("cannot be planned: NodePool batch sets no limit");
  expect(text).toContain("| `gpu` | `approach-a` | 0 | no instance type fits:");
  if (process.env.UPDATE_EXAMPLES === "1") writeFileSync(RECORD, text);
  expect(text).toBe(readFileSync(RECORD, "utf8"));
});
