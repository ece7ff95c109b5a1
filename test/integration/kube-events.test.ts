/**
 * Events as `kubectl describe aksnodeclass` finds them: core/v1 in namespace "default", pointing at
 * the nodeclass; a repeat bumps count on the same Event.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { AKSNODECLASS } from "../../src/domain.js";
import { EventRecorder } from "../../src/kube/events.js";
import { adminKubeConfig, eventually, nodeClassApi, uniqueName } from "../support/kube.js";

test("records a Warning on a nodeclass and counts a repeat instead of creating a second Event", async () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const nc = nodeClassApi(kc);
  const name = uniqueName("events");
  const obj = await nc.create(name, {});
  const recorder = new EventRecorder(core, { instance: "aks-subnet-health-test-pod" });
  const involved = {
    apiVersion: `${AKSNODECLASS.group}/${AKSNODECLASS.version}`,
    kind: AKSNODECLASS.kind,
    name,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
  };

  await expect(
    recorder.record(involved, "Warning", "SubnetCapacityLow", "subnet nodes has 3 % free IPs left"),
  ).resolves.toBe("created");
  await expect(
    recorder.record(involved, "Warning", "SubnetCapacityLow", "subnet nodes has 3 % free IPs left"),
  ).resolves.toBe("counted");
  await expect(
    recorder.record(involved, "Normal", "SubnetCapacityOk", "subnet nodes has enough free IPs"),
  ).resolves.toBe("created");

  const events = await eventually(
    async () => {
      const list = await core.listNamespacedEvent({
        namespace: "default",
        fieldSelector: `involvedObject.name=${name}`,
      });
      return list.items.length === 2 ? list.items : undefined;
    },
    { what: "two events for the nodeclass" },
  );
  const warning = events.find((e) => e.type === "Warning");
  expect(warning).toMatchObject({
    reason: "SubnetCapacityLow",
    count: 2,
    involvedObject: { kind: "AKSNodeClass", name, uid: obj.metadata.uid, apiVersion: "karpenter.azure.com/v1beta1" },
    source: { component: "aks-subnet-health" },
    reportingComponent: "aks-subnet-health",
    reportingInstance: "aks-subnet-health-test-pod",
  });
  expect(warning?.lastTimestamp?.getTime()).toBeGreaterThanOrEqual(warning?.firstTimestamp?.getTime() ?? Infinity);
  expect(events.find((e) => e.type === "Normal")?.count).toBe(1);
  await nc.remove(name);
});
