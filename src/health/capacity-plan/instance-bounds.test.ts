import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instanceBounds, KARPENTER_MIN_MEMORY_MIB, KARPENTER_MIN_VCPU, vcpuFromSizeName } from "./instance-bounds.js";
import type { NodePoolRequirement, RequirementOperator } from "./types.js";

const req = (key: string, operator: RequirementOperator, ...values: string[]): NodePoolRequirement => ({
  key,
  operator,
  values,
});
const CPU = "karpenter.azure.com/sku-cpu";
const AKS_CPU = "kubernetes.azure.com/sku-cpu";
const MEM = "karpenter.azure.com/sku-memory";
const TYPE = "node.kubernetes.io/instance-type";

describe("instanceBounds: the smallest instance a NodePool allows", () => {
  const some: Array<[string, NodePoolRequirement[], number, string, number]> = [
    ["no requirements: Karpenter's minimum", [], 2, "karpenter-minimum", 3584],
    [
      "sku-family D says nothing about size",
      [req("karpenter.azure.com/sku-family", "In", "D")],
      2,
      "karpenter-minimum",
      3584,
    ],
    ["sku-cpu Gt 8", [req(CPU, "Gt", "8")], 9, "sku-cpu", 3584],
    ["sku-cpu Gte 4", [req(CPU, "Gte", "4")], 4, "sku-cpu", 3584],
    ["sku-cpu In 16,4,8", [req(CPU, "In", "16", "4", "8")], 4, "sku-cpu", 3584],
    ["sku-cpu In 1,2: 1 is below Karpenter's floor", [req(CPU, "In", "1", "2")], 2, "karpenter-minimum", 3584],
    ["sku-cpu NotIn 2,3", [req(CPU, "NotIn", "2", "3")], 4, "sku-cpu", 3584],
    [
      "sku-cpu Gt 2 and Lt 16 and In 8,32",
      [req(CPU, "Gt", "2"), req(CPU, "Lt", "16"), req(CPU, "In", "8", "32")],
      8,
      "sku-cpu",
      3584,
    ],
    [
      "AKS and Karpenter sku-cpu labels agree on one value",
      [req(CPU, "Gte", "4"), req(AKS_CPU, "In", "2", "8")],
      8,
      "sku-cpu",
      3584,
    ],
    ["sku-memory Gte 16384", [req(MEM, "Gte", "16384")], 2, "karpenter-minimum", 16384],
    ["sku-memory Gt 1000 stays at the 3.5 GiB floor", [req(MEM, "Gt", "1000")], 2, "karpenter-minimum", 3584],
    ["instance names give vCPUs", [req(TYPE, "In", "Standard_D8s_v5", "Standard_D4s_v5")], 4, "instance-names", 3584],
    [
      "names filtered by sku-cpu",
      [req(TYPE, "In", "Standard_D2s_v5", "Standard_D16s_v5"), req(CPU, "Gt", "4")],
      16,
      "instance-names",
      3584,
    ],
    [
      "an unrecognised name falls back to the bounds",
      [req(TYPE, "In", "Standard_D8s_v5", "Weird")],
      2,
      "karpenter-minimum",
      3584,
    ],
    ["custom label DoesNotExist is fine", [req("example.com/team", "DoesNotExist")], 2, "karpenter-minimum", 3584],
    ["capacity type spot", [req("karpenter.sh/capacity-type", "In", "spot")], 2, "karpenter-minimum", 3584],
  ];
  it.each(some)("%s", (_, requirements, vcpu, vcpuBasis, memoryMiB) => {
    const b = instanceBounds(requirements);
    expect(b.kind).toBe("some");
    if (b.kind !== "some") return;
    expect(b.smallest).toMatchObject({ vcpu, vcpuBasis, memoryMiB });
  });

  it("reports the capacity types left", () => {
    const b = instanceBounds([req("karpenter.sh/capacity-type", "NotIn", "spot")]);
    expect(b.kind === "some" && b.capacityTypes).toEqual(["on-demand"]);
  });

  const none: Array<[string, NodePoolRequirement[], RegExp]> = [
    ["sku-cpu Gt 8 and Lt 4", [req(CPU, "Gt", "8"), req(CPU, "Lt", "4")], /bounds leave no value/],
    ["sku-cpu Lt 2", [req(CPU, "Lt", "2")], /at least 2 vCPUs/],
    ["sku-cpu In 1", [req(CPU, "In", "1")], /at least 2 vCPUs/],
    ["sku-cpu In 4 and Gt 4", [req(CPU, "In", "4"), req(CPU, "Gt", "4")], /no listed value/],
    ["two sku-cpu labels disagree", [req(CPU, "In", "4"), req(AKS_CPU, "In", "8")], /sku-cpu/],
    ["sku-memory Lte 2048", [req(MEM, "Lte", "2048")], /3584 MiB/],
    ["capacity type reserved only", [req("karpenter.sh/capacity-type", "In", "reserved")], /on-demand, spot/],
    ["arch s390x", [req("kubernetes.io/arch", "In", "s390x")], /amd64, arm64/],
    ["windows", [req("kubernetes.io/os", "In", "windows")], /linux/],
    ["sku-family DoesNotExist", [req("karpenter.azure.com/sku-family", "DoesNotExist")], /every instance type/],
    [
      "In and NotIn the same zone",
      [req("topology.kubernetes.io/zone", "In", "a"), req("topology.kubernetes.io/zone", "NotIn", "a")],
      /no value is left/,
    ],
    [
      "Exists and DoesNotExist",
      [req("example.com/x", "Exists"), req("example.com/x", "DoesNotExist")],
      /both exist and not exist/,
    ],
    ["only constrained-vCPU sizes", [req(TYPE, "In", "Standard_E8-4ds_v5")], /none of which/],
    ["names all below the sku-cpu bound", [req(TYPE, "In", "Standard_D2s_v5"), req(CPU, "Gte", "4")], /none of which/],
  ];
  it.each(none)("%s allows no instance", (_, requirements, why) => {
    const b = instanceBounds(requirements);
    expect(b.kind).toBe("none");
    if (b.kind === "none") expect(b.why).toMatch(why);
  });

  it.each([
    ["Standard_D4s_v5", 4],
    ["Standard_NC24ads_A100_v4", 24],
    ["Standard_M416ms_v2", 416],
    ["standard_d2_v2", 2],
    ["Standard_A8_v2", 8],
    ["Standard_E8-4ds_v5", "excluded"],
    ["Standard_G5", undefined],
    ["Standard_A10", undefined],
    ["not a size", undefined],
  ])("vcpuFromSizeName(%s) = %s", (name, vcpu) => {
    expect(vcpuFromSizeName(name)).toBe(vcpu);
  });

  describe("properties", () => {
    const op = fc.constantFrom<RequirementOperator>("In", "NotIn", "Gt", "Lt", "Gte", "Lte", "Exists");
    const cpuReq = fc
      .tuple(
        fc.constantFrom(CPU, AKS_CPU),
        op,
        fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 4 }),
      )
      .map(([key, operator, values]) =>
        req(
          key,
          operator,
          ...(["Gt", "Lt", "Gte", "Lte"].includes(operator)
            ? values.slice(0, 1)
            : operator === "Exists"
              ? []
              : values
          ).map(String),
        ),
      );
    const allows = (r: NodePoolRequirement, n: number): boolean => {
      const v = Number(r.values[0]);
      switch (r.operator) {
        case "In":
          return r.values.includes(String(n));
        case "NotIn":
          return !r.values.includes(String(n));
        case "Gt":
          return n > v;
        case "Gte":
          return n >= v;
        case "Lt":
          return n < v;
        case "Lte":
          return n <= v;
        default:
          return true;
      }
    };

    it("the smallest vCPU count satisfies every sku-cpu requirement and nothing smaller does", () => {
      fc.assert(
        fc.property(fc.array(cpuReq, { maxLength: 5 }), (reqs) => {
          const b = instanceBounds(reqs);
          const ok = (n: number) => reqs.every((r) => allows(r, n));
          const firstAllowed = Array.from({ length: 200 }, (_, i) => i + KARPENTER_MIN_VCPU).find(ok);
          if (b.kind === "none") {
            expect(firstAllowed).toBeUndefined();
          } else {
            expect(b.smallest.vcpu).toBe(firstAllowed);
          }
        }),
      );
    });

    it("adding a requirement never makes the smallest instance smaller", () => {
      fc.assert(
        fc.property(fc.array(cpuReq, { maxLength: 4 }), cpuReq, (reqs, extra) => {
          const before = instanceBounds(reqs);
          const after = instanceBounds([...reqs, extra]);
          if (before.kind === "none") expect(after.kind).toBe("none");
          if (before.kind === "some" && after.kind === "some") {
            expect(after.smallest.vcpu).toBeGreaterThanOrEqual(before.smallest.vcpu);
            expect(after.smallest.memoryMiB).toBeGreaterThanOrEqual(KARPENTER_MIN_MEMORY_MIB);
          }
        }),
      );
    });
  });
});
