/**
 * SubnetFound: does the configured subnet exist and can we read it?
 *
 * Only Azure's own answers are definite (404 → not found). A failed call (throttling, timeouts,
 * outages) is Unknown, never False: "we could not ask" is not "it is gone".
 */
import { ConditionType } from "../domain.js";
import { conditionBuilder, type SeverityTable } from "./severity.js";
import { delegationMessage, type PlacementVerdict } from "./placement.js";
import { subscriptionAllowed, type SubnetResolution } from "./resolve-subnet.js";
import type {
  AzureFailure,
  ConditionResult,
  SubnetProperties,
  SubnetRef,
  VNetObservation,
  VNetSnapshot,
} from "./types.js";

export const ExistenceReason = {
  SubnetFound: "SubnetFound",
  SubnetIDInvalid: "SubnetIDInvalid",
  NoSubnetConfigured: "NoSubnetConfigured",
  SubscriptionNotAllowed: "SubscriptionNotAllowed",
  SubnetNotFound: "SubnetNotFound",
  VNetNotFound: "VNetNotFound",
  ResourceGroupNotFound: "ResourceGroupNotFound",
  SubscriptionNotFound: "SubscriptionNotFound",
  SubnetNotProvisioned: "SubnetNotProvisioned",
  SubnetReadForbidden: "SubnetReadForbidden",
  SubnetDelegated: "SubnetDelegated",
  SubnetOutsideClusterVNet: "SubnetOutsideClusterVNet",
  SubnetCaseMismatch: "SubnetCaseMismatch",
  CustomSubnetInManagedVNet: "CustomSubnetInManagedVNet",
  AzureUnavailable: "AzureUnavailable",
  AwaitingAzure: "AwaitingAzure",
} as const;
export type ExistenceReasonValue = (typeof ExistenceReason)[keyof typeof ExistenceReason];

/** Every False here stops new nodes; Unknown means the operator cannot tell. */
export const EXISTENCE_SEVERITY: SeverityTable<ExistenceReasonValue> = {
  SubnetFound: "ok",
  SubnetIDInvalid: "blocking",
  NoSubnetConfigured: "blocking",
  SubscriptionNotAllowed: "blocking",
  SubnetNotFound: "blocking",
  VNetNotFound: "blocking",
  ResourceGroupNotFound: "blocking",
  SubscriptionNotFound: "blocking",
  SubnetNotProvisioned: "blocking",
  SubnetReadForbidden: "blocking",
  SubnetDelegated: "blocking",
  SubnetOutsideClusterVNet: "blocking",
  SubnetCaseMismatch: "blocking",
  CustomSubnetInManagedVNet: "blocking",
  AzureUnavailable: "blocking",
  AwaitingAzure: "blocking",
};

export type ExistenceState =
  | "found"
  | "invalid"
  | "unconfigured"
  | "not-allowed"
  | "not-found"
  | "not-provisioned"
  | "forbidden"
  | "unavailable"
  | "pending";

/** Subnet data usable for numbers and CIDR checks: from a fresh read, or the last good one when Azure failed. */
export interface SubnetData {
  subnet: SubnetProperties;
  snapshot: VNetSnapshot;
  /** true when it comes from the last good snapshot because the current read failed */
  stale: boolean;
}

export interface ExistenceOutcome {
  condition: ConditionResult;
  /** what Azure says about the subnet; a refused placement or a delegation keeps it (numbers stay useful) */
  state: ExistenceState;
  /** set when the subnet may exist but no node can be placed in it: the condition says why */
  refused?: "placement" | "delegated";
  ref: SubnetRef | undefined;
  data: SubnetData | undefined;
}

const type = ConditionType.SubnetFound;

const cond = conditionBuilder(type, EXISTENCE_SEVERITY);

