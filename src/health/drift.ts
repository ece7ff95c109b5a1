/**
 * SubnetStable: did the nodeclass's subnet change, and are its nodes where it says?
 *
 * Kinds of change, compared with the memory in status.subnetHealth:
 * - correction: the class moved away from a subnet that was invalid, missing or unreadable (or was
 *   never confirmed valid). Supported: Normal event SubnetCorrected, condition stays True.
 * - migration: the class moved from one valid subnet to another (not to one that is definitely
 *   unusable: that is SubnetFound's problem, and leaving it later is a correction). Karpenter drifts the nodes and
 *   recreates them in the new subnet (best effort, not a supported operation): Warning event
 *   SubnetMigration; SubnetStable False SubnetMigration until every node of the class with an
 *   InternalIP is inside the new subnet. The summary treats this as advisory.
 * - default-changed: like migration, but the spec is unset and the default subnet changed. Karpenter
 *   does not notice (its drift hash covers the spec only), so existing nodes stay behind: Warning event
 *   DefaultSubnetChanged; SubnetStable False DefaultSubnetChanged until no node is outside.
 * - prefix-changed: the same subnet now has other prefixes. Warning event SubnetPrefixesChanged; the
 *   condition shows its consequence (nodes outside) rather than a one-poll flap.
 * - subnet-deleted: a subnet that was valid is now reported missing: Warning event SubnetDeleted
 *   (once), SubnetStable False SubnetDeleted while it stays missing.
 * - nodes-outside: nodes whose InternalIPs all lie outside every prefix of the subnet. A node without
 *   a parseable InternalIP is not counted.
 *
 * Persistence of migration needs no extra memory: the previous SubnetStable condition says a migration
 * was in progress, and it ends when the nodes are inside.
 */
import { ConditionType } from "../domain.js";
import { conditionBuilder, isReasonOf, type SeverityTable } from "./severity.js";
import { cidrContainsIp, parseCidr, parseIp, type Cidr } from "./cidr.js";
import type { ExistenceOutcome } from "./existence.js";
import { resolutionKey, type SubnetResolution } from "./resolve-subnet.js";
import { parseSubnetId } from "./subnet-id.js";
import type {
  ConditionResult,
  DriftKind,
  EventIntent,
  NodeAddress,
  StoredCondition,
  SubnetHealthStatus,
} from "./types.js";

export const DriftReason = {
  SubnetStable: "SubnetStable",
  SubnetMigration: "SubnetMigration",
  DefaultSubnetChanged: "DefaultSubnetChanged",
  SubnetDeleted: "SubnetDeleted",
  NodesOutsideSubnet: "NodesOutsideSubnet",
  StabilityUnknown: "StabilityUnknown",
  SubnetUnavailable: "SubnetUnavailable",
} as const;
export type DriftReasonValue = (typeof DriftReason)[keyof typeof DriftReason];

/** Drift never stops new nodes by itself; a migration in progress is the most pressing of it. */
export const DRIFT_SEVERITY: SeverityTable<DriftReasonValue> = {
  SubnetStable: "ok",
  SubnetMigration: { severity: "advisory", urgency: 2 },
  NodesOutsideSubnet: { severity: "advisory", urgency: 3 },
  SubnetDeleted: { severity: "advisory", urgency: 4 },
  DefaultSubnetChanged: { severity: "advisory", urgency: 5 },
  StabilityUnknown: "informational",
  SubnetUnavailable: "blocking",
};

export const DriftEventReason = {
  SubnetCorrected: "SubnetCorrected",
  SubnetMigration: "SubnetMigration",
  DefaultSubnetChanged: "DefaultSubnetChanged",
  SubnetPrefixesChanged: "SubnetPrefixesChanged",
  SubnetDeleted: "SubnetDeleted",
} as const;

export type DriftMemory = Pick<
  SubnetHealthStatus,
  "lastValidSubnetID" | "lastSubnetID" | "lastSubnetValid" | "lastPrefixes" | "lastDefaultSubnetID"
>;

export interface DriftInput {
  resolution: SubnetResolution;
  existence: ExistenceOutcome;
  previous: SubnetHealthStatus | undefined;
  /** the previous SubnetStable condition, to carry a migration across evaluations */
  previousStable: StoredCondition | undefined;
  nodes: NodeAddress[];
  defaultSubnetID: string | undefined;
}

export interface DriftOutcome {
  condition: ConditionResult;
  /** kinds detected in this evaluation */
  kinds: DriftKind[];
  events: EventIntent[];
  memory: DriftMemory;
  /** undefined when the subnet's prefixes are unknown */
  nodesOutside: number | undefined;
  /** names of nodes outside, sorted */
  nodesOutsideNames: string[];
}

const type = ConditionType.SubnetStable;
const cond = conditionBuilder(type, DRIFT_SEVERITY);
const MAX_NAMED_NODES = 5;

