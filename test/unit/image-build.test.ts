/**
 * The image without a Docker engine: the Dockerfile's instructions are carried out as plain commands
 * (COPY honouring .dockerignore, RUN in the stage's WORKDIR with its ENV) into one temporary root per
 * stage, and the runtime stage's tree is checked: the operator and its production dependencies only
 * (no simulator, no development dependency), OCI labels, a base pinned by digest, and `--help` works.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from "../../src/config/memory-sizing.js";

const root = path.resolve(import.meta.dirname, "../..");
const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");

interface Stage {
  name: string;
  dir: string;
  workdir: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
}

/** Dockerfile lines with continuations joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  const joined = text.replace(/\\\n\s*/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? "").toUpperCase(), args: m?.[2] ?? "" };
    });
}

/** KEY=value pairs, values optionally double-quoted. */
function pairs(args: string, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([\w.-]+)=("((?:[^"\\]|\\.)*)"|\S+)/g))
    out[m[1] ?? ""] = (m[3] ?? m[2] ?? "").replace(/\$\{(\w+)\}/g, (_, v: string) => vars[v] ?? "");
  return out;
}

const dockerignore = readFileSync(path.join(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const ignored = (rel: string): boolean =>
  dockerignore.some((p) => rel === p || rel.startsWith(`${p}/`) || path.matchesGlob(rel, p));

function copyFromContext(src: string, dest: string): void {
  const from = path.join(root, src);
  if (statSync(from).isFile()) {
    cpSync(from, dest);
    return;
  }
  cpSync(from, dest, { recursive: true, filter: (f) => !ignored(path.relative(root, f)) });
}

let work = "";
const stages = new Map<string, Stage>();

/** Carries out the Dockerfile: FROM starts an empty root (the base image's own files are not needed). */
function build(): void {
  const args: Record<string, string> = {};
  let stage: Stage | undefined;
  const at = (s: Stage, p: string): string => path.join(s.dir, path.posix.resolve(s.workdir, p));
  for (const { op, args: a } of instructions(dockerfile)) {
    if (op === "ARG") Object.assign(args, pairs(a, args));
    else if (op === "FROM") {
      const [, name = `stage${stages.size}`] = /AS\s+(\S+)$/i.exec(a) ?? [];
      stage = { name, dir: path.join(work, name), workdir: "/", env: {}, labels: {} };
      mkdirSync(stage.dir, { recursive: true });
      stages.set(name, stage);
    } else if (!stage) throw new Error(`${op} before FROM`);
    else if (op === "WORKDIR") {
      stage.workdir = path.posix.resolve(stage.workdir, a);
      mkdirSync(at(stage, "."), { recursive: true });
    } else if (op === "ENV") Object.assign(stage.env, pairs(a, args));
    else if (op === "LABEL") Object.assign(stage.labels, pairs(a, args));
    else if (op === "COPY") {
      const parts = a.split(/\s+/);
      const from = parts.find((p) => p.startsWith("--from="))?.slice("--from=".length);
      const paths = parts.filter((p) => !p.startsWith("--"));
      const dest = paths.pop() ?? ".";
      for (const src of paths) {
        const target = dest.endsWith("/") ? path.join(at(stage, dest), path.basename(src)) : at(stage, dest);
        mkdirSync(path.dirname(target), { recursive: true });
        if (from) {
          const source = stages.get(from);
          if (!source) throw new Error(`COPY --from=${from}: no such stage`);
          cpSync(path.join(source.dir, src), target, { recursive: true });
        } else copyFromContext(src, target);
      }
    } else if (op === "RUN") {
      const res = spawnSync("sh", ["-c", a], {
        cwd: at(stage, "."),
        env: { ...process.env, ...stage.env },
        encoding: "utf8",
        timeout: 540_000,
      });
      if (res.status !== 0) throw new Error(`RUN ${a} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    } else if (op === "ENTRYPOINT") stage.entrypoint = JSON.parse(a) as string[];
    else if (op === "CMD") stage.cmd = JSON.parse(a) as string[];
    else if (op === "USER") stage.user = a;
  }
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "aks-subnet-health-image-"));
  build();
}, 600_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("the runtime image tree", { timeout: 60_000 }, () => {
  const runtime = (): Stage => {
    const s = stages.get("runtime");
    if (!s) throw new Error("no runtime stage");
    return s;
  };
  const app = (): string => path.join(runtime().dir, runtime().workdir);

  test("holds only package.json, node_modules and dist: no sources, tests or simulator", () => {
    expect(readdirSync(app()).sort()).toEqual(["dist", "node_modules", "package.json"]);
    expect(existsSync(path.join(app(), "dist", "cli", "main.js"))).toBe(true);
    expect(existsSync(path.join(app(), "dist", "sim"))).toBe(false);
    const files = execFileSync("find", ["dist", "-type", "f"], { cwd: app(), encoding: "utf8" }).split("\n");
    expect(files.filter((f) => /\.test\.js$|\/sim\/|azure-sim/.test(f))).toEqual([]);
  });

  test("node_modules has the production dependencies only", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      expect(existsSync(path.join(app(), "node_modules", dep)), dep).toBe(true);
    // a development dependency is there only when a production one needs it too (npm's own account)
    const neededInProduction = new Set(
      execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: root, encoding: "utf8" })
        .split("\n")
        .map((p) => path.relative(root, p)),
    );
    for (const dep of Object.keys(pkg.devDependencies))
      expect(existsSync(path.join(app(), "node_modules", dep)), dep).toBe(
        neededInProduction.has(`node_modules/${dep}`),
      );
    // the simulator's own dependencies in particular
    expect(existsSync(path.join(app(), "node_modules", "node-forge"))).toBe(false);
  });

  test("the entrypoint starts: --help lists run and no simulator command", () => {
    const [bin, ...entry] = runtime().entrypoint ?? [];
    expect(bin).toBe("node");
    const help = execFileSync(process.execPath, [...entry, "--help"], { cwd: app(), encoding: "utf8" });
    expect(help).toMatch(/^\s+run\b/m);
    expect(help).not.toMatch(/azure-sim|simulator/i);
    const runHelp = execFileSync(process.execPath, [...entry, ...(runtime().cmd ?? []), "--help"], {
      cwd: app(),
      encoding: "utf8",
    });
    expect(runHelp).toContain("--cluster-resource-id");
  });

  test("runs Node with the measured memory settings (memory-sizing.ts)", () => {
    expect(runtime().entrypoint).toEqual(["node", ...RUNTIME_NODE_FLAGS, "dist/cli/main.js"]);
    expect(runtime().env).toMatchObject(RUNTIME_ENV);
  });

  test("OCI labels, a base pinned by digest, a numeric non-root user", () => {
    const labels = runtime().labels;
    for (const key of ["title", "description", "source", "licenses", "version", "revision", "base.name", "base.digest"])
      expect(labels[`org.opencontainers.image.${key}`], key).toBeTruthy();
    const from = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";
    expect(from).toMatch(/^node:24[\w.-]*@sha256:[0-9a-f]{64}$/);
    expect(labels["org.opencontainers.image.base.digest"]).toBe(from.split("@")[1]);
    expect(runtime().user).toMatch(/^[1-9]\d*:\d+$/);
  });
});
