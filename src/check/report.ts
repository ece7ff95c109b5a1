/**
 * What `check` prints: one report (the same data as table, JSON or YAML) and its exit code. Pure.
 *
 * Exit codes: 0 every nodeclass is usable (warnings allowed), 1 at least one is blocked, 3 none is
 * blocked but Azure could not answer for at least one (undecided), 2 usage or configuration error
 * (decided before a report exists, in the command).
 */
import { stringify } from "yaml";
import { CONDITION_DOMAIN } from "../domain.js";
import { needsAttention, shortConditionType, type NodeClassReport, type Verdict } from "../health/report.js";
import { firstSentence } from "../health/summary.js";

export const ExitCode = { Ok: 0, Blocked: 1, Usage: 2, Undecided: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CheckedRow extends NodeClassReport {
  /** file#document for a manifest, "cluster" for a live nodeclass */
  origin: string;
}

export interface CheckReport {
  apiVersion: `${typeof CONDITION_DOMAIN}/v1alpha1`;
  kind: "CheckReport";
  /** what was checked */
  target: "manifests" | "cluster";
  /** where the cluster's network plan came from, or "unknown" */
  networkSource: string;
  summary: Record<Verdict, number> & { nodeClasses: number };
  exitCode: ExitCode;
  nodeClasses: CheckedRow[];
}

export function exitCodeFor(rows: readonly Pick<NodeClassReport, "verdict">[]): ExitCode {
  if (rows.some((r) => r.verdict === "blocked")) return ExitCode.Blocked;
  if (rows.some((r) => r.verdict === "undecided")) return ExitCode.Undecided;
  return ExitCode.Ok;
}

export function buildReport(
  target: CheckReport["target"],
  networkSource: string,
  rows: readonly CheckedRow[],
): CheckReport {
  const summary = { nodeClasses: rows.length, ok: 0, warning: 0, blocked: 0, undecided: 0 };
  for (const r of rows) summary[r.verdict]++;
  return {
    apiVersion: `${CONDITION_DOMAIN}/v1alpha1`,
    kind: "CheckReport",
    target,
    networkSource,
    summary,
    exitCode: exitCodeFor(rows),
    nodeClasses: [...rows],
  };
}

export type OutputFormat = "table" | "json" | "yaml";

const VERDICT_WORD: Record<Verdict, string> = {
  ok: "ready",
  warning: "ready with warnings",
  blocked: "blocked",
  undecided: "undecided (Azure did not answer)",
};

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

const num = (n: number | undefined): string => (n === undefined ? "-" : String(n));

/** The table, then what to do about every nodeclass that is not plainly ready, then the totals. */
export function renderTable(report: CheckReport): string {
  const header = ["NODECLASS", "SUBNET", "READY", "REASON", "FREE-IPS", "HEADROOM", "SOURCE"];
  const lines = report.nodeClasses.map((r) => [
    r.name,
    r.subnet ?? (r.subnetID ? "(invalid ID)" : "-"),
    r.ready,
    r.reason,
    num(r.freeIPs),
    num(r.nodeHeadroom),
    r.source,
  ]);
  const out = [table([header, ...lines])];
  const attention = report.nodeClasses.filter((r) => r.verdict !== "ok");
  if (attention.length > 0) {
    out.push("");
    for (const r of attention) {
      out.push(`${r.name} (${r.origin}): ${VERDICT_WORD[r.verdict]}`);
      for (const c of r.conditions.slice(1).filter(needsAttention)) {
        // "not checked because the subnet is unusable" only points at the condition printed above it
        if (c.reason === "SubnetUnavailable") continue;
        // a problem gets its whole message (with the fix); an advisory only its first sentence
        const text = c.status === "True" ? firstSentence(c.message) : c.message;
        out.push(`  ${shortConditionType(c.type)} ${c.status} ${c.reason}: ${text}`);
      }
    }
  }
  const s = report.summary;
  out.push("");
  out.push(
    `${s.nodeClasses} nodeclass${s.nodeClasses === 1 ? "" : "es"}: ${s.ok} ready, ${s.warning} with warnings, ` +
      `${s.blocked} blocked, ${s.undecided} undecided (network plan: ${report.networkSource}); exit ${report.exitCode}`,
  );
  return `${out.join("\n")}\n`;
}

export function renderReport(report: CheckReport, format: OutputFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "yaml":
      return stringify(report, { lineWidth: 0 });
    case "table":
      return renderTable(report);
  }
}
