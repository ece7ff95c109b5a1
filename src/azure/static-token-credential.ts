/**
 * A TokenCredential that reads a bearer token from a file on every request. For the ARM simulator
 * and tests (whose tokens are not Entra tokens); production uses DefaultAzureCredential.
 * Re-reading lets a rotated file take effect without a restart.
 */
import { readFile } from "node:fs/promises";
import type { AccessToken, TokenCredential } from "@azure/core-auth";

export class FileTokenCredential implements TokenCredential {
  constructor(private readonly file: string) {}

  async getToken(): Promise<AccessToken> {
    const token = (await readFile(this.file, "utf8")).trim();
    if (!token) throw new Error(`token file ${this.file} is empty`);
    // refreshed well before this: the file is re-read whenever the SDK asks again
    return { token, expiresOnTimestamp: Date.now() + 5 * 60_000 };
  }
}
