/**
 * A TokenCredential that reads a bearer token from a file on every request. For the ARM simulator
 * and tests (whose tokens are not Entra tokens); production uses DefaultAzureCredential.
 *
 * The token is handed out as about to expire, so the SDK's bearer policy asks again for every request
 * (a local file read): a rotated or repaired file takes effect on the next request, never after a cached
 * token's lifetime. A missing, unreadable or empty file is an authentication failure
 * (CredentialUnavailableError, classified `auth`), not "ARM unreachable".
 */
import { readFile } from "node:fs/promises";
import type { AccessToken, TokenCredential } from "@azure/core-auth";

/** Same name as @azure/identity's error, which errors.ts classifies as an authentication failure. */
export class CredentialUnavailableError extends Error {
  override readonly name = "CredentialUnavailableError";
}

export class FileTokenCredential implements TokenCredential {
  constructor(private readonly file: string) {}

  async getToken(): Promise<AccessToken> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : String(err);
      const why = code === "ENOENT" ? "is missing" : code === "EACCES" ? "is not readable" : `cannot be read (${code})`;
      throw new CredentialUnavailableError(`token file ${this.file} ${why}; fix the file or --azure-token-file`);
    }
    const token = text.trim();
    if (!token) throw new CredentialUnavailableError(`token file ${this.file} is empty`);
    return { token, expiresOnTimestamp: Date.now() + 1_000 };
  }
}
