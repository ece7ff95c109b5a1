/**
 * Locates promtool / prometheus for the observability tests. Locally a missing tool skips the tests that
 * need it; in CI (CI=true) it fails them, because a green run that checked nothing would hide a missing
 * install step (observability/ensure-prometheus.sh installs both).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function findTool(name: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of [...dirs, "/usr/bin", "/usr/local/bin"]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const TOOLS_REQUIRED = process.env.CI === "true";

/** The tool's path, or an error that tells how to install it. */
export function requireTool(name: string): string {
  const found = findTool(name);
  if (!found) {
    throw new Error(`${name} is not installed (not on PATH nor in /usr/bin): run observability/ensure-prometheus.sh`);
  }
  return found;
}

/** True when the tests needing `name` should run (tool present, or CI where absence must fail). */
export function shouldRunWith(name: string): boolean {
  return TOOLS_REQUIRED || findTool(name) !== undefined;
}
