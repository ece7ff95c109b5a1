import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import { summarize } from "./summary.js";
import type { ConditionResult, ConditionStatus } from "./types.js";

const c = (
  type: ConditionResult["type"],
  status: ConditionStatus,
  reason: string,
  message = `${reason} message`,
): ConditionResult => ({ type, status, reason, message });
const healthy = (): ConditionResult[] => [
  c(ConditionType.SubnetFound, "True", "SubnetFound"),
  c(ConditionType.SubnetAccess, "True", "AccessGranted"),
  c(ConditionType.SubnetCapacity, "True", "CapacitySufficient"),
  c(ConditionType.NetworkPlan, "True", "NetworkPlanSupported"),
  c(ConditionType.SubnetStable, "True", "SubnetStable"),
];
const withOverrides = (...over: ConditionResult[]): ConditionResult[] =>
  healthy().map((h) => over.find((o) => o.type === h.type) ?? h);

describe("SubnetReady", () => {
  const table: Array<[string, ConditionResult[], ConditionStatus, string]> = [
    ["all healthy", healthy(), "True", "SubnetReady"],
    [
      "access not checked is still healthy",
      withOverrides(c(ConditionType.SubnetAccess, "True", "AccessNotChecked")),
      "True",
      "SubnetReady",
    ],
    [
      "subnet not found blocks",
      withOverrides(
        c(ConditionType.SubnetFound, "False", "SubnetNotFound"),
        c(ConditionType.SubnetCapacity, "Unknown", "SubnetUnavailable"),
      ),
      "False",
      "SubnetNotFound",
    ],
    ["join denied blocks", withOverrides(c(ConditionType.SubnetAccess, "False", "JoinDenied")), "False", "JoinDenied"],
    [
      "full subnet blocks",
      withOverrides(c(ConditionType.SubnetCapacity, "False", "SubnetFull")),
      "False",
      "SubnetFull",
    ],
    [
      "CIDR conflict blocks",
      withOverrides(c(ConditionType.NetworkPlan, "False", "CIDRConflict")),
      "False",
      "CIDRConflict",
    ],
    [
      "first blocking reason in fixed order wins",
      withOverrides(
        c(ConditionType.NetworkPlan, "False", "CIDRConflict"),
        c(ConditionType.SubnetAccess, "False", "JoinDenied"),
        c(ConditionType.SubnetCapacity, "False", "SubnetFull"),
      ),
      "False",
      "JoinDenied",
    ],
    [
      "critical capacity is advisory",
      withOverrides(c(ConditionType.SubnetCapacity, "False", "CapacityCritical")),
      "True",
      "CapacityCritical",
    ],
    [
      "low capacity is advisory",
      withOverrides(c(ConditionType.SubnetCapacity, "True", "CapacityLow")),
      "True",
      "CapacityLow",
    ],
    [
      "broad access is advisory",
      withOverrides(c(ConditionType.SubnetAccess, "True", "AccessBroaderThanNeeded")),
      "True",
      "AccessBroaderThanNeeded",
    ],
    [
      "migration is advisory",
      withOverrides(c(ConditionType.SubnetStable, "False", "SubnetMigration")),
      "True",
      "SubnetMigration",
    ],
    ["BYO CNI is advisory", withOverrides(c(ConditionType.NetworkPlan, "True", "BYOCNI")), "True", "BYOCNI"],
    [
      "a False advisory outranks a True one",
      withOverrides(
        c(ConditionType.SubnetAccess, "True", "AccessBroaderThanNeeded"),
        c(ConditionType.SubnetStable, "False", "NodesOutsideSubnet"),
      ),
      "True",
      "NodesOutsideSubnet",
    ],
    [
      "Unknown without blocking",
      withOverrides(
        c(ConditionType.SubnetFound, "Unknown", "AzureUnavailable"),
        c(ConditionType.SubnetCapacity, "True", "CapacityLow"),
      ),
      "Unknown",
      "AzureUnavailable",
    ],
    [
      "blocking beats Unknown",
      withOverrides(
        c(ConditionType.SubnetFound, "Unknown", "AzureUnavailable"),
        c(ConditionType.NetworkPlan, "False", "UnsupportedNetworking"),
      ),
      "False",
      "UnsupportedNetworking",
    ],
  ];
  it.each(table)("%s → %s %s", (_, conds, status, reason) => {
    const s = summarize(conds);
    expect(s).toMatchObject({ type: ConditionType.SubnetReady, status, reason });
  });

  it("summarises all problems in a fixed order, whatever the input order", () => {
    const conds = withOverrides(
      c(ConditionType.NetworkPlan, "False", "CIDRConflict", "overlap"),
      c(ConditionType.SubnetAccess, "False", "JoinDenied", "no join"),
      c(ConditionType.SubnetCapacity, "True", "CapacityLow", "low"),
    );
    const s = summarize(conds);
    expect(s.message).toBe(
      "SubnetAccess JoinDenied: no join | NetworkPlan CIDRConflict: overlap | SubnetCapacity CapacityLow: low",
    );
    expect(summarize([...conds].reverse())).toEqual(s);
  });

  it("repeats only the first sentence of each concern's message", () => {
    const s = summarize([
      c(ConditionType.SubnetFound, "True", "SubnetFound", "found."),
      c(
        ConditionType.SubnetAccess,
        "False",
        "JoinDenied",
        "Karpenter's identity may not join subnet /subscriptions/x/y.z. Grant it: az role assignment create ...",
      ),
      c(ConditionType.SubnetCapacity, "True", "CapacitySufficient", "ok."),
      c(ConditionType.NetworkPlan, "True", "NetworkPlanSupported", "ok."),
      c(ConditionType.SubnetStable, "True", "SubnetStable", "ok."),
    ]);
    expect(s.message).toBe("SubnetAccess JoinDenied: Karpenter's identity may not join subnet /subscriptions/x/y.z.");
  });
});
