// Unit tests: pure functions and the program under pulumi.runtime.setMocks; no processes, no network.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
  },
});
