/**
 * The SubnetAccess condition: whether Karpenter's identity may read and join the subnet, and what to do
 * when it may not. Messages carry IDs and advice but no counters or times, so they only change when the
 * situation does.
 */
import { ConditionType } from "../../domain.js";
import type {
  AccessApproach,
  AccessEvaluation,
  AccessObservation,
  ActionAccess,
  AzureFailure,
  SubnetRef,
} from "../types.js";
import type { ConcernCondition, SeverityTable } from "../severity.js";
import { SUBNET_DELETE_ACTION, SUBNET_JOIN, SUBNET_READ, SUBNET_WRITE_ACTION } from "./actions.js";

export const AccessReason = {
  Granted: "AccessGranted",
  BroaderThanNeeded: "AccessBroaderThanNeeded",
  ReadDenied: "ReadDenied",
  JoinDenied: "JoinDenied",
  ReadAndJoinDenied: "ReadAndJoinDenied",
  DeniedByDenyAssignment: "DeniedByDenyAssignment",
  Conditional: "AccessConditional",
  Indeterminate: "AccessIndeterminate",
  AzureUnavailable: "AzureUnavailable",
  CheckForbidden: "AccessCheckForbidden",
  NotChecked: "AccessNotChecked",
  AwaitingAzure: "AwaitingAzure",
  NoSubnet: "AccessNotCheckedNoSubnet",
} as const;
export type AccessReasonValue = (typeof AccessReason)[keyof typeof AccessReason];

/** Denied rights stop NIC creation; an undecidable check means the operator cannot tell. */
export const ACCESS_SEVERITY: SeverityTable<AccessReasonValue> = {
  AccessGranted: "ok",
  AccessNotChecked: "ok",
  AccessBroaderThanNeeded: "advisory",
  ReadDenied: "blocking",
  JoinDenied: "blocking",
  ReadAndJoinDenied: "blocking",
  DeniedByDenyAssignment: "blocking",
  AccessConditional: "blocking",
  AccessIndeterminate: "blocking",
  AzureUnavailable: "blocking",
  AccessCheckForbidden: "blocking",
  AwaitingAzure: "blocking",
  // SubnetFound is False and says why; access adds nothing until the subnet exists
  AccessNotCheckedNoSubnet: "informational",
};
type AccessCondition = ConcernCondition<AccessReasonValue>;

/** The condition NAP's docs used to keep Network Contributor on the subnet from writing or deleting it. */
export const NO_WRITE_DELETE_CONDITION = `((!(ActionMatches{'${SUBNET_WRITE_ACTION}'})) AND (!(ActionMatches{'${SUBNET_DELETE_ACTION}'})))`;

const SELF_CHECK_NOTE =
  "This checked the operator's own identity and assumes Karpenter uses the same identity; configure --karpenter-principal-id to check Karpenter's identity instead.";

export function approachLabel(approach: AccessApproach): string {
  switch (approach) {
    case "vnet-network-contributor":
      return "Approach A: Network Contributor on the VNet";
    case "subnet-custom-role":
      return "Approach B: a custom role on the subnet";
    case "subnet-conditioned-network-contributor":
      return "Approach B: Network Contributor on the subnet with subnets/write and subnets/delete excluded by a condition";
    case "other":
      return "role assignments other than the documented approaches";
    case "none":
      return "no role assignment";
  }
}

function who(e: AccessEvaluation): string {
  return e.mode === "operator-identity"
    ? "The operator's own identity"
    : `Karpenter's identity (principal ${e.principalId ?? "unknown"})`;
}

function scopeOf(subnet: SubnetRef | undefined): string {
  return subnet ? subnet.id : "<subnet ID>";
}

/**
 * A least-privilege fix the user can paste (Approach B with the conditioned Network Contributor), in
 * backticks so it reads as one command. It is the only place a message names the subnet's full ID: the
 * object's status carries the ID, and `kubectl describe` stays readable.
 */
function grantCommand(e: AccessEvaluation, subnet: SubnetRef | undefined): string {
  const assignee = e.principalId ?? "<principal object ID>";
  return (
    `\`az role assignment create --assignee-object-id ${assignee} --assignee-principal-type ServicePrincipal ` +
    `--role "Network Contributor" --scope ${scopeOf(subnet)} --condition "${NO_WRITE_DELETE_CONDITION}" --condition-version 2.0\``
  );
}

