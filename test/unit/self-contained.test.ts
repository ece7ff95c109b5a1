/**
 * The repository stands alone: the third-party CRDs it installs are the upstream files its README
 * names (by sha256), every one of them is listed there with its licence beside it, and nothing in the
 * tree points at a folder outside the checkout.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const crdDir = path.join(root, "third_party", "crds");

function walk(dir: string, skip: Set<string>): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const full = path.join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) out.push(...walk(full, skip));
    else if (st.isFile()) out.push(full);
  }
  return out;
}

describe("third_party/crds", () => {
  const readme = readFileSync(path.join(crdDir, "README.md"), "utf8");
  // | `folder/file.yaml` | upstream path | git blob | sha256 |
  const rows = [...readme.matchAll(/^\| `([^`]+\.yaml)` \| `[^`]+` \| `[0-9a-f]{40}` \| `([0-9a-f]{64})` \|$/gm)].map(
    (m) => ({ file: m[1] ?? "", sha256: m[2] ?? "" }),
  );

  test("each file is the upstream file the README names (sha256)", () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const { file, sha256 } of rows) {
      const actual = createHash("sha256")
        .update(readFileSync(path.join(crdDir, file)))
        .digest("hex");
      expect({ file, sha256: actual }).toEqual({ file, sha256 });
    }
  });

  test("every file is listed, and every folder carries its licence", () => {
    const listed = new Set(rows.map((r) => r.file));
    const yamls = walk(crdDir, new Set())
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => path.relative(crdDir, f));
    expect(yamls.filter((f) => !listed.has(f))).toEqual([]);
    for (const folder of new Set(yamls.map((f) => path.dirname(f)))) {
      expect(existsSync(path.join(crdDir, folder, "LICENSE")), `${folder}/LICENSE`).toBe(true);
    }
  });
});

describe("the checkout refers to nothing beside it", () => {
  test("no code, test, script, comment or doc names the sibling reading folder", () => {
    const skip = new Set(["node_modules", ".git", "dist", ".local", "coverage", ".vitest-run"]);
    // built from parts so that this file does not match itself
    const sibling = new RegExp(["\\.\\./", "shared\\b|/work/", "shared\\b"].join(""));
    const offenders = walk(root, skip)
      .map((f) => path.relative(root, f))
      .filter((f) => !f.startsWith("third_party/"))
      .filter((f) => statSync(path.join(root, f)).size < 2_000_000)
      .filter((f) => sibling.test(readFileSync(path.join(root, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
