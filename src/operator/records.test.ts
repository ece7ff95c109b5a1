import { describe, expect, it } from "vitest";
import type { PeerSubnet } from "../health/types.js";
import { NodeClassRecords } from "./records.js";

const peer = (nodeclass: string, subnet: string, prefixes = ["10.1.0.0/24"]): PeerSubnet => ({
  nodeclass,
  subnetCanonical: `/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v-${subnet}/subnets/${subnet}`,
  vnetCanonical: `/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v-${subnet}`,
  addressPrefixes: prefixes,
});

const names = (r: NodeClassRecords, self: string): string[] => r.peerCandidates(self).map((p) => p.nodeclass);

describe("NodeClassRecords peers", () => {
  it("offers one peer per subnet, the first nodeclass by name other than the one asking", () => {
    const r = new NodeClassRecords();
    for (const [nc, subnet] of [
      ["c", "a"],
      ["b", "a"],
      ["d", "a"],
      ["x", "b"],
    ] as const)
      r.setPeer(nc, peer(nc, subnet));
    expect(names(r, "z")).toEqual(["b", "x"]);
    expect(names(r, "b")).toEqual(["c", "x"]);
    // the only class on a subnet is not its own peer
    expect(names(r, "x")).toEqual(["b"]);
  });

  it("follows moves, withdrawn peers and deleted nodeclasses", () => {
    const r = new NodeClassRecords();
    r.setPeer("a", peer("a", "one"));
    r.setPeer("b", peer("b", "one"));
    r.setPeer("c", peer("c", "one"));
    r.setPeer("a", peer("a", "two"));
    expect(names(r, "z")).toEqual(["b", "a"]);
    r.forget("b");
    expect(names(r, "z")).toEqual(["c", "a"]);
    r.setPeer("c", undefined);
    expect(names(r, "z")).toEqual(["a"]);
    expect(r.peek("c")?.peer).toBeUndefined();
    // a changed prefix of the same subnet replaces the old one
    r.setPeer("a", peer("a", "two", ["10.2.0.0/24"]));
    expect(r.peerCandidates("z")[0]?.addressPrefixes).toEqual(["10.2.0.0/24"]);
  });
});
