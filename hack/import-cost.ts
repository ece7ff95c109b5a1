/**
 * What the operator's idle memory is made of: resident memory and V8 heap added by importing each
 * runtime dependency in turn into one fresh Node process, then the operator itself, after a full GC,
 * once with Node's defaults and once with the image's settings (RUNTIME_NODE_FLAGS, RUNTIME_ENV in
 * src/config/memory-sizing.ts). docs/performance.md ("Idle memory") quotes its table.
 *
 * Usage: npx tsx hack/import-cost.ts [--runs 3]
 * The operator is compiled with tsc into .local/import-cost/ first (inside the repository, so its
 * imports resolve to node_modules/ as in the image).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from "../src/config/memory-sizing.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** In import order: what everything else builds on first, the operator last. */
const STEPS: Array<{ label: string; specifier: string }> = [
  { label: "`@azure/core-rest-pipeline` (shared by every Azure SDK)", specifier: "@azure/core-rest-pipeline" },
  { label: "`@kubernetes/client-node`", specifier: "@kubernetes/client-node" },
  { label: "`@azure/arm-network`", specifier: "@azure/arm-network" },
  { label: "`@azure/arm-authorization`", specifier: "@azure/arm-authorization" },
  { label: "`@azure/arm-containerservice`", specifier: "@azure/arm-containerservice" },
  { label: "`@azure/identity`", specifier: "@azure/identity" },
  { label: "prom-client, pino, zod, commander, p-queue, ipaddr.js, parse-duration", specifier: "small" },
  { label: "the operator's own modules (`operator/run.js`)", specifier: "operator" },
];
const SMALL = ["prom-client", "pino", "zod", "commander", "p-queue", "ipaddr.js", "parse-duration"];

interface Sample {
  rss: number;
  heapUsed: number;
}

/** The child: imports step by step, printing memory after a full GC at each. */
function childScript(operatorUrl: string): string {
  return `
const read = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return { rss: m.rss, heapUsed: m.heapUsed }; };
const out = [read()];
for (const spec of ${JSON.stringify(STEPS.map((s) => s.specifier))}) {
  if (spec === "small") { for (const s of ${JSON.stringify(SMALL)}) await import(s); }
  else if (spec === "operator") await import(${JSON.stringify(operatorUrl)});
  else await import(spec);
  out.push(read());
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;
}

function measure(operatorUrl: string, runtime: boolean): Sample[] {
  const text = execFileSync(
    process.execPath,
    [...(runtime ? RUNTIME_NODE_FLAGS : []), "--expose-gc", "--input-type=module", "-e", childScript(operatorUrl)],
    { cwd: root, env: { ...process.env, ...(runtime ? RUNTIME_ENV : {}) }, encoding: "utf8" },
  );
  return JSON.parse(text) as Sample[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function main(): void {
  const i = process.argv.indexOf("--runs");
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const outDir = path.join(root, ".local", "import-cost");
  mkdirSync(outDir, { recursive: true });
  process.stderr.write("compiling the operator with tsc\n");
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", outDir],
    { cwd: root, stdio: "inherit" },
  );
  const operatorUrl = pathToFileURL(path.join(outDir, "operator", "run.js")).href;
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const results = [false, true].map((runtime) => {
    const all = Array.from({ length: runs }, () => measure(operatorUrl, runtime));
    return all[0]!.map((_, k) => ({
      rss: median(all.map((r) => r[k]!.rss)),
      heapUsed: median(all.map((r) => r[k]!.heapUsed)),
    }));
  });
  const [plain, tuned] = results as [Sample[], Sample[]];
  const lines = [
    `Median of ${runs} fresh processes each; Node ${process.version}; MiB after a full GC.`,
    "",
    "| dependency | + RSS (Node defaults) | + RSS (image settings) | + heap used |",
    "|---|---|---|---|",
    `| node alone | ${mib(plain[0]!.rss)} | ${mib(tuned[0]!.rss)} | ${mib(plain[0]!.heapUsed)} |`,
    ...STEPS.map(
      (s, k) =>
        `| ${s.label} | ${mib(plain[k + 1]!.rss - plain[k]!.rss)} | ${mib(tuned[k + 1]!.rss - tuned[k]!.rss)} | ${mib(
          plain[k + 1]!.heapUsed - plain[k]!.heapUsed,
        )} |`,
    ),
    `| **total** | **${mib(plain.at(-1)!.rss)}** | **${mib(tuned.at(-1)!.rss)}** | **${mib(plain.at(-1)!.heapUsed)}** |`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main();