/** The approaches the AKS node autoprovisioning documentation describes: supported, so no advisory. */
const DOCUMENTED_APPROACHES: ReadonlySet<AccessApproach> = new Set([
  "vnet-network-contributor",
  "subnet-custom-role",
  "subnet-conditioned-network-contributor",
]);

/** The evidence with the subnet's own ID replaced by "the subnet": the fix command is where the ID is named. */
function aboutSubnet(text: string, subnet: SubnetRef | undefined): string {
  if (subnet === undefined) return text;
  const escaped = subnet.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`(?:subnet )?${escaped}(?![/\\w-])`, "gi"), "the subnet");
}

function withSelfNote(e: AccessEvaluation, message: string): string {
  return e.mode === "operator-identity" ? `${message} ${SELF_CHECK_NOTE}` : message;
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Groups "<action> via <grant>" strings by grant so a role that covers four actions is named once. */
export function compactBroadGrants(grants: readonly string[]): string[] {
  const byVia = new Map<string, string[]>();
  for (const g of grants) {
    const at = g.indexOf(" via ");
    const [action, via] = at < 0 ? [g, ""] : [g.slice(0, at), g.slice(at)];
    byVia.set(via, [...(byVia.get(via) ?? []), action]);
  }
  return [...byVia].map(([via, actions]) => `${actions.join(", ")}${via}`);
}

/** Joins the details of several actions, saying a shared explanation once. */
export function joinDetails(actions: readonly ActionAccess[]): string {
  const [first, second] = actions;
  if (first && second && actions.length === 2) {
    const template = (a: ActionAccess): string => a.detail.split(a.action).join("\u0000");
    if (template(first) === template(second)) {
      const both = `${first.action} and ${second.action}`;
      const merged = template(first).startsWith("\u0000 is ")
        ? `\u0000 are ${template(first).slice("\u0000 is ".length)}`
        : template(first);
      return merged
        .split("\u0000")
        .join(both)
        .replace(/\b(include|includes|excludes|grants) it\b/g, "$1 them");
    }
  }
  return actions.map((a) => a.detail).join(" ");
}

function granted(e: AccessEvaluation, subnet: SubnetRef | undefined): AccessCondition {
  const type = ConditionType.SubnetAccess;
  const by = unique([...e.read.grantedBy, ...e.join.grantedBy]);
  const how = e.mode === "operator-identity" ? "from its effective permissions" : approachLabel(e.approach);
  const base =
    `${who(e)} may read and join the subnet (${how}` +
    (by.length > 0 ? `; granted by role assignment${by.length > 1 ? "s" : ""} ${by.join(", ")})` : ")") +
    ".";
  if (e.broadGrants.length === 0)
    return { type, status: "True", reason: AccessReason.Granted, message: withSelfNote(e, base) };
  if (DOCUMENTED_APPROACHES.has(e.approach)) {
    // a documented approach is a supported choice, not a problem: say once that a narrower one exists
    const narrower =
      e.approach === "vnet-network-contributor"
        ? " Approach B (read and join on the subnet only) is the least-privilege alternative."
        : "";
    return { type, status: "True", reason: AccessReason.Granted, message: withSelfNote(e, `${base}${narrower}`) };
  }
  return {
    type,
    status: "True",
    reason: AccessReason.BroaderThanNeeded,
    message: withSelfNote(
      e,
      `${who(e)} may read and join the subnet but holds rights it does not need: ${aboutSubnet(compactBroadGrants(e.broadGrants).join("; "), subnet)}. ` +
        `Fix: assign only ${SUBNET_READ} and ${SUBNET_JOIN} at the subnet (Approach B), e.g. ${grantCommand(e, subnet)}, then remove the broader assignment` +
        (by.length > 0 ? ` (${by.join(", ")}).` : "."),
    ),
  };
}

function denied(e: AccessEvaluation, subnet: SubnetRef | undefined): AccessCondition | undefined {
  const type = ConditionType.SubnetAccess;
  const actions = [e.read, e.join].filter((a) => a.verdict === "denied");
  if (actions.length === 0) return undefined;
  const byDeny = actions.filter((a) => a.deniedBy.length > 0);
  if (byDeny.length > 0) {
    const ids = unique(byDeny.flatMap((a) => a.deniedBy));
    return {
      type,
      status: "False",
      reason: AccessReason.DeniedByDenyAssignment,
      message: withSelfNote(
        e,
        `${who(e)} is blocked by ${ids.length > 1 ? "deny assignments" : "a deny assignment"} on the subnet: nodes cannot get a network interface there. ` +
          "Fix: remove or change the deny assignment where it was created (managed application or deployment stack), or use a subnet it does not cover. " +
          aboutSubnet(joinDetails(byDeny), subnet),
      ),
    };
  }
  const readDenied = e.read.verdict === "denied";
  const joinDenied = e.join.verdict === "denied";
  const reason =
    readDenied && joinDenied
      ? AccessReason.ReadAndJoinDenied
      : readDenied
        ? AccessReason.ReadDenied
        : AccessReason.JoinDenied;
  const what = readDenied && joinDenied ? "may neither read nor join" : readDenied ? "may not read" : "may not join";
  // problem, fix, then the evidence: the command comes before anything long enough to be cut
  return {
    type,
    status: "False",
    reason,
    message: withSelfNote(
      e,
      `${who(e)} ${what} the subnet: nodes cannot get a network interface there (LinkedAuthorizationFailed). ` +
        `Fix: ${grantCommand(e, subnet)} (takes a few minutes to apply). ${aboutSubnet(joinDetails(actions), subnet)}`,
    ),
  };
}

/** The attribute expressions the verdicts hinge on, so the user sees which condition to change. */
function attributeText(conditional: readonly ActionAccess[]): string {
  const atoms = unique(conditional.flatMap((a) => a.undecidedConditions ?? []));
  if (atoms.length === 0) return "";
  // conditions can be long: keep the message readable in `kubectl describe`
  const shown = atoms.slice(0, 3).map((t) => (t.length <= 200 ? t : `${t.slice(0, 199)}…`));
  return ` It depends on ${shown.join("; ")}${atoms.length > 3 ? ` and ${atoms.length - 3} more` : ""}.`;
}

function undecided(e: AccessEvaluation): AccessCondition {
  const type = ConditionType.SubnetAccess;
  const open = [e.read, e.join].filter((a) => a.verdict !== "granted");
  const conditional = open.filter((a) => a.verdict === "conditional");
  if (conditional.length > 0) {
    const ids = unique(conditional.flatMap((a) => a.grantedBy));
    const others = open
      .filter((a) => a.verdict !== "conditional")
      .map((a) => ` ${a.detail}`)
      .join("");
    return {
      type,
      status: "Unknown",
      reason: AccessReason.Conditional,
      message: withSelfNote(
        e,
        `Indeterminate: ${who(e)} may ${conditional.length > 1 ? "read and join" : conditional[0]?.action === SUBNET_READ ? "read" : "join"} the subnet only if an ABAC condition holds: ` +
          `an ABAC attribute condition on assignment ${ids.join(", ")} cannot be evaluated offline (${conditional.map((a) => a.action).join(" and ")}).` +
          `${attributeText(conditional)}${others} ` +
          "Azure decides such conditions per request; to make access certain, assign a role without attribute conditions at the subnet scope.",
      ),
    };
  }
  const details = joinDetails(open);
  const subject =
    e.mode === "operator-identity"
      ? "the operator's own identity"
      : `Karpenter's identity (principal ${e.principalId ?? "unknown"})`;
  return {
    type,
    status: "Unknown",
    reason: AccessReason.Indeterminate,
    message: withSelfNote(
      e,
      `Whether ${subject} may read and join the subnet cannot be decided: ${details} ` +
        "Make sure the operator can read role definitions and deny assignments (Reader on the subnet); group memberships cannot be checked without Microsoft Graph.",
    ),
  };
}

/** Summarizes an evaluation in words that stay the same while access does. */
export function summarizeEvaluation(e: AccessEvaluation): string {
  if (e.read.verdict === "granted" && e.join.verdict === "granted") return `granted (${approachLabel(e.approach)})`;
  return `read ${e.read.verdict}, join ${e.join.verdict}`;
}

const FAILURE_WORDS: Record<AzureFailure["kind"], string> = {
  throttled: "Azure throttled the request",
  unreachable: "Azure could not be reached",
  "server-error": "Azure returned a server error",
  timeout: "Azure did not answer in time",
  auth: "the operator could not authenticate to Azure (check its workload identity or credentials)",
  other: "the request to Azure failed",
};

/** Strips what changes on every failure (timestamps, correlation/request IDs, retry hints) and bounds the size. */
export function stableAzureMessage(message: string): string {
  const cleaned = message
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, "")
    .replace(/\b(?:trace|correlation|request|tracking|activity|client request)\s*id\s*[:=]?\s*[0-9a-f-]{8,}/gi, "")
    .replace(/\b(?:timestamp|time)\s*[:=]\s*/gi, "")
    .replace(/\bretry(?:ing)? after \d+(?:\.\d+)?\s*(?:ms|milliseconds|s|seconds)?/gi, "")
    .replace(/\s+/g, " ")
    .trim();
  return cleaned.length <= 300 ? cleaned : `${cleaned.slice(0, 299)}…`;
}

