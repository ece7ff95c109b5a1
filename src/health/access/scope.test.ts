import { describe, expect, it } from "vitest";
import { isManagementGroupScope, normalizeScope, sameScope, scopeContains } from "./scope.js";
import { RG_SCOPE, SUB, SUBNET, SUB_SCOPE, VNET_SCOPE } from "./testing.js";

describe("scopeContains", () => {
  it.each([
    ["the subnet itself", SUBNET.id, true],
    ["its VNet", VNET_SCOPE, true],
    ["its resource group", RG_SCOPE, true],
    ["its subscription", SUB_SCOPE, true],
    ["the root scope", "/", true],
    ["a management group", "/providers/Microsoft.Management/managementGroups/corp", true],
    ["different case", SUBNET.id.toUpperCase(), true],
    ["a trailing slash", `${VNET_SCOPE}/`, true],
    ["no leading slash (SDK pitfall)", SUB_SCOPE.slice(1), true],
    ["a doubled leading slash", `/${SUB_SCOPE}`, true],
    ["a sibling subnet", `${VNET_SCOPE}/subnets/other`, false],
    ["a subnet whose name is a prefix", `${VNET_SCOPE}/subnets/node`, false],
    ["a VNet whose name is a prefix", VNET_SCOPE.slice(0, -1), false],
    ["a longer subnet name", `${VNET_SCOPE}/subnets/nodes2`, false],
    ["another subscription", "/subscriptions/00000000-0000-0000-0000-000000000001", false],
    ["another resource group", `/subscriptions/${SUB}/resourceGroups/net`, false],
    ["a child of the subnet", `${SUBNET.id}/child/x`, false],
  ])("an assignment at %s applies: %s", (_label, scope, applies) => {
    expect(scopeContains(scope, SUBNET.id)).toBe(applies);
  });

  it("does not confuse subnets/a with subnets/ab", () => {
    expect(scopeContains(`${VNET_SCOPE}/subnets/a`, `${VNET_SCOPE}/subnets/ab`)).toBe(false);
    expect(scopeContains(`${VNET_SCOPE}/subnets/ab`, `${VNET_SCOPE}/subnets/a`)).toBe(false);
  });
});

describe("scope helpers", () => {
  it("normalizes case and slashes", () => {
    expect(normalizeScope("//Subscriptions/X//resourceGroups/Y/")).toBe("/subscriptions/x/resourcegroups/y");
    expect(normalizeScope("/")).toBe("/");
    expect(sameScope(VNET_SCOPE.toUpperCase(), `${VNET_SCOPE}/`)).toBe(true);
  });

  it("recognizes management group scopes only at the group itself", () => {
    expect(isManagementGroupScope("/providers/Microsoft.Management/managementGroups/corp")).toBe(true);
    expect(isManagementGroupScope("/providers/Microsoft.Management/managementGroups/")).toBe(false);
    expect(isManagementGroupScope(SUB_SCOPE)).toBe(false);
  });
});
