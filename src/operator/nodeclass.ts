/**
 * Reading an AKSNodeClass as unstructured JSON into the core's inputs. Anything unexpected in the
 * object (a number where a string belongs, a garbled status) is treated as absent, never a crash.
 */
import type {
  ConditionStatus,
  NodeClassInput,
  PreviousState,
  StoredCondition,
  SubnetHealthStatus,
} from "../health/types.js";

export interface NodeClassObject {
  metadata?: { name?: string; uid?: string; generation?: number; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const STATUSES = new Set<string>(["True", "False", "Unknown"]);

export function nodeClassInput(obj: NodeClassObject): NodeClassInput {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  return {
    name: obj.metadata?.name ?? "",
    uid: obj.metadata?.uid ?? "",
    generation: obj.metadata?.generation ?? 0,
    vnetSubnetID: str(spec.vnetSubnetID),
    maxPods: num(spec.maxPods),
  };
}

export function storedConditions(obj: NodeClassObject): StoredCondition[] {
  const list = isRecord(obj.status) && Array.isArray(obj.status.conditions) ? obj.status.conditions : [];
  const out: StoredCondition[] = [];
  for (const c of list) {
    if (!isRecord(c)) continue;
    const type = str(c.type);
    const status = str(c.status);
    if (!type || !status || !STATUSES.has(status)) continue;
    out.push({
      type,
      status: status as ConditionStatus,
      reason: str(c.reason) ?? "",
      message: str(c.message) ?? "",
      lastTransitionTime: str(c.lastTransitionTime) ?? "",
      ...(num(c.observedGeneration) !== undefined ? { observedGeneration: num(c.observedGeneration) } : {}),
    });
  }
  return out;
}

export function storedSubnetHealth(obj: NodeClassObject): SubnetHealthStatus | undefined {
  const sh = isRecord(obj.status) ? obj.status.subnetHealth : undefined;
  if (!isRecord(sh)) return undefined;
  const source = sh.source === "default" ? "default" : "spec";
  const prefixes = Array.isArray(sh.lastPrefixes)
    ? sh.lastPrefixes.filter((p): p is string => typeof p === "string")
    : undefined;
  const out: SubnetHealthStatus = { subnetID: str(sh.subnetID), source };
  const set = <K extends keyof SubnetHealthStatus>(k: K, v: SubnetHealthStatus[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("freeIPs", num(sh.freeIPs));
  set("totalIPs", num(sh.totalIPs));
  set("usedIPs", num(sh.usedIPs));
  set("nodeHeadroom", num(sh.nodeHeadroom));
  set("dataTime", str(sh.dataTime));
  set("lastValidSubnetID", str(sh.lastValidSubnetID));
  set("lastSubnetID", str(sh.lastSubnetID));
  set("lastSubnetValid", typeof sh.lastSubnetValid === "boolean" ? sh.lastSubnetValid : undefined);
  set("lastPrefixes", prefixes);
  set("lastDefaultSubnetID", str(sh.lastDefaultSubnetID));
  return out;
}

/**
 * The previous state: what is on the object, completed by what this process remembers. The memory
 * matters with the upstream CRD, which prunes status.subnetHealth.
 */
export function previousState(obj: NodeClassObject, remembered: SubnetHealthStatus | undefined): PreviousState {
  const onObject = storedSubnetHealth(obj);
  return { conditions: storedConditions(obj), subnetHealth: onObject ?? remembered };
}
