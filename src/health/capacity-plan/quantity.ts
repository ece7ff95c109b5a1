/**
 * Kubernetes resource quantities ("1000", "500m", "64Gi", "1.5G", "1e3") as numbers.
 *
 * Written here because @kubernetes/client-node's quantityToScalar throws on decimals with a decimal
 * suffix ("1.5G" goes through BigInt) and on exponents, both of which the NodePool CRD accepts. The
 * grammar is the CRD's own pattern for spec.limits values; numbers are doubles, exact for every limit
 * a NodePool can sensibly carry (counts, cores, bytes below 2^53).
 */

/** spec.limits pattern of the NodePool CRD (karpenter.sh/v1), anchored. */
const QUANTITY =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)))?$/;

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity, or undefined when the text is not one. Integers pass through. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  const m = QUANTITY.exec(value.trim());
  if (m === null) return undefined;
  const base = Number(m[1]);
  const suffix = m[2];
  if (suffix === undefined) return base;
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor !== undefined) return base * factor;
  // decimal exponent: "1e3", "2.5E-1"
  const result = Number(`${m[1]}${suffix}`);
  return Number.isFinite(result) ? result : undefined;
}
