// End-to-end tests: real processes (Postgres, sshd, the Pulumi engine) on this machine, long
// timeouts. Each file starts a sandbox of its own (its own folder, ports, compose project names and
// Pulumi backend), so files run side by side, two at a time by default (DELPHI_E2E_WORKERS): most
// of a restore's wall time is waiting on sshd, compose and Postgres, not the CPU. The Docker
// engine they share is started once for the suite (./test/e2e/support/global-engine.ts).
import { defineConfig } from "vitest/config";

const workers = Number(process.env.DELPHI_E2E_WORKERS ?? 2);

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/support/global-engine.ts"],
    fileParallelism: workers > 1,
    maxWorkers: workers,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    reporters: ["verbose"],
  },
});