function failureCause(f: AzureFailure): string {
  const tags = [f.code, f.statusCode !== undefined ? `HTTP ${f.statusCode}` : undefined].filter(
    (t): t is string => t !== undefined,
  );
  const msg = stableAzureMessage(f.message);
  return `${FAILURE_WORDS[f.kind]}${tags.length > 0 ? ` (${tags.join(", ")})` : ""}${msg ? `: ${msg}` : ""}`;
}

/**
 * SubnetAccess while the subnet (or its VNet, resource group or subscription) does not exist, or its ID
 * does not parse: there is no scope to check, and suggesting a role assignment on it would send the user
 * the wrong way.
 */
export function accessWithoutSubnet(existenceReason: string): AccessCondition {
  return {
    type: ConditionType.SubnetAccess,
    status: "Unknown",
    reason: AccessReason.NoSubnet,
    message:
      existenceReason === "SubnetIDInvalid"
        ? `Not checked: the subnet ID is not valid (SubnetFound ${existenceReason}). Karpenter's access is checked once it is.`
        : existenceReason === "NoSubnetConfigured"
          ? `Not checked: no subnet is configured (SubnetFound ${existenceReason}). Karpenter's access is checked once one is.`
          : `Not checked: the subnet does not exist (SubnetFound ${existenceReason}). Karpenter's access is checked once it does.`,
  };
}

