/**
 * Fake identities for the simulator. The server trusts whatever `oid` the bearer token claims:
 * this is a test double for ARM, not a security boundary.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";

export interface SimTokenClaims {
  /** object ID of the caller; the simulator authorizes by this */
  oid: string;
  tid?: string;
  appid?: string;
}

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** A JWT-shaped, unsigned token carrying the claims. */
export function simToken(claims: SimTokenClaims): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const payload = {
    aud: "https://management.azure.com",
    iss: `https://sts.windows.net/${claims.tid ?? "00000000-0000-0000-0000-000000000000"}/`,
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + TOKEN_LIFETIME_MS / 1000,
    ...claims,
  };
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url(payload)}.sim`;
}

/** Reads the claims back; undefined when the token is not one of ours (or garbled). */
export function parseSimToken(token: string): SimTokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof payload !== "object" || payload === null) return undefined;
  const rec = payload as Record<string, unknown>;
  const oid = rec["oid"];
  if (typeof oid !== "string" || oid.length === 0) return undefined;
  const claims: SimTokenClaims = { oid };
  if (typeof rec["tid"] === "string") claims.tid = rec["tid"];
  if (typeof rec["appid"] === "string") claims.appid = rec["appid"];
  return claims;
}

/** A credential that hands out a simulator token for the given identity, whatever the scope. */
export class SimTokenCredential implements TokenCredential {
  readonly claims: SimTokenClaims;
  /** how many times getToken was called (tests check the bearer policy's behaviour) */
  tokenRequests = 0;

  constructor(claims: SimTokenClaims) {
    this.claims = { ...claims };
  }

  getToken(_scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.tokenRequests++;
    return Promise.resolve({
      token: simToken(this.claims),
      expiresOnTimestamp: Date.now() + TOKEN_LIFETIME_MS,
      tokenType: "Bearer",
    });
  }
}

/** A credential that always returns the same raw token (e.g. a garbled one, to provoke 401). */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + TOKEN_LIFETIME_MS, tokenType: "Bearer" }),
  };
}
