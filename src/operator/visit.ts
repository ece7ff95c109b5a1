/**
 * Does a watch event need a visit before the next resync? Pure. Our own status writes come back as
 * updates: only a spec change, someone else touching our conditions, or a nodeclass we know nothing
 * about yet is worth a reconcile.
 */
import { conditionsKey } from "../health/conditions.js";
import { storedConditions, type NodeClassObject } from "./nodeclass.js";
import type { NodeClassRecord } from "./records.js";

export function needsVisit(obj: NodeClassObject, record: NodeClassRecord | undefined): boolean {
  if (record?.generation === undefined || record.subnetHealth === undefined) return true;
  if (record.generation !== (obj.metadata?.generation ?? 0)) return true;
  return record.writtenKey !== undefined && record.writtenKey !== conditionsKey(storedConditions(obj));
}
