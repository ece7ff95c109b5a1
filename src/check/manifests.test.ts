import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { loadNodeClassManifests, ManifestError, nodeClassesInText } from "./manifests.js";

const nc = (name: string, subnet?: string): string =>
  [
    "apiVersion: karpenter.azure.com/v1beta1",
    "kind: AKSNodeClass",
    `metadata: {name: ${name}}`,
    subnet ? `spec: {vnetSubnetID: ${subnet}}` : "spec: {}",
  ].join("\n");

describe("manifests", () => {
  test("multi-document YAML: only AKSNodeClasses, each with its document number", () => {
    const text = [
      nc("a"),
      "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: p}",
      "",
      nc("b", "/subscriptions/x"),
    ].join("\n---\n");
    const got = nodeClassesInText(text, "f.yaml");
    expect(got.map((g) => [g.object.metadata?.name, g.origin])).toEqual([
      ["a", "f.yaml#1"],
      ["b", "f.yaml#4"],
    ]);
    expect(got[1]?.object.spec).toEqual({ vnetSubnetID: "/subscriptions/x" });
  });

  test("a List (kubectl get -o yaml) is unpacked; JSON works too", () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [{ apiVersion: "karpenter.azure.com/v1beta1", kind: "AKSNodeClass", metadata: { name: "x" } }],
    };
    expect(nodeClassesInText(JSON.stringify(list), "l.json").map((g) => g.origin)).toEqual(["l.json#1[0]"]);
  });

  test("YAML errors and nameless nodeclasses are usage errors naming the file and document", () => {
    expect(() => nodeClassesInText(`${nc("a")}\n---\nkind: [unclosed`, "bad.yaml")).toThrow(
      /bad\.yaml#2: not valid YAML/,
    );
    expect(() =>
      nodeClassesInText("apiVersion: karpenter.azure.com/v1beta1\nkind: AKSNodeClass\nspec: {}", "n.yaml"),
    ).toThrow(ManifestError);
  });

  test("directories are searched recursively in name order; stdin with '-'; duplicates and missing paths fail", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "check-manifests-"));
    mkdirSync(path.join(dir, "sub"));
    mkdirSync(path.join(dir, ".git"));
    writeFileSync(path.join(dir, "b.yaml"), nc("b"));
    writeFileSync(path.join(dir, "sub", "a.yml"), nc("a"));
    writeFileSync(path.join(dir, ".git", "c.yaml"), nc("c"));
    writeFileSync(path.join(dir, "README.md"), nc("ignored"));
    const got = await loadNodeClassManifests([dir, "-"], Readable.from([nc("s")]));
    expect(got.map((g) => g.object.metadata?.name)).toEqual(["b", "a", "s"]);
    expect(got[2]?.origin).toBe("stdin#1");

    await expect(loadNodeClassManifests([dir, path.join(dir, "b.yaml")])).rejects.toThrow(/'b' is defined twice/);
    await expect(loadNodeClassManifests([path.join(dir, "nope.yaml")])).rejects.toThrow(/no such file/);
  });
});
