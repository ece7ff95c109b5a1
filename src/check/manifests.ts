/**
 * AKSNodeClass manifests for `check`: files, directories (every .yaml / .yml / .json below them, in
 * name order) and `-` for stdin. Multi-document YAML and `kind: List` are unpacked; documents of
 * other kinds (NodePools, Secrets, kustomizations) are skipped, so a whole GitOps folder can be given.
 * Unreadable files and YAML syntax errors are usage errors: a CI step must not pass on a typo.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { AKSNODECLASS } from "../domain.js";
import type { NodeClassObject } from "../operator/nodeclass.js";

export interface ManifestNodeClass {
  object: NodeClassObject;
  /** where it came from: "path#document" (1-based) or "stdin#document" */
  origin: string;
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

const MANIFEST_EXT = new Set([".yaml", ".yml", ".json"]);
/** a manifest larger than this is not a nodeclass list anyone wrote by hand */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function isAKSNodeClass(doc: Record<string, unknown>): boolean {
  return (
    doc.kind === AKSNODECLASS.kind &&
    typeof doc.apiVersion === "string" &&
    doc.apiVersion.startsWith(`${AKSNODECLASS.group}/`)
  );
}

/** AKSNodeClasses in one YAML/JSON text (a JSON document is YAML too). */
export function nodeClassesInText(text: string, source: string): ManifestNodeClass[] {
  const out: ManifestNodeClass[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const where = `${source}#${i + 1}`;
    const [err] = doc.errors;
    if (err) throw new ManifestError(`${where}: not valid YAML: ${err.message.split("\n")[0] ?? err.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const items = isRecord(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
    items.forEach((item: unknown, j) => {
      if (!isRecord(item) || !isAKSNodeClass(item)) return;
      const origin = items.length > 1 || item !== value ? `${where}[${j}]` : where;
      const metadata = isRecord(item.metadata) ? item.metadata : {};
      if (typeof metadata.name !== "string" || metadata.name === "")
        throw new ManifestError(`${origin}: an AKSNodeClass without metadata.name`);
      out.push({ object: item, origin });
    });
  });
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // hidden folders (.git) hold no manifests worth checking
    if (e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile() && MANIFEST_EXT.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

async function readText(file: string): Promise<string> {
  const st = await stat(file);
  if (st.size > MAX_FILE_BYTES) throw new ManifestError(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(file, "utf8");
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_FILE_BYTES) throw new ManifestError(`stdin: larger than ${MAX_FILE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Every AKSNodeClass in `paths`. Two documents with one name are an error: Kubernetes would keep only
 * one of them, so checking both would report on something that never exists.
 */
export async function loadNodeClassManifests(
  paths: readonly string[],
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<ManifestNodeClass[]> {
  const out: ManifestNodeClass[] = [];
  let stdinUsed = false;
  for (const p of paths) {
    if (p === "-") {
      if (stdinUsed) throw new ManifestError("'-' (stdin) given more than once");
      stdinUsed = true;
      out.push(...nodeClassesInText(await readStream(stdin), "stdin"));
      continue;
    }
    let files: string[];
    try {
      files = (await stat(p)).isDirectory() ? await filesUnder(p) : [p];
    } catch (err) {
      throw new ManifestError(
        `${p}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(err)}`,
      );
    }
    for (const f of files) {
      let text: string;
      try {
        text = await readText(f);
      } catch (err) {
        if (err instanceof ManifestError) throw err;
        throw new ManifestError(`${f}: cannot be read: ${String(err)}`);
      }
      out.push(...nodeClassesInText(text, f));
    }
  }
  const seen = new Map<string, string>();
  for (const m of out) {
    const name = m.object.metadata?.name ?? "";
    const first = seen.get(name);
    if (first) throw new ManifestError(`AKSNodeClass '${name}' is defined twice: ${first} and ${m.origin}`);
    seen.set(name, m.origin);
  }
  return out;
}