/** Describes an Azure failure by its kind and codes only: its text may carry counters that change per call. */
export function describeFailure(failure: AzureFailure): string {
  const words: Record<AzureFailure["kind"], string> = {
    throttled: "Azure Resource Manager throttled the operator's reads",
    unreachable: "Azure Resource Manager could not be reached",
    "server-error": "Azure Resource Manager returned a server error",
    timeout: "the request to Azure Resource Manager timed out",
    auth: "the operator could not authenticate to Azure",
    other: "the request to Azure failed",
  };
  const details = [
    failure.statusCode !== undefined ? `HTTP ${failure.statusCode}` : undefined,
    failure.code !== undefined && failure.code !== "" ? failure.code : undefined,
  ].filter((d): d is string => d !== undefined);
  return details.length > 0 ? `${words[failure.kind]} (${details.join(", ")})` : words[failure.kind];
}

/**
 * Existence and placement. A placement Karpenter refuses is as blocking as a missing subnet and is
 * known without Azure, so it takes precedence over every Azure answer; the Azure answer still fills
 * `state` and `data`, so capacity and drift keep working.
 */
export function evaluateExistence(
  resolution: SubnetResolution,
  vnet: VNetObservation | undefined,
  allowedSubscriptions: string[] | undefined,
  placement: PlacementVerdict = { kind: "not-checked", why: "not asked" },
): ExistenceOutcome {
  const outcome = existenceFromAzure(resolution, vnet, allowedSubscriptions);
  if (placement.kind === "refused" && outcome.state !== "invalid" && outcome.state !== "unconfigured") {
    // what Azure said as well, so fixing the placement holds no second surprise
    const also = outcome.condition.status === "True" ? "" : ` Also: ${outcome.condition.message}`;
    return {
      ...outcome,
      refused: "placement",
      condition: cond("False", placement.reason, `${placement.message}${also}`),
    };
  }
  return outcome;
}

function existenceFromAzure(
  resolution: SubnetResolution,
  vnet: VNetObservation | undefined,
  allowedSubscriptions: string[] | undefined,
): ExistenceOutcome {
  const base = { ref: undefined, data: undefined };
  if (resolution.raw === undefined || resolution.parsed === undefined) {
    return {
      ...base,
      state: "unconfigured",
      condition: cond(
        "False",
        ExistenceReason.NoSubnetConfigured,
        "No subnet is configured: spec.vnetSubnetID is unset and no default subnet is known. Set spec.vnetSubnetID on the AKSNodeClass, or give the operator the cluster's default subnet (--vnet-subnet-id).",
      ),
    };
  }
  const where = resolution.source === "spec" ? "spec.vnetSubnetID" : "the default subnet (--vnet-subnet-id)";
  if (!resolution.parsed.ok) {
    return {
      ...base,
      state: "invalid",
      condition: cond(
        "False",
        ExistenceReason.SubnetIDInvalid,
        `${where} ${JSON.stringify(resolution.raw)} is not a valid subnet ID: ${resolution.parsed.error}. Fix it to the form /subscriptions/{subscription-guid}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{subnet}.`,
      ),
    };
  }
  const ref = resolution.parsed.ref;
  const withRef = { ref, data: undefined };
  if (!subscriptionAllowed(ref, allowedSubscriptions) || vnet?.kind === "not-allowed") {
    return {
      ...withRef,
      state: "not-allowed",
      condition: cond(
        "False",
        ExistenceReason.SubscriptionNotAllowed,
        `The subnet is in subscription ${ref.subscriptionId}, which the operator is not allowed to read. Fix: add it to the operator's allowed subscriptions, or use a subnet in an allowed subscription.`,
      ),
    };
  }
  if (vnet === undefined || vnet.kind === "pending") {
    return {
      ...withRef,
      state: "pending",
      condition: cond(
        "Unknown",
        ExistenceReason.AwaitingAzure,
        `Waiting for the first read of subnet ${ref.vnet}/${ref.subnet} from Azure.`,
      ),
    };
  }
  switch (vnet.kind) {
    case "ok":
      return fromSnapshot(ref, vnet.snapshot);
    case "subscription-not-found":
      return notFound(
        ref,
        ExistenceReason.SubscriptionNotFound,
        `Subscription ${ref.subscriptionId} does not exist (or is not visible to the operator's tenant). Fix: correct the subscription ID in ${where}.`,
      );
    case "resource-group-not-found":
      return notFound(
        ref,
        ExistenceReason.ResourceGroupNotFound,
        `Resource group ${ref.resourceGroup} does not exist. Fix: correct the resource group name in ${where}, or create the resource group, virtual network and subnet.`,
      );
    case "vnet-not-found":
      return notFound(
        ref,
        ExistenceReason.VNetNotFound,
        `Virtual network ${ref.vnet} in resource group ${ref.resourceGroup} does not exist. Fix: correct the virtual network name in ${where}, or create the virtual network and subnet.`,
      );
    case "forbidden":
      return {
        ...withRef,
        state: "forbidden",
        condition: cond(
          "Unknown",
          ExistenceReason.SubnetReadForbidden,
          `The operator's identity may not read virtual network ${ref.vnet} (HTTP 403), so it cannot tell whether subnet ${ref.subnet} exists. ` +
            `Fix: \`az role assignment create --assignee-object-id <operator principal ID> --assignee-principal-type ServicePrincipal --role Reader --scope ${vnetId(ref)}\`.`,
        ),
      };
    case "unavailable": {
      const cause = describeFailure(vnet.failure);
      const last = vnet.lastGood;
      const lastSubnet = last?.subnets.get(ref.subnet.toLowerCase());
      const known =
        last === undefined
          ? "No earlier read succeeded."
          : lastSubnet !== undefined
            ? "Last known: subnet existed."
            : "Last known: subnet was not in the virtual network.";
      return {
        ...withRef,
        state: "unavailable",
        data:
          last !== undefined && lastSubnet !== undefined
            ? { subnet: lastSubnet, snapshot: last, stale: true }
            : undefined,
        condition: cond(
          "Unknown",
          ExistenceReason.AzureUnavailable,
          `Cannot check subnet ${ref.vnet}/${ref.subnet}: ${cause}. ${known} The operator retries.`,
        ),
      };
    }
  }
}

