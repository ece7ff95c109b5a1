/**
 * Runs every dashboard query, every variable query and every alert rule against a real Prometheus that
 * scrapes a realistic exposition of all our metrics: proves the dashboard shows data, not just that it parses.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { allAlerts } from "../../observability/alerts.js";
import { buildDashboard, ROWS } from "../../observability/dashboard.js";
import { REPO_ROOT } from "../../observability/generate.js";
import { type DashboardJson, panelsByRow, substituteVariables } from "./support/dashboard-walk.js";
import {
  OPERATOR_METRIC_NAMES,
  SAMPLE_MIN_HEADROOM,
  SAMPLE_NODECLASSES,
  SAMPLE_SUBNETS,
  SAMPLE_SUBNETS_NOT_READY,
  sampleExporter,
} from "./support/sample-exposition.js";
import { requireTool, shouldRunWith } from "./support/tools.js";

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromResponse<T> {
  status: "success" | "error";
  data: T;
  error?: string;
  errorType?: string;
}

const dash = buildDashboard() as unknown as DashboardJson;
const SAMPLE_CLUSTER = "aks-prod-weu";
const placed = panelsByRow(dash);

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function poll<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
  diagnostics: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}\n${diagnostics()}`,
  );
}

describe.runIf(shouldRunWith("prometheus"))("dashboard and alerts against a real Prometheus", () => {
  let exporter: Server | undefined;
  let prom: ChildProcess | undefined;
  let promExit: string | undefined;
  let promLog = "";
  let dir: string | undefined;
  let base = "";

  const logTail = (): string => `prometheus ${promExit ?? "running"}; log tail:\n${promLog.slice(-3000)}`;

  async function api<T>(path: string): Promise<PromResponse<T>> {
    if (promExit) throw new Error(`prometheus exited: ${promExit}`);
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
    return (await res.json()) as PromResponse<T>;
  }

  async function instant(expr: string): Promise<PromResponse<{ resultType: string; result: PromSample[] }>> {
    return api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  beforeAll(async () => {
    const prometheusBin = requireTool("prometheus");
    const { registry, tick } = sampleExporter();
    exporter = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      tick();
      registry
        .metrics()
        .then((body) => res.writeHead(200, { "content-type": registry.contentType }).end(body))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    });
    await new Promise<void>((resolve) => exporter?.listen(0, "127.0.0.1", resolve));
    const exporterPort = (exporter.address() as AddressInfo).port;

    dir = mkdtempSync(join(tmpdir(), "ash-prometheus-"));
    const config = {
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: [join(REPO_ROOT, "observability/generated/alerts.rules.yaml")],
      // the cluster label as Azure managed Prometheus adds it
      scrape_configs: [
        {
          job_name: "aks-subnet-health",
          static_configs: [{ targets: [`127.0.0.1:${exporterPort}`], labels: { cluster: SAMPLE_CLUSTER } }],
        },
      ],
    };
    writeFileSync(join(dir, "prometheus.yml"), stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prom = spawn(
      prometheusBin,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prom.stdout?.on("data", (b: Buffer) => (promLog += b.toString()));
    prom.stderr?.on("data", (b: Buffer) => (promLog += b.toString()));
    prom.on("exit", (code, signal) => (promExit = `exit code ${code} signal ${signal}`));
    prom.on("error", (e) => (promExit = `spawn error: ${e.message}`));

    await poll(
      "Prometheus to be ready",
      30_000,
      async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined),
      logTail,
    );
    // three scrapes: enough for rate() over the substituted 1m window
    await poll(
      "three successful scrapes of the sample exporter",
      30_000,
      async () => {
        const r = await instant(
          'min_over_time(up{job="aks-subnet-health"}[1m]) * count_over_time(up{job="aks-subnet-health"}[1m]) >= 3',
        );
        return r.data.result.length === 1 ? true : undefined;
      },
      logTail,
    );
  }, 90_000);

  afterAll(async () => {
    const child = prom;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (exporter ? exporter.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("scrapes every operator metric from the sample exporter", async () => {
    for (const name of OPERATOR_METRIC_NAMES) {
      const r = await instant(`count({__name__=~"${name}(_bucket|_count|_sum)?"})`);
      expect(r.status, name).toBe("success");
      expect(r.data.result.length, `${name} present`).toBe(1);
    }
  });

  it("runs every panel query without error, and every panel shows data", async () => {
    const failures: string[] = [];
    for (const { row, panel } of placed) {
      for (const t of panel.targets ?? []) {
        const expr = substituteVariables(t.expr ?? "");
        const r = await instant(expr);
        if (r.status !== "success") failures.push(`${row}/${panel.title}: ${r.errorType} ${r.error} in ${expr}`);
        else if (r.data.result.length === 0) failures.push(`${row}/${panel.title}: no data for ${expr}`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it("Overview and Capacity panels show the sample's numbers", async () => {
    const byTitle = (title: string): string => {
      const p = placed.find((x) => x.panel.title === title);
      const expr = p?.panel.targets?.[0]?.expr;
      if (!expr) throw new Error(`no panel "${title}"`);
      return substituteVariables(expr);
    };
    const value = async (title: string): Promise<number[]> =>
      (await instant(byTitle(title))).data.result.map((s) => Number(s.value[1])).sort((a, b) => a - b);

    expect(placed.filter((p) => p.row === ROWS.overview || p.row === ROWS.capacity).length).toBeGreaterThanOrEqual(8);
    expect(await value("Subnets not ready")).toEqual([SAMPLE_SUBNETS_NOT_READY]);
    expect(await value("Lowest node headroom")).toEqual([SAMPLE_MIN_HEADROOM]);
    expect(await value("NodeClasses by SubnetReady status")).toEqual([0, 1, 2]);
    expect(await value("Free IPs per subnet")).toEqual(
      SAMPLE_SUBNETS.map((s) => s.total - s.used).sort((a, b) => a - b),
    );
    expect((await value("Node headroom per nodeclass")).length).toBe(SAMPLE_NODECLASSES.length);
  });

  it("variable queries list the sample's cluster, nodeclasses, VNets and subnets", async () => {
    for (const v of dash.templating.list.filter((x) => x.type === "query")) {
      const q = String(v.query);
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
      expect(m, q).not.toBeNull();
      const [, selector, label] = m as RegExpExecArray;
      const r = await api<string[]>(
        `/api/v1/label/${label}/values?match[]=${encodeURIComponent(substituteVariables(selector ?? ""))}`,
      );
      expect(r.status, q).toBe("success");
      const expected =
        label === "cluster"
          ? [SAMPLE_CLUSTER]
          : label === "nodeclass"
            ? SAMPLE_NODECLASSES.map((n) => n.name)
            : SAMPLE_SUBNETS.map((s) => (label === "vnet" ? s.vnet : s.subnet));
      expect([...r.data].sort(), q).toEqual([...new Set(expected)].sort());
    }
  });

  it("evaluates every alert rule on real data without errors", async () => {
    interface RuleState {
      name: string;
      health: string;
      lastError?: string;
      lastEvaluation: string;
    }
    const groups = await poll(
      "every rule to be evaluated",
      30_000,
      async () => {
        const r = await api<{ groups: Array<{ rules: RuleState[] }> }>("/api/v1/rules");
        const rules = r.data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((x) => !x.lastEvaluation.startsWith("0001")) ? rules : undefined;
      },
      logTail,
    );
    expect(groups.length).toBe(allAlerts().length);
    expect(groups.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    // the sample has a full nodeclass (headroom 0) and a high-utilization subnet: the capacity alerts go pending
    const alerts = await api<{ alerts: Array<{ labels: Record<string, string> }> }>("/api/v1/alerts");
    const names = new Set(alerts.data.alerts.map((a) => a.labels.alertname));
    expect(names.has("AKSSubnetFreeIPsCritical")).toBe(true);
    expect(names.has("AKSNodeClassSubnetNotReady")).toBe(true);
    expect(names.has("AKSSubnetDataStale")).toBe(true);
    // every alert is labelled with the cluster its series came from
    expect(alerts.data.alerts.filter((a) => a.labels.cluster !== SAMPLE_CLUSTER)).toEqual([]);
  }, 60_000);
});
