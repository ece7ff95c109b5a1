import { KubeConfig, RequestContext, HttpMethod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { reuseConnections } from "./connection-reuse.js";

function kubeConfig(ca: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", caData: Buffer.from(ca).toString("base64") }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext("https://127.0.0.1:6443/api/v1/nodes", HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

describe("reuseConnections", () => {
  it("client-node alone builds a new dispatcher (connection pool) for every request", async () => {
    const kc = kubeConfig("ca-1");
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
  });

  it("patched, requests share one dispatcher until the TLS settings change", async () => {
    const kc = kubeConfig("ca-1");
    expect(reuseConnections(kc)).toBe(true);
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);
    // a new CA (or client certificate) gets a new pool
    kc.clusters[0] = { ...kc.clusters[0]!, caData: Buffer.from("ca-2").toString("base64") };
    const second = await dispatcherOf(kc);
    expect(second).not.toBe(first);
    expect(await dispatcherOf(kc)).toBe(second);
  });
});
