// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test/bench/results/**"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": "off",
    },
  },
  {
    files: ["shared/**/*.ts", "shared/**/*.cts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@azure/functions", message: "shared/ must not depend on the Functions runtime" }],
        },
      ],
    },
  },
);
