/**
 * `aks-subnet-health azure-sim`: runs the ARM simulator standalone (demos, local stack, manual
 * testing with az-like clients). Prints one JSON line with the URL and CA file on stdout.
 */
import { copyFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { startSimulator, TopologyError } from "../sim/index.js";

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

export function registerAzureSimCommand(program: Command): Command {
  return program
    .command("azure-sim")
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
