#!/usr/bin/env node
/**
 * aks-subnet-health: the operator (`run`) and the ARM simulator (`azure-sim`).
 */
import { Command, CommanderError } from "commander";
import { addRunOptions, ConfigError, resolveOptions } from "../config/options.js";
import { registerAzureSimCommand } from "./azure-sim-command.js";
import { VERSION } from "../version.js";

export function buildProgram(): Command {
  const program = new Command("aks-subnet-health")
    .description(
      "Checks the Azure subnets behind Karpenter AKSNodeClasses: existence, access, capacity, network plan and drift.",
    )
    .version(VERSION)
    .showHelpAfterError();

  addRunOptions(
    program
      .command("run")
      .description("run the operator: watch AKSNodeClasses and report subnet health as conditions, events and metrics"),
  ).action(async (flags: Record<string, unknown>) => {
    let options;
    try {
      options = resolveOptions(flags);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`aks-subnet-health: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const { runOperator } = await import("../operator/run.js");
    await runOperator(options);
  });

  registerAzureSimCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.stderr.write(`aks-subnet-health: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