/**
 * Messages name the subnet by `vnet/subnet`: its full ID is in status.subnetHealth.subnetID, and repeating it in
 * every condition made `kubectl describe` a wall of IDs. A command that needs an ID carries it, once.
 */
function vnetId(ref: SubnetRef): string {
  return ref.id.slice(0, ref.id.toLowerCase().lastIndexOf("/subnets/"));
}

function notFound(ref: SubnetRef, reason: ExistenceReasonValue, message: string): ExistenceOutcome {
  return { ref, data: undefined, state: "not-found", condition: cond("False", reason, message) };
}

function fromSnapshot(ref: SubnetRef, snapshot: VNetSnapshot): ExistenceOutcome {
  const subnet = snapshot.subnets.get(ref.subnet.toLowerCase());
  if (subnet === undefined) {
    // The VNet was read successfully and does not list the subnet: that is a definite answer.
    return notFound(
      ref,
      ExistenceReason.SubnetNotFound,
      `Subnet ${ref.subnet} does not exist in virtual network ${ref.vnet} (resource group ${ref.resourceGroup}). Create it, or point the nodeclass at an existing subnet.`,
    );
  }
  const data: SubnetData = { subnet, snapshot, stale: false };
  const state = (subnet.provisioningState ?? "").toLowerCase();
  if (state === "failed" || state === "deleting") {
    return {
      ref,
      data,
      state: "not-provisioned",
      condition: cond(
        "False",
        ExistenceReason.SubnetNotProvisioned,
        `Subnet ${ref.vnet}/${ref.subnet} is in provisioning state ${subnet.provisioningState ?? ""}: new network interfaces cannot be placed in it. ${state === "failed" ? "Fix the subnet in Azure (re-apply its configuration)" : "It is being deleted; point the nodeclass at another subnet"}.`,
      ),
    };
  }
  if (subnet.delegations.length > 0) {
    return {
      ref,
      data,
      state: "found",
      refused: "delegated",
      condition: cond("False", ExistenceReason.SubnetDelegated, delegationMessage(ref, subnet.delegations)),
    };
  }
  const note = state === "updating" ? " Azure is currently updating it (provisioning state Updating)." : "";
  return {
    ref,
    data,
    state: "found",
    condition: cond(
      "True",
      ExistenceReason.SubnetFound,
      `Subnet ${ref.vnet}/${ref.subnet} exists and is readable.${note}`,
    ),
  };
}
