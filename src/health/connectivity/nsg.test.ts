import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateFlow, parsePortRange, portMatch, prefixMatch, requiredFlows, type Flow } from "./nsg.js";
import type { SecurityRuleData } from "./types.js";

const SUBNET = ["10.1.0.0/24"];
const VNET = ["10.0.0.0/8"];

function rule(over: Partial<SecurityRuleData> & Pick<SecurityRuleData, "name" | "priority">): SecurityRuleData {
  return {
    direction: "Outbound",
    access: "Deny",
    protocol: "*",
    sourceAddressPrefixes: ["*"],
    destinationAddressPrefixes: ["*"],
    sourcePortRanges: ["*"],
    destinationPortRanges: ["*"],
    sourceApplicationSecurityGroups: false,
    destinationApplicationSecurityGroups: false,
    ...over,
  };
}

const flows = requiredFlows({ vnetPrefixes: VNET, needsPublicAzure: true });
const flow = (id: string): Flow => {
  const f = flows.find((x) => x.id === id);
  if (f === undefined) throw new Error(id);
  return f;
};
const api = flow("outbound-azurecloud-443");
const outVnet = flow("outbound-vnet");
const inVnet = flow("inbound-vnet");
const inLb = flow("inbound-azureloadbalancer");

describe("NSG evaluation: the default rules alone", () => {
  it.each([
    [api, "allowed", "AllowInternetOutBound"],
    [outVnet, "allowed", "AllowVnetOutBound"],
    [inVnet, "allowed", "AllowVnetInBound"],
    [inLb, "allowed", "AllowAzureLoadBalancerInBound"],
  ])("%s.id is %s by %s", (f, outcome, by) => {
    const v = evaluateFlow([], f, SUBNET);
    expect(v.outcome).toBe(outcome);
    expect(v.decidedBy.name).toBe(by);
    expect(v.decidedBy.isDefault).toBe(true);
  });
});

