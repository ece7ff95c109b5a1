/**
 * The smallest instance a NodePool's requirements allow, derived from the requirement bounds rather
 * than from a SKU catalogue (which differs per region and subscription and changes every month).
 *
 * Assumptions, each chosen so the worst-case node count is never understated:
 * - Karpenter for Azure launches only SKUs with at least 2 vCPUs and 3.5 GiB of memory
 *   (`hasMinimumCPU` / `hasMinimumMemory` in its instance type provider), so those are the floors.
 * - vCPU and memory are minimised separately: the smallest vCPU count and the smallest memory may
 *   belong to different SKUs, which only makes the node count larger.
 * - Any integer at or above a bound is taken as a possible SKU size (Azure has no 3-vCPU SKU, but
 *   `sku-cpu Gt 2` is planned with 3).
 * - Instance names (`node.kubernetes.io/instance-type`, `karpenter.azure.com/sku-name`) give their vCPU
 *   count from the size name ("Standard_D4s_v5" → 4); a name that does not follow that pattern falls
 *   back to the bounds above. Memory is never read from names.
 * Requirements on the same key are intersected, as Karpenter does.
 */
import type { InstanceBounds, NodePoolRequirement, SmallestInstance } from "./types.js";

export const KARPENTER_MIN_VCPU = 2;
/** 3.5 GiB in MiB, the unit of the sku-memory label */
export const KARPENTER_MIN_MEMORY_MIB = 3584;

const SKU_CPU = ["karpenter.azure.com/sku-cpu", "kubernetes.azure.com/sku-cpu"];
const SKU_MEMORY = ["karpenter.azure.com/sku-memory", "kubernetes.azure.com/sku-memory"];
const INSTANCE_NAME = ["node.kubernetes.io/instance-type", "karpenter.azure.com/sku-name"];
export const CAPACITY_TYPE = "karpenter.sh/capacity-type";

/** Labels with a fixed set of values on every instance Karpenter for Azure offers. */
const ENUMERATED: Record<string, readonly string[]> = {
  [CAPACITY_TYPE]: ["on-demand", "spot"],
  "kubernetes.io/arch": ["amd64", "arm64"],
  "kubernetes.io/os": ["linux"],
};

/** Labels every instance carries, so DoesNotExist on them allows nothing. */
const ALWAYS_PRESENT = new Set([
  ...SKU_CPU,
  ...SKU_MEMORY,
  ...INSTANCE_NAME,
  ...Object.keys(ENUMERATED),
  "karpenter.azure.com/sku-family",
  "karpenter.azure.com/sku-gpu-count",
  "topology.kubernetes.io/region",
]);

/** What the requirements on one key allow. Numeric bounds are inclusive integers. */
interface KeyConstraint {
  in: Set<string> | undefined;
  notIn: Set<string>;
  mustExist: boolean;
  mustNotExist: boolean;
  min: number;
  max: number;
}

function constraintsByKey(requirements: readonly NodePoolRequirement[]): Map<string, KeyConstraint> {
  const byKey = new Map<string, KeyConstraint>();
  for (const r of requirements) {
    let c = byKey.get(r.key);
    if (c === undefined) {
      c = {
        in: undefined,
        notIn: new Set(),
        mustExist: false,
        mustNotExist: false,
        min: -Infinity,
        max: Infinity,
      };
      byKey.set(r.key, c);
    }
    const bound = Number.parseInt(r.values[0] ?? "", 10);
    switch (r.operator) {
      case "In": {
        const values = new Set(r.values);
        c.in = c.in === undefined ? values : new Set([...c.in].filter((v) => values.has(v)));
        c.mustExist = true;
        break;
      }
      case "NotIn":
        for (const v of r.values) c.notIn.add(v);
        break;
      case "Exists":
        c.mustExist = true;
        break;
      case "DoesNotExist":
        c.mustNotExist = true;
        break;
      // the CRD allows one non-negative integer per bound; anything else cannot be satisfied
      case "Gt":
        c.min = Math.max(c.min, Number.isNaN(bound) ? Infinity : bound + 1);
        c.mustExist = true;
        break;
      case "Gte":
        c.min = Math.max(c.min, Number.isNaN(bound) ? Infinity : bound);
        c.mustExist = true;
        break;
      case "Lt":
        c.max = Math.min(c.max, Number.isNaN(bound) ? -Infinity : bound - 1);
        c.mustExist = true;
        break;
      case "Lte":
        c.max = Math.min(c.max, Number.isNaN(bound) ? -Infinity : bound);
        c.mustExist = true;
        break;
    }
  }
  return byKey;
}

