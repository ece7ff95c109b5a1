/**
 * Pure checks of configuration values that zod has no type for: CIDRs and IPs (the same parser the network
 * plan uses, so what is accepted here is exactly what is compared later), Kubernetes label selectors and
 * object names. Each returns undefined when the value is fine, else a problem that names it.
 *
 * The label-selector grammar is written here because @kubernetes/client-node has no parser and the API
 * server's own answer comes too late (a LIST retried forever, the pod never ready).
 */
import { parseCidr, parseIp } from "../health/cidr.js";

const show = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 79)}…` : v);

export function cidrProblem(value: string): string | undefined {
  if (parseCidr(value) !== undefined) return undefined;
  const slash = value.indexOf("/");
  if (slash > 0 && parseIp(value.slice(0, slash)) !== undefined) {
    return `${show(value)} has an invalid prefix length (IPv4 0-32, IPv6 0-128)`;
  }
  return `${show(value)} is not a CIDR (e.g. 10.244.0.0/16 or fd00::/64)`;
}

export function ipProblem(value: string): string | undefined {
  return parseIp(value) !== undefined ? undefined : `${show(value)} is not an IP address (e.g. 10.0.0.10)`;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key prefix ${show(prefix)} is not a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key ${show(key)} is not valid (at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `label value ${show(value)} is not valid (at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

/** Splits at commas outside parentheses. */
function requirements(selector: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth < 0) return undefined;
    } else if (ch === "," && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  out.push(selector.slice(start));
  return out.map((s) => s.trim());
}

/** A Kubernetes label selector: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, comma-joined. */
export function labelSelectorProblem(selector: string): string | undefined {
  const reqs = requirements(selector);
  if (!reqs) return `${show(selector)} has unbalanced parentheses`;
  for (const req of reqs) {
    if (req === "") return `${show(selector)} has an empty requirement (stray ',')`;
    let m: RegExpExecArray | null;
    let problem: string | undefined;
    if ((m = /^!\s*([^\s=!(),]+)$/.exec(req))) problem = labelKeyProblem(m[1] ?? "");
    else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(req))) {
      problem = labelKeyProblem(m[1] ?? "") ?? labelValueProblem(m[3] ?? "");
    } else if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req))) {
      problem = labelKeyProblem(m[1] ?? "");
      for (const v of (m[3] ?? "").split(",").map((s) => s.trim())) problem ??= labelValueProblem(v);
    } else if ((m = /^([^\s=!(),]+)$/.exec(req))) problem = labelKeyProblem(m[1] ?? "");
    else problem = `requirement ${show(req)} is not key, !key, key=value, key!=value, key in (…) or key notin (…)`;
    if (problem) return problem;
  }
  return undefined;
}

export function dnsLabelProblem(value: string): string | undefined {
  return value.length <= 63 && DNS_LABEL.test(value)
    ? undefined
    : `${show(value)} is not a valid name (lower-case letters, digits and '-', at most 63)`;
}

export function dnsSubdomainProblem(value: string): string | undefined {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value)
    ? undefined
    : `${show(value)} is not a valid name (lower-case letters, digits, '-' and '.', at most 253)`;
}
