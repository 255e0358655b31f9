/**
 * The folder rules in .dependency-cruiser.cjs catch what they promise: a small tree of files, each breaking
 * one rule, is cruised with the project's configuration, and every rule must fire on its file (and none on
 * a file that keeps the rules). `npm run deps` then holds the real code to the same rules.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, runCommand } from "../package/pack.js";

/** Written from parts, so that this file holds no path out of the repository itself. */
const up = "../";

/** One file per rule: its path, its text, and the rule it breaks. */
const breaking: Array<{ file: string; text: string; rule: string }> = [
  { file: "shared/cycle/a.ts", text: 'import "./b.js";\n', rule: "no-circular" },
  { file: "functions/f.cts", text: `import "${up}shared/kube/k.js";\n`, rule: "functions-only-call-the-app" },
  {
    file: "shared/app/runtime.ts",
    text: 'import "@azure/functions";\n',
    rule: "shared-without-functions-runtime",
  },
  {
    file: "shared/app/tests.ts",
    text: `import "${up}${up}test/helper.js";\n`,
    rule: "nothing-imports-functions-or-tests",
  },
  { file: "shared/app/dev.ts", text: 'import "vitest";\n', rule: "no-dev-dependencies-in-shipped-code" },
  { file: "shared/app/undeclared.ts", text: 'import "@azure/core-auth";\n', rule: "no-undeclared-packages" },
  { file: "shared/drift/impure.ts", text: `import "${up}kube/k.js";\n`, rule: "checker-is-pure" },
  { file: "shared/gateway/sdk.ts", text: 'import "@azure/keyvault-secrets";\n', rule: "checker-is-pure" },
  { file: "shared/token/t.ts", text: `import "${up}errors.js";\n`, rule: "token-stands-alone" },
  { file: "shared/rotation/r.ts", text: 'import "zod";\n', rule: "rotation-without-adapters" },
  { file: "shared/config/c.ts", text: `import "${up}kube/k.js";\n`, rule: "config-without-adapters" },
  { file: "shared/kube/k.ts", text: `import "${up}cli/m.js";\n`, rule: "adapters-not-edges" },
  { file: "shared/app/e.ts", text: `import "${up}cli/m.js";\n`, rule: "edges-are-separate" },
  { file: "shared/cli/m.ts", text: `import "${up}app/h.js";\n`, rule: "cli-not-app" },
  {
    file: "shared/webhook/k8s.ts",
    text: 'import "@kubernetes/client-node";\n',
    rule: "kubernetes-sdk-in-kube",
  },
  { file: "shared/webhook/w.ts", text: 'import "@azure/identity";\n', rule: "azure-sdks-in-adapters" },
  { file: "shared/app/n.ts", text: 'import "./missing.js";\n', rule: "not-to-unresolvable" },
];

/** Files that keep every rule. */
const keeping: Record<string, string> = {
  "shared/cycle/b.ts": 'import "./a.js";\n',
  "shared/kube/fine.ts": `import "${up}token/t.js";\nimport "@kubernetes/client-node";\n`,
  "shared/app/h.ts": "export const h = 1;\n",
  "shared/errors.ts": "export const e = 1;\n",
  "test/helper.ts": "export const t = 1;\n",
};

let tree: string;
let violations: Array<{ from: string; rule: string }>;

beforeAll(async () => {
  tree = mkdtempSync(join(tmpdir(), "gateway-guard-deps-"));
  const files = { ...keeping, ...Object.fromEntries(breaking.map(({ file, text }) => [file, text])) };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    writeFileSync(join(tree, file), text);
  }
  for (const file of ["package.json", "tsconfig.json"]) copyFileSync(join(root, file), join(tree, file));
  symlinkSync(join(root, "node_modules"), join(tree, "node_modules"), "dir");
  const run = await runCommand(
    join(root, "node_modules", ".bin", "depcruise"),
    ["-c", join(root, ".dependency-cruiser.cjs"), "-T", "json", "shared", "functions"],
    { cwd: tree },
  );
  const result = JSON.parse(run.stdout) as {
    summary: { violations: Array<{ from: string; rule: { name: string } }> };
  };
  violations = result.summary.violations.map((violation) => ({
    from: violation.from,
    rule: violation.rule.name,
  }));
}, 120_000);

afterAll(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
});

describe(".dependency-cruiser.cjs", () => {
  it.each(breaking)("$rule fires on $file", ({ file, rule }) => {
    expect(violations).toContainEqual({ from: file, rule });
  });

  it("lets through a file that keeps the rules", () => {
    expect(violations.filter((violation) => violation.from === "shared/kube/fine.ts")).toEqual([]);
  });
});
