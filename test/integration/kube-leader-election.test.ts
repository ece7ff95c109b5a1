/**
 * Two replicas campaigning on one real Lease: only one leads; when it stops it releases the lease
 * and the other takes over without waiting out the lease duration.
 */
import { CoordinationV1Api } from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { LeaderElector } from "../../src/kube/leader-election.js";
import { adminKubeConfig, eventually, uniqueName } from "../support/kube.js";

test("one of two electors leads, and the other takes over soon after the leader stops", async () => {
  const api = adminKubeConfig().makeApiClient(CoordinationV1Api);
  const lease = uniqueName("lease");
  const log: string[] = [];
  const make = (identity: string) =>
    new LeaderElector({
      api,
      namespace: "default",
      name: lease,
      identity,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 1,
      onStartedLeading: (signal) => {
        log.push(`${identity} started`);
        signal.addEventListener("abort", () => log.push(`${identity} signal aborted`));
      },
      onStoppedLeading: () => log.push(`${identity} stopped`),
    });
  const a = make("replica-a");
  const b = make("replica-b");
  a.start();
  await eventually(() => (a.isLeader() ? true : undefined), { what: "replica-a leads" });
  b.start();
  // b observes a as holder, and a keeps renewing
  await eventually(() => (b.leader === "replica-a" ? true : undefined), { what: "replica-b sees replica-a" });
  const held = await api.readNamespacedLease({ name: lease, namespace: "default" });
  expect(held.spec?.holderIdentity).toBe("replica-a");
  expect(held.spec?.leaseDurationSeconds).toBe(15);
  expect(b.isLeader()).toBe(false);
  await eventually(
    async () => {
      const l = await api.readNamespacedLease({ name: lease, namespace: "default" });
      return l.metadata?.resourceVersion !== held.metadata?.resourceVersion ? true : undefined;
    },
    { what: "a renewal" },
  );
  expect(b.isLeader()).toBe(false);

  await a.stop();
  expect(a.isLeader()).toBe(false);
  // the poll gives up before the 15 s lease could expire: only a released lease lets replica-b in
  await eventually(() => (b.isLeader() ? true : undefined), { what: "replica-b takes over", timeoutMs: 10_000 });
  expect(log).toEqual(["replica-a started", "replica-a signal aborted", "replica-a stopped", "replica-b started"]);
  const taken = await api.readNamespacedLease({ name: lease, namespace: "default" });
  expect(taken.spec?.holderIdentity).toBe("replica-b");
  expect(taken.spec?.leaseTransitions).toBe(1);
  await b.stop();
  expect((await api.readNamespacedLease({ name: lease, namespace: "default" })).spec?.holderIdentity).toBeFalsy();
});
