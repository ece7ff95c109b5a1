import { describe, expect, it } from "vitest";
import { ConditionType } from "../domain.js";
import { AccessReason } from "./access/condition.js";
import { CapacityReason } from "./capacity.js";
import { CONCERNS, CONCERN_ORDER, severityOf } from "./concerns.js";
import { ConnectivityReason, OutboundReason } from "./connectivity/reasons.js";
import { DriftReason } from "./drift.js";
import { ExistenceReason } from "./existence.js";
import { NetworkPlanReason } from "./network-plan.js";
import { conditionBuilder, severitySpec, type SeverityTable } from "./severity.js";
import { summarize } from "./summary.js";
import type { ConditionResult, ConditionStatus } from "./types.js";

const healthy = (): ConditionResult[] => [
  { type: ConditionType.SubnetFound, status: "True", reason: "SubnetFound", message: "ok." },
  { type: ConditionType.SubnetAccess, status: "True", reason: "AccessGranted", message: "ok." },
  { type: ConditionType.SubnetCapacity, status: "True", reason: "CapacitySufficient", message: "ok." },
  { type: ConditionType.NetworkPlan, status: "True", reason: "NetworkPlanSupported", message: "ok." },
  { type: ConditionType.SubnetConnectivity, status: "True", reason: "ConnectivityChecked", message: "ok." },
  { type: ConditionType.SubnetStable, status: "True", reason: "SubnetStable", message: "ok." },
];

describe("each concern owns the severity of its reasons", () => {
  it("every reason a concern can give has a severity in its own table", () => {
    const reasonsOf: Record<string, readonly string[]> = {
      [ConditionType.SubnetFound]: Object.values(ExistenceReason),
      [ConditionType.SubnetAccess]: Object.values(AccessReason),
      [ConditionType.SubnetCapacity]: Object.values(CapacityReason),
      [ConditionType.NetworkPlan]: Object.values(NetworkPlanReason),
      [ConditionType.SubnetConnectivity]: [...Object.values(OutboundReason), ...Object.values(ConnectivityReason)],
      [ConditionType.SubnetStable]: Object.values(DriftReason),
    };
    for (const concern of CONCERNS) {
      expect(Object.keys(concern.severity).sort(), concern.type).toEqual([...(reasonsOf[concern.type] ?? [])].sort());
    }
    expect(CONCERN_ORDER).toEqual(CONCERNS.map((c) => c.type));
  });

  it("a reason missing from a concern's table does not compile", () => {
    type Reason = "Fine" | "Broken";
    // @ts-expect-error "Broken" has no severity: the table must name every reason
    const table: SeverityTable<Reason> = { Fine: "ok" };
    const fineOnly: SeverityTable<"Fine"> = { Fine: "ok" };
    const cond = conditionBuilder(ConditionType.SubnetFound, fineOnly);
    // @ts-expect-error a builder accepts only the reasons of its table
    cond("False", "Broken", "message");
    expect(table.Fine).toBe("ok");
  });

  it("SubnetReady follows each reason's severity, for every reason of every concern", () => {
    for (const concern of CONCERNS) {
      for (const [reason, entry] of Object.entries(concern.severity)) {
        const { severity } = severitySpec(entry);
        const statuses: ConditionStatus[] =
          severity === "blocking" ? ["False", "Unknown"] : severity === "ok" ? ["True"] : ["True", "False", "Unknown"];
        for (const status of statuses) {
          const conditions = healthy().map((h) =>
            h.type === concern.type ? { ...h, status, reason, message: `${reason} message.` } : h,
          );
          const ready = summarize(conditions);
          const what = `${concern.type} ${status}/${reason} (${severity})`;
          if (severity === "ok") expect(ready, what).toMatchObject({ status: "True", reason: "SubnetReady" });
          else if (severity === "blocking") expect(ready, what).toMatchObject({ status, reason });
          else expect(ready, what).toMatchObject({ status: "True", reason });
          expect(severityOf({ type: concern.type, status, reason }).severity).toBe(severity);
        }
      }
    }
  });

  it("the most urgent advisory names SubnetReady: capacity before a migration before a broad grant", () => {
    const conditions = healthy().map((h) => {
      if (h.type === ConditionType.SubnetAccess) return { ...h, reason: "AccessBroaderThanNeeded" };
      if (h.type === ConditionType.SubnetStable) return { ...h, status: "False" as const, reason: "SubnetMigration" };
      if (h.type === ConditionType.SubnetCapacity) return { ...h, reason: "CapacityLow" };
      return h;
    });
    expect(summarize(conditions)).toMatchObject({ status: "True", reason: "CapacityLow" });
  });

  it("a reason no concern knows (someone else's edit) blocks when False or Unknown and advises when True", () => {
    expect(severityOf({ type: ConditionType.SubnetFound, status: "False", reason: "Edited" }).severity).toBe(
      "blocking",
    );
    expect(severityOf({ type: ConditionType.SubnetFound, status: "True", reason: "Edited" }).severity).toBe("advisory");
  });
});