/**
 * Builds the SubnetAccess condition. `subnet`, when given, lets the message carry a ready-to-run
 * `az role assignment create --scope …` command; without it the command has a placeholder.
 */
export function accessCondition(obs: AccessObservation, subnet?: SubnetRef): AccessCondition {
  const type = ConditionType.SubnetAccess;
  switch (obs.kind) {
    case "pending":
      return {
        type,
        status: "Unknown",
        reason: AccessReason.AwaitingAzure,
        message: "Waiting for the first check of Karpenter's access to the subnet against Azure.",
      };
    case "disabled":
      return {
        type,
        status: "True",
        reason: AccessReason.NotChecked,
        message:
          "Karpenter's access to the subnet is not checked. To check it, configure --karpenter-principal-id with the object ID of Karpenter's managed identity and grant the operator Reader on the subnet so it can read role assignments.",
      };
    case "forbidden":
      return {
        type,
        status: "Unknown",
        reason: AccessReason.CheckForbidden,
        message:
          "The operator may not read role assignments at the subnet (it lacks Microsoft.Authorization/roleAssignments/read), so Karpenter's access cannot be checked. " +
          `Fix: \`az role assignment create --assignee-object-id <operator principal ID> --assignee-principal-type ServicePrincipal --role Reader --scope ${scopeOf(subnet)}\`. ` +
          `Azure said: ${aboutSubnet(stableAzureMessage(obs.message), subnet)}`,
      };
    case "unavailable": {
      const last = obs.last ? `last known: ${summarizeEvaluation(obs.last)}` : "no earlier result";
      return {
        type,
        status: "Unknown",
        reason: AccessReason.AzureUnavailable,
        message: `Could not check Karpenter's access to the subnet: ${failureCause(obs.failure)}. The check is retried automatically (${last}).`,
      };
    }
    case "ok": {
      const e = obs.evaluation;
      if (e.read.verdict === "granted" && e.join.verdict === "granted") return granted(e, subnet);
      return denied(e, subnet) ?? undecided(e);
    }
  }
}
