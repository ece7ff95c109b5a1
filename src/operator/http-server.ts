/**
 * /metrics on one address and /healthz, /readyz on another (as controller-runtime does), so a
 * NetworkPolicy can expose metrics to Prometheus without exposing probes, and vice versa.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Probe {
  /** the process is alive and its loops are turning */
  healthy(): boolean;
  /** caches have synced (leader or not): the replica can take over when elected */
  ready(): { ready: boolean; reason: string };
}

export interface HttpEndpoints {
  metricsUrl: string;
  healthUrl: string;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve(`http://${h === "0.0.0.0" ? "127.0.0.1" : h}:${a.port}`);
    });
  });
}

export async function startHttp(opts: {
  registry: Registry;
  probe: Probe;
  metrics: { host: string; port: number };
  health: { host: string; port: number };
}): Promise<HttpEndpoints> {
  const metricsServer = createServer((req, res) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
      opts.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": opts.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(err));
        });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  const healthServer = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/healthz") {
      const ok = opts.probe.healthy();
      res.writeHead(ok ? 200 : 500, { "content-type": "text/plain" }).end(ok ? "ok\n" : "unhealthy\n");
      return;
    }
    if (path === "/readyz") {
      const r = opts.probe.ready();
      res.writeHead(r.ready ? 200 : 503, { "content-type": "text/plain" }).end(`${r.reason}\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  const metricsUrl = await listen(metricsServer, opts.metrics.host, opts.metrics.port);
  const healthUrl = await listen(healthServer, opts.health.host, opts.health.port);
  const close = (s: Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  return {
    metricsUrl: `${metricsUrl}/metrics`,
    healthUrl,
    close: async () => {
      await Promise.all([close(metricsServer), close(healthServer)]);
    },
  };
}
