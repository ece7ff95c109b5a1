import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "src/**/*.test.ts",
            "test/unit/**/*.test.ts",
            "test/sim/**/*.test.ts",
            "test/observability/**/*.test.ts",
            "test/azure/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // one shared control plane; files run in parallel workers against it, isolated by names
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
