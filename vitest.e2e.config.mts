// End-to-end tests: real processes (Postgres, sshd, the Pulumi engine) on this machine, long
// timeouts. Each file starts a sandbox of its own (its own folder, ports, compose project names and
// Pulumi backend), so files could run side by side (DELPHI_E2E_WORKERS=2); on two cores they do
// not gain: a restore keeps both cores busy (compose, sshd, Postgres, the engine), and two files
// at once took each about twice as long. One file at a time by default. The Docker engine is
// started once for the suite (./test/e2e/support/global-engine.ts), not once per file.
import { defineConfig } from "vitest/config";

const workers = Number(process.env.DELPHI_E2E_WORKERS ?? 1);

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
