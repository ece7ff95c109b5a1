#!/usr/bin/env node
/**
 * aks-subnet-health: the operator (`run`) and the preflight (`check`, its exit codes in docs/check.md).
 * `run` exits 0 stopped on SIGTERM/SIGINT (at any moment), 1 runtime failure, 2 invalid configuration. (The ARM simulator has its own, development-only
 * command: src/sim/cli.ts.)
 */
import { Command, CommanderError } from "commander";
import { addRunOptions, ConfigError, resolveOptions } from "../config/options.js";
import { describeError } from "../kube/errors.js";
import { registerCheckCommand } from "./check-command.js";
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
      const { preflight } = await import("../config/preflight.js");
      const problems = await preflight(options);
      if (problems.length > 0) throw new ConfigError(problems);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`aks-subnet-health: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const { runOperator } = await import("../operator/run.js");
    process.off("SIGTERM", stopEarly);
    process.off("SIGINT", stopEarly);
    await runOperator(options);
  });

  registerCheckCommand(program);
  return program;
}

// Until the operator installs its own handlers (which drain work), a stop request simply ends the
// process: nothing has started that needs stopping.
const stopEarly = (): void => process.exit(0);
process.once("SIGTERM", stopEarly);
process.once("SIGINT", stopEarly);

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    // a runtime failure: its message and causes, without a stack trace (LOG_LEVEL=debug shows it)
    const debug = process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace";
    process.stderr.write(
      `aks-subnet-health: ${err instanceof Error && debug ? (err.stack ?? err.message) : describeError(err)}\n`,
    );
    process.exit(1);
  });
