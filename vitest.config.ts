import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["compiler/**/*.test.ts", "engine-as/**/*.test.ts", "hosts/**/*.test.ts", "conformance/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
