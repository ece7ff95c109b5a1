/**
 * Structured JSON logs (pino). Fields used across the operator: nodeclass, subnet, operation.
 * Redaction is a second line of defence: nothing in the operator should ever hand a token or an
 * Authorization header to the logger in the first place.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: "aks-subnet-health" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "authorization",
          "headers.authorization",
          "*.authorization",
          "*.headers.authorization",
          "token",
          "*.token",
          "accessToken",
          "*.accessToken",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
