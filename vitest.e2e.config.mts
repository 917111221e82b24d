// End-to-end tests: real processes (Postgres, sshd, the Pulumi engine) on this machine. One file
// at a time, since they share ports, the sandbox and the engine's state; long timeouts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    reporters: ["verbose"],
  },
});