describe("NSG evaluation: table", () => {
  const deny443 = (priority: number, destination = "Internet"): SecurityRuleData =>
    rule({
      name: "deny-https",
      priority,
      protocol: "Tcp",
      destinationAddressPrefixes: [destination],
      destinationPortRanges: ["443"],
    });
  const allow443 = (priority: number, destination = "AzureCloud"): SecurityRuleData =>
    rule({
      name: "allow-azure",
      priority,
      access: "Allow",
      protocol: "Tcp",
      destinationAddressPrefixes: [destination],
      destinationPortRanges: ["443"],
    });
  const cases: Array<[string, SecurityRuleData[], Flow, string, string]> = [
    ["deny 443 to Internet at 100", [deny443(100)], api, "denied", "deny-https"],
    ["deny 443 to AzureCloud at 100", [deny443(100, "AzureCloud")], api, "denied", "deny-https"],
    ["deny 443 to * at 100", [deny443(100, "*")], api, "denied", "deny-https"],
    ["deny 443 to 0.0.0.0/0", [deny443(100, "0.0.0.0/0")], api, "denied", "deny-https"],
    ["deny at 4000 below an allow at 100", [allow443(100), deny443(4000)], api, "allowed", "allow-azure"],
    ["allow at 4000 below a deny at 100", [allow443(4000), deny443(100)], api, "denied", "deny-https"],
    ["deny 443 to a private range only", [deny443(100, "10.0.0.0/8")], api, "allowed", "AllowInternetOutBound"],
    [
      "deny port 80 only",
      [rule({ name: "deny-80", priority: 100, destinationPortRanges: ["80"] })],
      api,
      "allowed",
      "AllowInternetOutBound",
    ],
    [
      "deny ports 400-500",
      [rule({ name: "deny-range", priority: 100, destinationPortRanges: ["400-500"] })],
      api,
      "denied",
      "deny-range",
    ],
    [
      "deny UDP only",
      [rule({ name: "deny-udp", priority: 100, protocol: "Udp" })],
      api,
      "allowed",
      "AllowInternetOutBound",
    ],
    [
      "deny inbound only",
      [rule({ name: "deny-in", priority: 100, direction: "Inbound" })],
      api,
      "allowed",
      "AllowInternetOutBound",
    ],
    [
      "deny from another subnet only",
      [deny443(100, "*")].map((r) => ({ ...r, sourceAddressPrefixes: ["10.9.0.0/24"] })),
      api,
      "allowed",
      "AllowInternetOutBound",
    ],
    [
      "deny from the subnet's own range",
      [deny443(100, "*")].map((r) => ({ ...r, sourceAddressPrefixes: ["10.1.0.0/16"] })),
      api,
      "denied",
      "deny-https",
    ],
    [
      "deny from VirtualNetwork",
      [deny443(100, "*")].map((r) => ({ ...r, sourceAddressPrefixes: ["VirtualNetwork"] })),
      api,
      "denied",
      "deny-https",
    ],
    ["deny region tag only: partly", [deny443(100, "AzureCloud.westeurope")], api, "allowed", "AllowInternetOutBound"],
    [
      "allow region then deny Internet: partly denied",
      [allow443(100, "AzureCloud.eastus"), deny443(200)],
      api,
      "partly-denied",
      "deny-https",
    ],
    [
      "deny all outbound to VirtualNetwork",
      [rule({ name: "deny-vnet", priority: 300, destinationAddressPrefixes: ["VirtualNetwork"] })],
      outVnet,
      "denied",
      "deny-vnet",
    ],
    [
      "deny all inbound from VirtualNetwork",
      [rule({ name: "deny-vnet-in", priority: 300, direction: "Inbound", sourceAddressPrefixes: ["VirtualNetwork"] })],
      inVnet,
      "denied",
      "deny-vnet-in",
    ],
    [
      "deny inbound SSH only: VNet partly",
      [rule({ name: "deny-ssh", priority: 300, direction: "Inbound", destinationPortRanges: ["22"] })],
      inVnet,
      "allowed",
      "AllowVnetInBound",
    ],
    [
      "deny inbound from AzureLoadBalancer",
      [rule({ name: "deny-lb", priority: 300, direction: "Inbound", sourceAddressPrefixes: ["AzureLoadBalancer"] })],
      inLb,
      "denied",
      "deny-lb",
    ],
    [
      "deny inbound from 168.63.129.16",
      [rule({ name: "deny-wire", priority: 300, direction: "Inbound", sourceAddressPrefixes: ["168.63.129.16"] })],
      inLb,
      "denied",
      "deny-wire",
    ],
    [
      "deny inbound all, allow LB earlier",
      [
        rule({
          name: "allow-lb",
          priority: 100,
          access: "Allow",
          direction: "Inbound",
          sourceAddressPrefixes: ["AzureLoadBalancer"],
        }),
        rule({ name: "deny-all-in", priority: 4096, direction: "Inbound" }),
      ],
      inLb,
      "allowed",
      "allow-lb",
    ],
    [
      "deny inbound all: VNet denied",
      [rule({ name: "deny-all-in", priority: 4096, direction: "Inbound" })],
      inVnet,
      "denied",
      "deny-all-in",
    ],
    [
      "ASG on the node side never matches Karpenter's NICs",
      [rule({ name: "asg", priority: 100, sourceAddressPrefixes: [], sourceApplicationSecurityGroups: true })],
      api,
      "allowed",
      "AllowInternetOutBound",
    ],
    [
      "ASG on the remote side matches part of the VNet",
      [
        rule({
          name: "asg",
          priority: 100,
          destinationAddressPrefixes: [],
          destinationApplicationSecurityGroups: true,
        }),
      ],
      outVnet,
      "allowed",
      "AllowVnetOutBound",
    ],
    ["protocol spelled TCP", [{ ...deny443(100), protocol: "TCP" }], api, "denied", "deny-https"],
    [
      "list of destination ranges",
      [rule({ name: "deny-list", priority: 100, destinationPortRanges: ["80", "440-450"] })],
      api,
      "denied",
      "deny-list",
    ],
  ];
  it.each(cases)("%s", (_name, rules, f, outcome, by) => {
    const v = evaluateFlow(rules, f, SUBNET);
    expect(v.outcome).toBe(outcome);
    expect(v.decidedBy.name).toBe(by);
  });

  it("names the partly matching rules", () => {
    const v = evaluateFlow([deny443(100, "AzureCloud.westeurope")], api, SUBNET);
    expect(v.partly.map((r) => r.name)).toEqual(["deny-https"]);
    const d = evaluateFlow([allow443(100, "AzureCloud.eastus"), deny443(200)], api, SUBNET);
    expect(d.partly.map((r) => r.name)).toEqual(["allow-azure"]);
  });
});

describe("NSG building blocks", () => {
  it.each([
    ["*", { from: 0, to: 65535 }],
    ["443", { from: 443, to: 443 }],
    ["1000-2000", { from: 1000, to: 2000 }],
    ["2000-1000", undefined],
    ["70000", undefined],
    ["https", undefined],
  ])("port range %s", (text, want) => expect(parsePortRange(text)).toEqual(want));

  it.each([
    ["*", "all"],
    ["VirtualNetwork", "all"],
    ["virtualnetwork", "all"],
    ["10.0.0.0/8", "all"],
    ["10.0.0.0/9", "some"],
    ["11.0.0.0/8", "none"],
    ["Internet", "none"],
  ])("VNet endpoint vs %s → %s", (p, want) => expect(prefixMatch(p, { kind: "vnet", prefixes: VNET })).toBe(want));

  it.each([
    ["Internet", "all"],
    ["AzureCloud", "all"],
    ["AzureCloud.eastus", "some"],
    ["AzureContainerRegistry", "some"],
    ["20.0.0.0/8", "some"],
    ["192.168.0.0/16", "none"],
    ["VirtualNetwork", "none"],
    ["fd00::/8", "none"],
  ])("AzureCloud endpoint vs %s → %s", (p, want) => expect(prefixMatch(p, { kind: "azure-cloud" })).toBe(want));
});