function describeKey(key: string, requirements: readonly NodePoolRequirement[]): string {
  return requirements
    .filter((r) => r.key === key)
    .map((r) => `${r.key} ${r.operator}${r.values.length > 0 ? ` ${r.values.join(",")}` : ""}`)
    .join(" and ");
}

function describeKeys(keys: readonly string[], requirements: readonly NodePoolRequirement[]): string {
  return keys
    .map((k) => describeKey(k, requirements))
    .filter((d) => d !== "")
    .join(" and ");
}

function isInteger(v: string): boolean {
  return /^[0-9]+$/.test(v);
}

/** Smallest allowed integer value of a numeric key, above the floor; undefined when none is allowed. */
function smallestNumber(c: KeyConstraint | undefined, floor: number): number | undefined {
  if (c === undefined) return floor;
  const min = Math.max(c.min, floor);
  if (c.in !== undefined) {
    const candidates = [...c.in]
      .filter((v) => isInteger(v) && !c.notIn.has(v))
      .map(Number)
      .filter((n) => n >= min && n <= c.max);
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  }
  // NotIn holds finitely many values, so this walk ends after at most |NotIn| + 1 steps
  for (let n = min; n <= c.max; n++) if (!c.notIn.has(String(n))) return n;
  return undefined;
}

/**
 * vCPUs from an Azure VM size name: "Standard_D4s_v5" → 4, "Standard_NC24ads_A100_v4" → 24.
 * Sizes whose digits are not their vCPU count (G/GS-series, the classic A9–A11) give undefined;
 * constrained-vCPU sizes ("Standard_E8-4ds_v5") give "excluded": Karpenter never launches them.
 */
export function vcpuFromSizeName(name: string): number | "excluded" | undefined {
  const m = /^(?:standard_)?([a-z]+)(\d+)(-\d+)?[a-z]*(?:_(.*))?$/i.exec(name);
  if (m === null) return undefined;
  const family = (m[1] ?? "").toUpperCase();
  const digits = Number(m[2]);
  if (m[3] !== undefined) return "excluded";
  if (family === "G" || family === "GS") return undefined;
  if (family === "A" && digits >= 9 && m[4] === undefined) return undefined;
  return digits;
}

/** The smallest vCPU count the instance-name requirements allow, or undefined when they do not say. */
function vcpuFromNames(
  constraints: Map<string, KeyConstraint>,
  cpu: KeyConstraint[],
): { vcpu: number } | { none: string } | undefined {
  let best: { vcpu: number } | { none: string } | undefined;
  for (const key of INSTANCE_NAME) {
    const c = constraints.get(key);
    if (c?.in === undefined) continue;
    const names = [...c.in].filter((n) => !c.notIn.has(n));
    const parsed = names.map(vcpuFromSizeName);
    // an unrecognised name might be any size: the bounds decide, not the names
    if (parsed.some((p) => p === undefined)) continue;
    const sizes = parsed
      .filter((p): p is number => typeof p === "number")
      .filter((n) => n >= KARPENTER_MIN_VCPU && cpu.every((k) => smallestNumber(k, n) === n));
    if (sizes.length === 0) {
      return {
        none: `${key} allows only ${names.join(", ") || "no name"}, none of which Karpenter for Azure launches with these requirements`,
      };
    }
    const vcpu = Math.min(...sizes);
    if (best === undefined || ("vcpu" in best && vcpu > best.vcpu)) best = { vcpu };
  }
  return best;
}

/**
 * What a NodePool's requirements allow: the smallest instance, or why no instance fits.
 */