function normalizePrefixes(prefixes: readonly string[]): string[] {
  return [...new Set(prefixes.map((p) => p.trim().toLowerCase()))].sort();
}

function samePrefixes(a: readonly string[], b: readonly string[]): boolean {
  const x = normalizePrefixes(a);
  const y = normalizePrefixes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Nodes with at least one parseable InternalIP, none of them inside any prefix. */
export function nodesOutsideSubnet(nodes: readonly NodeAddress[], prefixes: readonly string[]): string[] {
  const cidrs = prefixes.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const outside: string[] = [];
  for (const node of nodes) {
    const ips = node.internalIPs.map(parseIp).filter((ip) => ip !== undefined);
    if (ips.length === 0) continue;
    if (!ips.some((ip) => cidrs.some((c) => cidrContainsIp(c, ip)))) outside.push(node.name);
  }
  return outside.sort();
}

function defaultKey(defaultSubnetID: string | undefined): string | undefined {
  if (defaultSubnetID === undefined || defaultSubnetID === "") return undefined;
  const parsed = parseSubnetId(defaultSubnetID);
  return parsed.ok ? parsed.ref.canonical : defaultSubnetID;
}

function namesList(names: string[]): string {
  const shown = names.slice(0, MAX_NAMED_NODES).join(", ");
  return names.length > MAX_NAMED_NODES ? `${shown} and ${names.length - MAX_NAMED_NODES} more` : shown;
}

export function evaluateDrift(input: DriftInput): DriftOutcome {
  const { resolution, existence, previous } = input;
  const current = resolutionKey(resolution);
  const display = existence.ref?.id ?? resolution.raw ?? "(none)";
  // a subnet Karpenter refuses (placement) or Azure refuses NICs in (delegation) never held this class's
  // nodes: moving away from it is a correction, not a migration
  const found = existence.state === "found" && existence.refused === undefined;
  const definitelyInvalid =
    existence.refused !== undefined ||
    ["invalid", "unconfigured", "not-allowed", "not-found", "not-provisioned", "forbidden"].includes(existence.state);
  const fresh = existence.data !== undefined && !existence.data.stale ? existence.data : undefined;
  const prefixes = existence.data?.subnet.addressPrefixes;

  const kinds: DriftKind[] = [];
  const events: EventIntent[] = [];

  // Drift events are Normal: none of them stops new nodes by itself (a deleted current subnet is
  // SubnetFound's Warning, a new subnet short of IPs is SubnetCapacity's). They explain what changed.
  // --- change of subnet
  let changed: "correction" | "migration" | "default-changed" | undefined;
  // Moving to a subnet that is definitely unusable is not a migration: SubnetFound says what is wrong,
  // and moving on from it later is a correction.
  if (
    previous !== undefined &&
    current !== previous.lastSubnetID &&
    current !== undefined &&
    !(previous.lastSubnetValid === true && definitelyInvalid)
  ) {
    const prevDisplay = previous.lastSubnetID ?? "(none)";
    if (previous.lastSubnetValid !== true) {
      changed = "correction";
      events.push({
        type: "Normal",
        reason: DriftEventReason.SubnetCorrected,
        message: `The nodeclass now uses subnet ${display} instead of ${prevDisplay}, which was not a valid, readable subnet.`,
      });
    } else if (resolution.source === "default" && previous.source === "default") {
      changed = "default-changed";
      events.push({
        type: "Normal",
        reason: DriftEventReason.DefaultSubnetChanged,
        message: `The default subnet changed from ${prevDisplay} to ${display} while spec.vnetSubnetID is unset. Karpenter does not drift existing nodes for this: they stay in the old subnet until replaced.`,
      });
    } else {
      changed = "migration";
      events.push({
        type: "Normal",
        reason: DriftEventReason.SubnetMigration,
        message: `The nodeclass moved from subnet ${prevDisplay} to ${display}. Moving between valid subnets is best effort: Karpenter drifts existing nodes and replaces them in the new subnet.`,
      });
    }
    kinds.push(changed);
  }

  // --- same subnet, Azure-side changes (fresh data only)
  const sameAsLastValid = current !== undefined && previous?.lastValidSubnetID === current;
  if (
    fresh !== undefined &&
    found &&
    sameAsLastValid &&
    previous?.lastPrefixes !== undefined &&
    !samePrefixes(previous.lastPrefixes, fresh.subnet.addressPrefixes)
  ) {
    kinds.push("prefix-changed");
    events.push({
      type: "Normal",
      reason: DriftEventReason.SubnetPrefixesChanged,
      message: `The address prefixes of subnet ${display} changed from ${normalizePrefixes(previous.lastPrefixes).join(", ")} to ${normalizePrefixes(fresh.subnet.addressPrefixes).join(", ")}.`,
    });
  }
  const deleted = existence.state === "not-found" && sameAsLastValid;
  if (deleted) {
    kinds.push("subnet-deleted");
    if (previous?.lastSubnetValid === true && previous.lastSubnetID === current) {
      events.push({
        type: "Normal",
        reason: DriftEventReason.SubnetDeleted,
        message: `Subnet ${display}, which this nodeclass used successfully before, no longer exists in Azure.`,
      });
    }
  }

  // --- nodes outside (fresh or last-known prefixes: prefixes change rarely)
  const outsideNames = prefixes !== undefined ? nodesOutsideSubnet(input.nodes, prefixes) : [];
  const nodesOutside = prefixes !== undefined ? outsideNames.length : undefined;

  // --- a migration (or default change) stays in progress until no node is outside the new subnet
  const previousMove =
    input.previousStable !== undefined && input.previousStable.status === "False"
      ? input.previousStable.reason === DriftReason.SubnetMigration
        ? "migration"
        : input.previousStable.reason === DriftReason.DefaultSubnetChanged
          ? "default-changed"
          : undefined
      : undefined;
  const moving =
    changed === "migration" || changed === "default-changed"
      ? changed
      : changed === undefined
        ? previousMove
        : undefined;
  const migrating = !deleted && !definitelyInvalid && moving !== undefined && nodesOutside !== 0 ? moving : undefined;
  // the metric says "in progress" for as long as the condition does, not only on the poll that saw it
  if (migrating !== undefined && !kinds.includes(migrating)) kinds.push(migrating);
  if (nodesOutside !== undefined && nodesOutside > 0) kinds.push("nodes-outside");

  // --- next memory
  const knownValidity = found ? true : definitelyInvalid ? false : existence.data !== undefined ? true : undefined;
  const memory: DriftMemory = {
    lastSubnetID: current,
    // Azure did not answer for the same subnet: keep what we knew, so a later change is still classified right.
    lastSubnetValid: knownValidity ?? (current === previous?.lastSubnetID ? previous?.lastSubnetValid : undefined),
    lastValidSubnetID: found ? current : previous?.lastValidSubnetID,
    // lastPrefixes always belong to lastValidSubnetID, which changes only when the subnet is found.
    lastPrefixes:
      found && fresh !== undefined ? normalizePrefixes(fresh.subnet.addressPrefixes) : previous?.lastPrefixes,
    lastDefaultSubnetID:
      resolution.source === "default" ? defaultKey(input.defaultSubnetID) : previous?.lastDefaultSubnetID,
  };

  // --- condition
  const condition = ((): ConditionResult => {
    if (deleted) {
      return cond(
        "False",
        DriftReason.SubnetDeleted,
        `Subnet ${display} was valid before and is now missing in Azure; nodes of this class lose their subnet. Recreate it or point the nodeclass at another subnet.`,
      );
    }
    if (definitelyInvalid) {
      return cond(
        "Unknown",
        DriftReason.SubnetUnavailable,
        `Stability is not assessed while the subnet is unusable (see SubnetFound: ${existence.condition.reason}).`,
      );
    }
    if (migrating !== undefined) {
      // Message carries no node names or counts: it would change as nodes are replaced.
      return migrating === "migration"
        ? cond(
            "False",
            DriftReason.SubnetMigration,
            `The nodeclass moved to subnet ${display} from another valid subnet; Karpenter replaces the nodes (best effort, not a supported operation). Nodes remain outside the new subnet.`,
          )
        : cond(
            "False",
            DriftReason.DefaultSubnetChanged,
            `The default subnet changed to ${display} while spec.vnetSubnetID is unset; existing nodes stay in the old subnet until replaced. Set spec.vnetSubnetID, or replace the nodes.`,
          );
    }
    if (nodesOutside !== undefined && nodesOutside > 0) {
      return cond(
        "False",
        DriftReason.NodesOutsideSubnet,
        `Nodes of this class have no InternalIP inside subnet ${display}: ${namesList(outsideNames)}. They were created in another subnet (an earlier setting, or a changed prefix); replace them to bring them into this subnet.`,
      );
    }
    if (nodesOutside === 0) {
      return cond(
        "True",
        DriftReason.SubnetStable,
        `The nodes of this class are inside subnet ${display}; no unsupported subnet change is in progress.`,
      );
    }
    // Azure did not answer and no earlier data: keep what we knew rather than guess.
    const kept = input.previousStable;
    if (
      kept !== undefined &&
      previous !== undefined &&
      current === previous.lastSubnetID &&
      isReasonOf(DRIFT_SEVERITY, kept.reason)
    ) {
      return cond(kept.status, kept.reason, kept.message);
    }
    return cond(
      "Unknown",
      DriftReason.StabilityUnknown,
      `Waiting for Azure to report subnet ${display} before checking where the nodes are.`,
    );
  })();

  return { condition, kinds, events, memory, nodesOutside, nodesOutsideNames: outsideNames };
}
