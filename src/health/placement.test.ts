import { describe, expect, it } from "vitest";
import { evaluateExistence, ExistenceReason } from "./existence.js";
import { evaluatePlacement, isAksManagedVNet, PlacementReason } from "./placement.js";
import { resolveSubnet } from "./resolve-subnet.js";
import { THRESHOLDS, okVnet, ref, subnetId, subnetProps } from "./test-fixtures.js";
import type { NodeClassInput } from "./types.js";

const nc = (vnetSubnetID: string | undefined): NodeClassInput => ({
  name: "nc",
  uid: "u",
  generation: 1,
  vnetSubnetID,
  maxPods: undefined,
});
const CLUSTER = subnetId("aks-default", "vnet-aks", "rg-network");
const place = (spec: string | undefined, cluster = CLUSTER, nodeRg?: string) =>
  evaluatePlacement(
    resolveSubnet(nc(spec), { defaultSubnetID: cluster, allowedSubscriptions: undefined, thresholds: THRESHOLDS }),
    cluster,
    nodeRg,
  );

describe("placement: Karpenter's two rules", () => {
  it("accepts the cluster subnet itself, set or defaulted", () => {
    expect(place(undefined).kind).toBe("accepted");
    expect(place(CLUSTER).kind).toBe("accepted");
  });
  it("accepts another subnet of the cluster's VNet", () => {
    expect(place(subnetId("karpenter-a", "vnet-aks", "rg-network")).kind).toBe("accepted");
  });
  it("accepts a subnet whose name alone differs in case (Karpenter compares only subscription, group and VNet)", () => {
    expect(place(subnetId("AKS-DEFAULT", "vnet-aks", "rg-network")).kind).toBe("accepted");
  });
  it("refuses a subnet in another VNet, naming the cluster's VNet", () => {
    const v = place(subnetId("nodes", "vnet-workloads", "rg-network"));
    expect(v).toMatchObject({ kind: "refused", reason: PlacementReason.SubnetOutsideClusterVNet });
    expect(v.kind === "refused" && v.message).toMatch(/^Use a subnet in the cluster's virtual network vnet-aks/);
    expect(v.kind === "refused" && v.message).toContain("virtual network vnet-workloads (cluster: vnet-aks)");
  });
  it("refuses a subnet in another resource group or subscription", () => {
    expect(place(subnetId("nodes", "vnet-aks", "rg-other"))).toMatchObject({
      reason: PlacementReason.SubnetOutsideClusterVNet,
    });
    const other = place(subnetId("nodes", "vnet-aks", "rg-network", "00000000-0000-0000-0000-0000000000b2"));
    expect(other.kind === "refused" && other.message).toContain("subscription 00000000-0000-0000-0000-0000000000b2");
  });
  it("refuses a case-only difference in the resource group and tells how to spell it", () => {
    const v = place(subnetId("karpenter-a", "vnet-aks", "RG-Network"));
    expect(v).toMatchObject({ kind: "refused", reason: PlacementReason.SubnetCaseMismatch });
    const msg = v.kind === "refused" ? v.message : "";
    expect(msg).toContain(`Set spec.vnetSubnetID to ${subnetId("karpenter-a", "vnet-aks", "rg-network")}`);
    expect(msg).toContain("letter case");
    expect(msg).toContain("resource group RG-Network (cluster: rg-network)");
  });
  it("refuses a case-only difference in the VNet or subscription", () => {
    expect(place(subnetId("karpenter-a", "VNet-AKS", "rg-network"))).toMatchObject({
      reason: PlacementReason.SubnetCaseMismatch,
    });
    const lower = "aaaaaaaa-0000-0000-0000-0000000000a1";
    const cluster = subnetId("aks-default", "vnet-aks", "rg-network", lower);
    expect(place(subnetId("karpenter-a", "vnet-aks", "rg-network", lower.toUpperCase()), cluster)).toMatchObject({
      reason: PlacementReason.SubnetCaseMismatch,
    });
  });
  it("refuses every custom subnet when the cluster uses the AKS-managed VNet", () => {
    const managed = subnetId("aks-subnet", "aks-vnet-12345678", "MC_rg_aks_eastus");
    expect(
      place(subnetId("extra", "aks-vnet-12345678", "MC_rg_aks_eastus"), managed, "MC_rg_aks_eastus"),
    ).toMatchObject({
      reason: PlacementReason.CustomSubnetInManagedVNet,
    });
    expect(place(subnetId("nodes", "vnet-workloads", "rg-network"), managed, "mc_rg_aks_eastus")).toMatchObject({
      reason: PlacementReason.CustomSubnetInManagedVNet,
    });
    // the managed subnet itself, by default or spelled identically, is fine
    expect(place(undefined, managed, "MC_rg_aks_eastus").kind).toBe("accepted");
    expect(place(managed, managed, "MC_rg_aks_eastus").kind).toBe("accepted");
    // spelled differently, Karpenter's string comparison fails first and the managed-VNet rule refuses it
    expect(place(managed.replace("aks-subnet", "AKS-subnet"), managed, "MC_rg_aks_eastus").kind).toBe("refused");
  });
  it("recognises the managed VNet as Karpenter does", () => {
    const managed = ref(subnetId("aks-subnet", "aks-vnet-12345678", "MC_rg"));
    expect(isAksManagedVNet(managed, "mc_RG")).toBe(true);
    expect(isAksManagedVNet(managed, "other-rg")).toBe(false);
    expect(isAksManagedVNet(managed, undefined)).toBe(true);
    expect(isAksManagedVNet(ref(subnetId("aks-subnet", "aks-vnet-1234567", "MC_rg")), "MC_rg")).toBe(false);
    expect(isAksManagedVNet(ref(subnetId("nodes", "aks-vnet-12345678", "MC_rg")), "MC_rg")).toBe(false);
  });
  it("cannot judge without a cluster subnet", () => {
    expect(place(subnetId("x"), "").kind).toBe("not-checked");
  });
});

describe("existence with placement and delegation", () => {
  const spec = subnetId("nodes", "vnet-workloads", "rg-network");
  const settings = { defaultSubnetID: CLUSTER, allowedSubscriptions: undefined, thresholds: THRESHOLDS };
  it("a refused placement is SubnetFound=False with the placement reason, keeping the Azure data", () => {
    const resolution = resolveSubnet(nc(spec), settings);
    const placement = evaluatePlacement(resolution, CLUSTER, undefined);
    const vnet = okVnet([subnetProps("nodes", { id: spec })]);
    const out = evaluateExistence(resolution, vnet, undefined, placement);
    expect(out.condition).toMatchObject({ status: "False", reason: PlacementReason.SubnetOutsideClusterVNet });
    expect(out.state).toBe("found");
    expect(out.refused).toBe("placement");
    expect(out.data?.subnet.name).toBe("nodes");
  });
  it("a delegated subnet is blocking and names the service", () => {
    const id = subnetId("delegated", "vnet-aks", "rg-network");
    const resolution = resolveSubnet(nc(id), settings);
    const vnet = okVnet([
      subnetProps("delegated", { id, delegations: ["Microsoft.ContainerInstance/containerGroups"] }),
    ]);
    const out = evaluateExistence(resolution, vnet, undefined, evaluatePlacement(resolution, CLUSTER, undefined));
    expect(out.condition).toMatchObject({ status: "False", reason: ExistenceReason.SubnetDelegated });
    expect(out.condition.message).toMatch(
      /^Use a subnet without delegations, or remove the delegation to Microsoft\.ContainerInstance\/containerGroups/,
    );
    expect(out.refused).toBe("delegated");
  });
});
