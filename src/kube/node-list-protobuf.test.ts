/**
 * The protobuf node-list reader against bodies written field by field with @bufbuild/protobuf's
 * BinaryWriter, with the field numbers of k8s.io/api core/v1 (NodeList, Node, NodeStatus, NodeAddress),
 * apimachinery meta/v1 (ListMeta, ObjectMeta, Status) and runtime.Unknown. The real API server's
 * answers are compared with its JSON answers in test/integration/node-scale.test.ts.
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { NODECLASS_LABEL } from "../domain.js";
import { summarizeNode } from "./node-addresses.js";
import { decodeNodeList, protobufStatusAsJson } from "./node-list-protobuf.js";

const LD = WireType.LengthDelimited;

function message(write: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  write(w);
  return w.finish();
}

/** "k8s\0" + runtime.Unknown{typeMeta: 1, raw: 2, contentEncoding: 3, contentType: 4} */
function envelope(kind: string, raw: Uint8Array, contentEncoding = ""): Uint8Array {
  const unknown = message((w) => {
    w.tag(1, LD).bytes(
      message((t) => {
        t.tag(1, LD).string("v1");
        t.tag(2, LD).string(kind);
      }),
    );
    w.tag(2, LD).bytes(raw);
    if (contentEncoding) w.tag(3, LD).string(contentEncoding);
    w.tag(4, LD).string("");
  });
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}

interface TestNode {
  name: string;
  rv: string;
  labels: Record<string, string>;
  addresses: Array<[type: string, address: string]>;
}

function node(n: TestNode): Uint8Array {
  return message((w) => {
    // ObjectMeta: name 1, uid 5, resourceVersion 6, generation 7 (varint), labels 11, annotations 12
    w.tag(1, LD).bytes(
      message((m) => {
        m.tag(1, LD).string(n.name);
        m.tag(5, LD).string("0b7a-uid");
        m.tag(6, LD).string(n.rv);
        m.tag(7, WireType.Varint).int64(3);
        for (const [k, v] of Object.entries(n.labels))
          m.tag(11, LD).bytes(
            message((e) => {
              e.tag(1, LD).string(k);
              e.tag(2, LD).string(v);
            }),
          );
        m.tag(12, LD).bytes(
          message((e) => {
            e.tag(1, LD).string("node.alpha.kubernetes.io/ttl");
            e.tag(2, LD).string("0");
          }),
        );
      }),
    );
    // NodeSpec: providerID 3
    w.tag(2, LD).bytes(message((s) => s.tag(3, LD).string("azure:///subscriptions/x/vm/1")));
    // NodeStatus: capacity 1 (map), phase 3, conditions 4, addresses 5, images 8
    w.tag(3, LD).bytes(
      message((s) => {
        s.tag(1, LD).bytes(
          message((e) => {
            e.tag(1, LD).string("cpu");
            e.tag(2, LD).bytes(message((q) => q.tag(1, LD).string("4")));
          }),
        );
        s.tag(4, LD).bytes(
          message((c) => {
            c.tag(1, LD).string("Ready");
            c.tag(2, LD).string("True");
          }),
        );
        for (const [type, address] of n.addresses)
          s.tag(5, LD).bytes(
            message((a) => {
              a.tag(1, LD).string(type);
              a.tag(2, LD).string(address);
            }),
          );
        s.tag(8, LD).bytes(message((i) => i.tag(1, LD).string("mcr.microsoft.com/oss/kubernetes/pause:3.6")));
      }),
    );
  });
}

function nodeList(nodes: TestNode[], meta: { rv: string; cont?: string }): Uint8Array {
  return envelope(
    "NodeList",
    message((w) => {
      w.tag(1, LD).bytes(
        message((m) => {
          m.tag(2, LD).string(meta.rv);
          if (meta.cont) m.tag(3, LD).string(meta.cont);
          m.tag(4, WireType.Varint).int64(12);
        }),
      );
      for (const n of nodes) w.tag(2, LD).bytes(node(n));
    }),
  );
}

const keep = { labels: [NODECLASS_LABEL], addressTypes: ["InternalIP"] };

describe("decodeNodeList", () => {
  it("keeps name, resourceVersion, the nodeclass label and every InternalIP; skips everything else", () => {
    const body = nodeList(
      [
        {
          name: "aks-dual-0",
          rv: "41",
          labels: { "kubernetes.io/os": "linux", [NODECLASS_LABEL]: "general", "karpenter.sh/nodepool": "default" },
          addresses: [
            ["InternalIP", "10.1.0.4"],
            ["Hostname", "aks-dual-0"],
            ["InternalIP", "fd00::4"],
            ["ExternalIP", "20.1.2.3"],
          ],
        },
        { name: "aks-plain-1", rv: "42", labels: { "kubernetes.io/os": "linux" }, addresses: [] },
      ],
      { rv: "77", cont: "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ" },
    );
    const list = decodeNodeList(body, keep);
    expect(list.metadata).toEqual({ resourceVersion: "77", continue: "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ" });
    expect(list.items).toEqual([
      {
        metadata: { name: "aks-dual-0", resourceVersion: "41", labels: { [NODECLASS_LABEL]: "general" } },
        status: {
          addresses: [
            { type: "InternalIP", address: "10.1.0.4" },
            { type: "InternalIP", address: "fd00::4" },
          ],
        },
      },
      { metadata: { name: "aks-plain-1", resourceVersion: "42" }, status: { addresses: [] } },
    ]);
    expect(list.items.map((n) => summarizeNode(n))).toEqual([
      {
        metadata: { name: "aks-dual-0", resourceVersion: "41" },
        nodeclass: "general",
        internalIPs: ["10.1.0.4", "fd00::4"],
      },
      { metadata: { name: "aks-plain-1", resourceVersion: "42" }, nodeclass: undefined, internalIPs: [] },
    ]);
  });

  it("the last page has no continue token", () => {
    expect(decodeNodeList(nodeList([], { rv: "9" }), keep).metadata).toEqual({ resourceVersion: "9" });
  });

  it("refuses what it cannot read rather than returning a partial list", () => {
    expect(() => decodeNodeList(new TextEncoder().encode('{"kind":"NodeList"}'), keep)).toThrow(/magic/);
    expect(() => decodeNodeList(envelope("NodeList", new Uint8Array([1, 2]), "gzip"), keep)).toThrow(/gzip/);
    const truncated = nodeList([{ name: "n", rv: "1", labels: {}, addresses: [] }], { rv: "2" });
    expect(() => decodeNodeList(truncated.subarray(0, truncated.length - 5), keep)).toThrow();
  });
});

describe("protobufStatusAsJson", () => {
  it("turns an error answer into the JSON Status errors.ts reads", () => {
    const status = envelope(
      "Status",
      message((w) => {
        w.tag(2, LD).string("Failure");
        w.tag(3, LD).string("too many requests");
        w.tag(4, LD).string("TooManyRequests");
        w.tag(5, LD).bytes(message((d) => d.tag(5, WireType.Varint).int32(3)));
        w.tag(6, WireType.Varint).int32(429);
      }),
    );
    expect(JSON.parse(protobufStatusAsJson(status) ?? "")).toEqual({
      kind: "Status",
      apiVersion: "v1",
      message: "too many requests",
      reason: "TooManyRequests",
      code: 429,
      details: { retryAfterSeconds: 3 },
    });
    expect(protobufStatusAsJson(new TextEncoder().encode("plain text"))).toBeUndefined();
  });
});