export function instanceBounds(requirements: readonly NodePoolRequirement[]): InstanceBounds {
  const constraints = constraintsByKey(requirements);
  for (const [key, c] of constraints) {
    const why = (text: string): InstanceBounds => ({
      kind: "none",
      why: `${describeKey(key, requirements)}: ${text}`,
    });
    if (c.mustNotExist && (c.mustExist || ALWAYS_PRESENT.has(key))) {
      return why(c.mustExist ? "the label must both exist and not exist" : "every instance type carries this label");
    }
    if (c.in !== undefined && [...c.in].every((v) => c.notIn.has(v))) return why("no value is left");
    if (c.min > c.max) return why("the bounds leave no value");
    const domain = ENUMERATED[key];
    if (domain !== undefined) {
      const allowed = domain.filter((v) => (c.in === undefined || c.in.has(v)) && !c.notIn.has(v));
      if (allowed.length === 0) {
        return why(`Karpenter for Azure offers only ${domain.join(", ")}`);
      }
    }
    if ((c.min > -Infinity || c.max < Infinity) && c.in !== undefined) {
      const numeric = [...c.in].filter((v) => !c.notIn.has(v) && isInteger(v) && +v >= c.min && +v <= c.max);
      if (numeric.length === 0) return why("no listed value lies within the bounds");
    }
  }
  const cpuConstraints = SKU_CPU.map((k) => constraints.get(k)).filter((c): c is KeyConstraint => c !== undefined);
  const memConstraints = SKU_MEMORY.map((k) => constraints.get(k)).filter((c): c is KeyConstraint => c !== undefined);

  let vcpu = nextCommon(cpuConstraints, KARPENTER_MIN_VCPU);
  if (vcpu === undefined) {
    return {
      kind: "none",
      why: `${describeKeys(SKU_CPU, requirements)}: Karpenter for Azure launches only SKUs with at least ${KARPENTER_MIN_VCPU} vCPUs`,
    };
  }
  let vcpuBasis: SmallestInstance["vcpuBasis"] = vcpu > KARPENTER_MIN_VCPU ? "sku-cpu" : "karpenter-minimum";
  const named = vcpuFromNames(constraints, cpuConstraints);
  if (named !== undefined && "none" in named) return { kind: "none", why: named.none };
  if (named !== undefined && named.vcpu > vcpu) {
    vcpu = named.vcpu;
    vcpuBasis = "instance-names";
  }

  const memoryMiB = nextCommon(memConstraints, KARPENTER_MIN_MEMORY_MIB);
  if (memoryMiB === undefined) {
    return {
      kind: "none",
      why: `${describeKeys(SKU_MEMORY, requirements)}: Karpenter for Azure launches only SKUs with at least ${KARPENTER_MIN_MEMORY_MIB} MiB of memory`,
    };
  }
  const memoryBasis: SmallestInstance["memoryBasis"] =
    memoryMiB > KARPENTER_MIN_MEMORY_MIB ? "sku-memory" : "karpenter-minimum";

  const ct = constraints.get(CAPACITY_TYPE);
  const capacityTypes = (ENUMERATED[CAPACITY_TYPE] ?? []).filter(
    (v) => (ct?.in === undefined || ct.in.has(v)) && !(ct?.notIn.has(v) ?? false),
  );
  return { kind: "some", smallest: { vcpu, vcpuBasis, memoryMiB, memoryBasis }, capacityTypes };
}

/**
 * Smallest integer at or above `from` that every constraint allows: several keys describe the same
 * dimension (karpenter.azure.com/sku-cpu and kubernetes.azure.com/sku-cpu), so they must agree.
 */
function nextCommon(constraints: readonly KeyConstraint[], from: number): number | undefined {
  let n = from;
  // each round moves n up to some constraint's next allowed value; it stops when all agree. The
  // values that can stop a round are finitely many (listed In/NotIn values), so the cap is never hit
  // by valid input and only guards against pathological lists.
  for (let round = 0; round < 1000; round++) {
    const next = Math.max(n, ...constraints.map((c) => smallestNumber(c, n) ?? Infinity));
    if (!Number.isFinite(next)) return undefined;
    if (next === n) return n;
    n = next;
  }
  return undefined;
}