describe("NSG evaluation: properties", () => {
  const priority = fc.integer({ min: 100, max: 4096 });
  const access = fc.constantFrom<"Allow" | "Deny">("Allow", "Deny");
  const tag = fc.constantFrom(
    "*",
    "Internet",
    "AzureCloud",
    "VirtualNetwork",
    "AzureLoadBalancer",
    "AzureCloud.eastus",
    "10.0.0.0/8",
    "20.0.0.0/8",
    "10.1.0.0/24",
  );
  const ports = fc.constantFrom("*", "443", "80", "22", "400-500", "1-1024", "8443");
  const proto = fc.constantFrom("*", "Tcp", "Udp", "Icmp");
  const anyRule = fc
    .record({
      priority,
      access,
      tag,
      ports,
      proto,
      direction: fc.constantFrom<"Inbound" | "Outbound">("Inbound", "Outbound"),
      src: tag,
    })
    .map((r) =>
      rule({
        name: `${r.direction}-${String(r.priority)}`,
        priority: r.priority,
        access: r.access,
        direction: r.direction,
        protocol: r.proto,
        sourceAddressPrefixes: [r.src],
        destinationAddressPrefixes: [r.tag],
        destinationPortRanges: [r.ports],
      }),
    );
  // Azure refuses two rules with one priority in one direction: keep priorities unique
  const ruleSet = fc.uniqueArray(anyRule, { selector: (r) => `${r.direction}/${r.priority}`, maxLength: 8 });
  const someFlow = fc.constantFrom(...flows);

  it("the order rules are listed in does not matter, only their priorities", () => {
    fc.assert(
      fc.property(ruleSet, someFlow, fc.integer(), (rules, f, seed) => {
        const shuffled = [...rules].sort(
          (a, b) => ((a.priority * 7919 + seed) % 97) - ((b.priority * 7919 + seed) % 97),
        );
        const a = evaluateFlow(rules, f, SUBNET);
        const b = evaluateFlow(shuffled, f, SUBNET);
        expect(b.outcome).toBe(a.outcome);
        expect(b.decidedBy.name).toBe(a.decidedBy.name);
      }),
    );
  });

  it("rules after the deciding rule never change the verdict", () => {
    fc.assert(
      fc.property(ruleSet, someFlow, anyRule, (rules, f, extra) => {
        const before = evaluateFlow(rules, f, SUBNET);
        if (before.decidedBy.isDefault === true) return; // nothing custom decided: a later custom rule may
        const later = { ...extra, name: "later", priority: before.decidedBy.priority + 1, direction: f.direction };
        if (rules.some((r) => r.direction === later.direction && r.priority === later.priority)) return;
        const after = evaluateFlow([...rules, later], f, SUBNET);
        expect(after.outcome).toBe(before.outcome);
        expect(after.decidedBy.name).toBe(before.decidedBy.name);
      }),
    );
  });

  it("a rule matching everything, before every other rule, decides alone", () => {
    fc.assert(
      fc.property(ruleSet, someFlow, access, (rules, f, acc) => {
        const first = rule({ name: "first", priority: 99, direction: f.direction, access: acc });
        const v = evaluateFlow([...rules, first], f, SUBNET);
        expect(v.decidedBy.name).toBe("first");
        expect(v.outcome).toBe(acc === "Allow" ? "allowed" : "denied");
      }),
    );
  });

  it("a deny on a port range blocks TCP 443 exactly when the range holds 443", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const text = from === to ? String(from) : `${String(from)}-${String(to)}`;
        const v = evaluateFlow([rule({ name: "deny", priority: 100, destinationPortRanges: [text] })], api, SUBNET);
        expect(v.outcome).toBe(from <= 443 && 443 <= to ? "denied" : "allowed");
        expect(portMatch([text], 443)).toBe(from <= 443 && 443 <= to ? "all" : "none");
      }),
    );
  });

  it("a deny to a CIDR blocks the VNet flow exactly when the CIDR holds the whole VNet", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 16 }), (octet, len) => {
        const cidr = `${String(octet & ((0xff << (8 - Math.min(8, len))) & 0xff))}.0.0.0/${String(len)}`;
        const v = evaluateFlow(
          [rule({ name: "deny", priority: 100, destinationAddressPrefixes: [cidr] })],
          outVnet,
          SUBNET,
        );
        const holdsVnet = len <= 8 && (octet & (0xff << (8 - len)) & 0xff) === (10 & (0xff << (8 - len)) & 0xff);
        expect(v.outcome).toBe(holdsVnet ? "denied" : "allowed");
      }),
    );
  });

  it("a deny before everything else always decides: the evaluator never lets an earlier deny through", () => {
    fc.assert(
      fc.property(ruleSet, (rules) => {
        for (const f of flows) {
          const v = evaluateFlow(rules, f, SUBNET);
          const earlierFullDeny = rules
            .filter((r) => r.direction === f.direction && r.priority < v.decidedBy.priority && r.access === "Deny")
            .some((r) => evaluateFlow([r], f, SUBNET).decidedBy === r);
          expect(earlierFullDeny).toBe(false);
        }
      }),
    );
  });
});
