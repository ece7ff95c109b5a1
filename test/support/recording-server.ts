/**
 * A second loopback HTTPS host that records every request it receives. It uses the ARM simulator's own
 * certificate (valid for localhost), so a client that trusts the simulator would complete TLS and send
 * its bearer token here: tests assert it receives nothing.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { simTlsMaterial } from "../../src/sim/certs.js";

export interface RecordingServer {
  /** https://localhost:<port>: another origin than the simulator's https://127.0.0.1:<port> */
  url: string;
  host: string;
  received: Array<{ method: string; url: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const tls = await simTlsMaterial();
  const received: RecordingServer["received"] = [];
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    received.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ value: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `localhost:${(server.address() as AddressInfo).port}`;
  return {
    url: `https://${host}`,
    host,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
