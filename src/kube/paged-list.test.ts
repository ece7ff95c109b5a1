import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { listInPages, type PageRequest } from "./paged-list.js";

type Obj = KubernetesObject & { metadata: { name: string }; big: string };

/** A collection served in pages of `limit`, like the API server: continue tokens, one resourceVersion. */
function collection(count: number, opts: { expireAt?: number } = {}) {
  const requests: PageRequest[] = [];
  let expired = false;
  const fetchPage = (req: PageRequest): Promise<KubernetesListObject<Obj>> => {
    requests.push(req);
    const start = req.continue ? Number(req.continue) : 0;
    if (req.continue && opts.expireAt === start && !expired) {
      expired = true;
      return Promise.reject(Object.assign(new Error("continue token expired"), { statusCode: 410 }));
    }
    const items = Array.from({ length: Math.min(req.limit, count - start) }, (_, k) => ({
      metadata: { name: `n${start + k}` },
      big: "x".repeat(1000),
    }));
    const next = start + items.length;
    return Promise.resolve({
      metadata: { resourceVersion: "42", ...(next < count ? { continue: String(next) } : {}) },
      items,
    } as KubernetesListObject<Obj>);
  };
  return { requests, fetchPage };
}

describe("listInPages", () => {
  it("walks every page with limit and continue, reducing items page by page", async () => {
    const c = collection(1_050);
    const seenPerPage: number[] = [];
    let inPage = 0;
    const r = await listInPages(
      (req) => {
        if (inPage > 0) seenPerPage.push(inPage);
        inPage = 0;
        return c.fetchPage(req);
      },
      (o) => (inPage++, o.metadata.name),
      { pageSize: 250, labelSelector: "karpenter.azure.com/aksnodeclass" },
    );
    expect(r.items).toHaveLength(1_050);
    expect(r.items[1_049]).toBe("n1049");
    expect(r.resourceVersion).toBe("42");
    expect(r.pages).toBe(5);
    expect(c.requests.map((q) => q.limit)).toEqual([250, 250, 250, 250, 250]);
    expect(c.requests.map((q) => q.continue)).toEqual([undefined, "250", "500", "750", "1000"]);
    expect(c.requests.every((q) => q.labelSelector === "karpenter.azure.com/aksnodeclass")).toBe(true);
    // each page was reduced before the next was asked for
    expect(seenPerPage).toEqual([250, 250, 250, 250]);
  });

  it("drops items the reducer returns undefined for", async () => {
    const c = collection(10);
    const r = await listInPages(c.fetchPage, (o) => (o.metadata.name.endsWith("3") ? undefined : o.metadata.name), {
      pageSize: 4,
    });
    expect(r.items).toEqual(["n0", "n1", "n2", "n4", "n5", "n6", "n7", "n8", "n9"]);
  });

  it("starts over when a continue token expired (410), without duplicating items", async () => {
    const c = collection(600, { expireAt: 500 });
    const r = await listInPages(c.fetchPage, (o) => o.metadata.name, { pageSize: 250 });
    expect(r.items).toHaveLength(600);
    expect(new Set(r.items).size).toBe(600);
    expect(c.requests.map((q) => q.continue)).toEqual([undefined, "250", "500", undefined, "250", "500"]);
  });

  it("passes other errors through", async () => {
    const failing = (): Promise<KubernetesListObject<Obj>> =>
      Promise.reject(Object.assign(new Error("forbidden"), { statusCode: 403 }));
    await expect(listInPages(failing, (o) => o)).rejects.toThrow("forbidden");
  });
});
