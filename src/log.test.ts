import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RateLimitedLog, createLogger } from "./log.js";

describe("RateLimitedLog", () => {
  it("logs the first failure at warn, then at most once per interval per key with the count of repeats", () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    let now = 0;
    const log = new RateLimitedLog(createLogger("info", sink), 60_000, () => now);
    log.warn("a", { operation: "VirtualNetworks_Get" }, "failed");
    for (let i = 0; i < 5; i++) log.warn("a", { operation: "VirtualNetworks_Get" }, "failed");
    log.warn("b", { operation: "Subnets_Get" }, "failed");
    now = 61_000;
    log.warn("a", { operation: "VirtualNetworks_Get" }, "failed");
    expect(lines.map((l) => [l["level"], l["operation"], l["repeatedSinceLastLog"]])).toEqual([
      ["warn", "VirtualNetworks_Get", undefined],
      ["warn", "Subnets_Get", undefined],
      ["warn", "VirtualNetworks_Get", 5],
    ]);
  });
});
