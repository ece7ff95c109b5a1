/**
 * `aks-subnet-health check [paths...]` / `check --cluster`: the preflight. Same options as `run`
 * for reaching Azure and describing the cluster; prints a table, JSON or YAML; exit code 0 fine,
 * 1 blocked, 2 usage/configuration error, 3 undecided (Azure did not answer).
 */
import { Command, CommanderError, Option } from "commander";
import { addRunOptions, CHECK_OPTION_KEYS, ConfigError, resolveOptions } from "../config/options.js";
import type { CheckReport } from "../check/report.js";

/** Kept here so that `--help` and `run` do not load the Azure SDKs that `check` needs. */
const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];
const USAGE_EXIT = 2;

interface CheckFlags extends Record<string, unknown> {
  cluster?: boolean;
  output: OutputFormat;
  report?: "markdown";
}

/** Writes everything, then exits: a pipe must receive the whole report before the process ends. */
function finish(text: string, code: number, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(text, () => process.exit(code));
}

export function registerCheckCommand(program: Command): Command {
  const cmd = program
    .command("check")
    .argument("[paths...]", "AKSNodeClass manifests: files, directories (searched for .yaml/.yml/.json) or - for stdin")
    .description(
      "evaluate AKSNodeClasses once, writing nothing: manifests before they are applied, or the live cluster's with --cluster.\n" +
        "Exit code: 0 all usable, 1 a blocking problem, 2 usage or configuration error, 3 undecided because Azure could not answer.",
    )
    .option("--cluster", "check the AKSNodeClasses in the cluster (--kubeconfig / KUBECONFIG) instead of manifests")
    .addOption(new Option("-o, --output <format>", "table, json or yaml").choices([...OUTPUT_FORMATS]).default("table"))
    .addOption(
      new Option(
        "--report <format>",
        "write the network plan record instead (markdown): CIDRs, nodeclass → subnet → VNet, free and needed IPs at NodePool limits, access, outbound path, findings; NodePools are read next to the manifests or from the cluster",
      ).choices(["markdown"]),
    )
    // usage errors exit 2, as the exit-code contract says; help and --version still exit 0
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      throw new CommanderError(USAGE_EXIT, err.code, err.message);
    });
  addRunOptions(cmd, CHECK_OPTION_KEYS);
  cmd.action(async (paths: string[], flags: CheckFlags) => {
    const [{ ManifestError }, { renderReport }, { CheckUsageError, checkOnce }] = await Promise.all([
      import("../check/manifests.js"),
      import("../check/report.js"),
      import("../check/run-check.js"),
    ]);
    let report: CheckReport;
    let record: () => string;
    try {
      const options = resolveOptions(flags, process.env, CHECK_OPTION_KEYS);
      ({ report, record } = await checkOnce(options, { paths, cluster: flags.cluster === true }));
    } catch (err) {
      if (err instanceof ConfigError || err instanceof CheckUsageError || err instanceof ManifestError) {
        finish(`aks-subnet-health check: ${err.message}\n`, USAGE_EXIT, process.stderr);
        return;
      }
      throw err;
    }
    // the network plan record replaces the report's output; the exit code is the check's
    finish(flags.report === "markdown" ? record() : renderReport(report, flags.output), report.exitCode);
  });
  return cmd;
}
