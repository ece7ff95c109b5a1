#!/usr/bin/env node
/**
 * The ARM simulator's own command, for development only (demos, the local stack, manual trials with
 * az-like clients): not part of the operator's runtime package or image. Run with tsx:
 *
 *   node --import tsx src/sim/cli.ts serve --topology examples/topology.yaml   (npm run azure-sim -- …)
 *   node --import tsx src/sim/cli.ts token --oid <object-id>                   a bearer token the simulator accepts
 *   node --import tsx src/sim/cli.ts example-ids                               IDs of examples/topology.yaml as JSON
 *
 * `serve` prints one JSON line with the URL and CA file on stdout.
 */
import { copyFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { simToken } from "./credential.js";
import * as exampleIds from "./example-ids.js";
import { startSimulator, TopologyError } from "./index.js";

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be an integer between 0 and 65535");
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

interface AzureSimFlags {
  topology: string;
  port: number;
  host: string;
  caOut?: string;
  readCapacity?: number;
  readRefill?: number;
  pageSize?: number;
}

function registerServe(program: Command): Command {
  return program
    .command("serve")
    .description("run the Azure Resource Manager simulator (HTTPS on loopback) from a topology file")
    .requiredOption("--topology <file>", "topology YAML file (see docs/simulator.md)")
    .option("--port <n>", "port to listen on (0 = any free port)", parsePort, 0)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--ca-out <file>", "also write the simulator's CA certificate (PEM) to this file")
    .option("--read-capacity <n>", "per-caller read bucket capacity (default 250)", parsePositive)
    .option("--read-refill <n>", "per-caller read bucket refill per second (default 25)", parsePositive)
    .option("--page-size <n>", "items per page for list operations (default: topology's pageSize)", parsePositive)
    .action(async (flags: AzureSimFlags) => {
      let sim;
      try {
        sim = await startSimulator({
          topology: resolve(flags.topology),
          port: flags.port,
          host: flags.host,
          ...(flags.readCapacity !== undefined || flags.readRefill !== undefined
            ? { readBucket: { capacity: flags.readCapacity ?? 250, refillPerSecond: flags.readRefill ?? 25 } }
            : {}),
          ...(flags.pageSize !== undefined ? { pageSize: Math.floor(flags.pageSize) } : {}),
        });
      } catch (err) {
        if (err instanceof TopologyError) {
          process.stderr.write(`azure-sim: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      let caFile = sim.caFile;
      if (flags.caOut !== undefined) {
        caFile = resolve(flags.caOut);
        await copyFile(sim.caFile, caFile);
      }
      process.stdout.write(`${JSON.stringify({ url: sim.url, caFile })}\n`);
      process.stderr.write(
        `azure-sim: ARM simulator listening on ${sim.url} (CA: ${caFile}; admin API: ${sim.url}/_admin)\n`,
      );
      const running = sim;
      const stop = (signal: NodeJS.Signals): void => {
        process.stderr.write(`azure-sim: ${signal}, stopping\n`);
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
}

export function buildSimProgram(): Command {
  const program = new Command("azure-sim").description(
    "the Azure Resource Manager simulator used by the tests and the demo (development only)",
  );
  registerServe(program);
  program
    .command("token")
    .description("print a bearer token the simulator accepts, for the principal given")
    .requiredOption("--oid <object-id>", "object ID of the caller (the operator's principal in the topology)")
    .option("--tid <tenant-id>", "tenant ID claim")
    .action((flags: { oid: string; tid?: string }) => {
      process.stdout.write(simToken({ oid: flags.oid, ...(flags.tid ? { tid: flags.tid } : {}) }) + "\n");
    });
  program
    .command("example-ids")
    .description("print the IDs of examples/topology.yaml (cluster, subnets, principals) as JSON")
    .action(() => {
      process.stdout.write(JSON.stringify(exampleIds) + "\n");
    });
  return program;
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  buildSimProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`azure-sim: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
