import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite strips types only from .ts/.mts/.tsx/.jsx by default; the function entry files are .cts.
  oxc: { include: /\.(m?ts|cts|[jt]sx)$/ },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
