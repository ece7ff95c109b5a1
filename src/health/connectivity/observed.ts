/**
 * Turns a resource observation into data to judge, or the reason it cannot be judged. Through an
 * outage the last good data is judged (as capacity does with a stale VNet snapshot): throttling must not
 * flip a verdict that was known a minute ago.
 */
import { describeFailure } from "../existence.js";
import type { ResourceObservation } from "./types.js";

export type Observed<T> = { data: T } | { unknown: string };

function lastSegment(id: string): string {
  return (
    id
      .split("/")
      .filter((s) => s !== "")
      .pop() ?? id
  );
}

export function observed<T>(obs: ResourceObservation<T> | undefined, what: string, id: string): Observed<T> {
  const name = `${what} ${lastSegment(id)}`;
  if (obs === undefined || obs.kind === "pending") return { unknown: `Waiting for the first read of ${name}.` };
  switch (obs.kind) {
    case "ok":
      return { data: obs.data };
    case "unavailable":
      return obs.last !== undefined
        ? { data: obs.last }
        : { unknown: `Cannot read ${name}: ${describeFailure(obs.failure)}. The operator retries.` };
    case "forbidden":
      return {
        unknown: `Grant the operator's identity Reader on ${id}: it may not read ${name} (HTTP 403), so the subnet's connectivity cannot be judged.`,
      };
    case "not-found":
      return {
        unknown: `The subnet points at ${name}, which Azure says does not exist (${id}); re-associate the subnet or wait for Azure to settle.`,
      };
    case "not-allowed":
      return {
        unknown: `Add the subscription of ${id} to the operator's allowed subscriptions to check ${name}.`,
      };
    case "invalid-id":
      return {
        unknown: `The subnet names ${what} ${JSON.stringify(id)}, which is not a valid resource ID: ${obs.message}`,
      };
  }
}
