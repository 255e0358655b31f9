/**
 * The Functions app's start-up cost (issue 4, "Start-up cost"): loading every entry file that
 * package.json's `main` matches (which registers the six functions) against a bare
 * `require("@azure/functions")`, each in a fresh Node process, timed inside the process. Target: at
 * most 1.3×. As in the worker, `@azure/functions-core` is provided (a minimal fake), so registration
 * takes its real path, and each file is loaded the way the worker's `loadScriptFile` does: `require`
 * for CommonJS (`.cjs`, or `.js` without `"type": "module"`), `import()` for an ES module.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isESModule, mainEntryFiles, packageJson } from "../functions/entryFiles.js";
import { type Benchmark, median } from "./benchmark.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

const prelude = `
  const { createRequire } = await import("node:module");
  const require = createRequire(${JSON.stringify(join(root, "package.json"))});
  const Module = require("node:module");
  const original = Module.prototype.require;
  const core = { setProgrammingModel() {}, registerHook() { return { dispose() {} }; }, log() {},
    registerFunction() { return { dispose() {} }; } };
  Module.prototype.require = function (id) { return id === "@azure/functions-core" ? core : original.call(this, id); };
  const { performance } = await import("node:perf_hooks");
`;

function loadTime(body: string): number {
  const script = `${prelude}\nconst start = performance.now();\n${body}\nprocess.stdout.write(String(performance.now() - start));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`load-time probe failed:\n${child.stderr}`);
  return Number(child.stdout);
}

const startupBench: Benchmark = {
  name: "functions-startup",
  description: "registering the Functions app vs a bare require('@azure/functions') (fresh process each)",
  async run() {
    const files = mainEntryFiles();
    const appBody = files
      .map((file) =>
        isESModule(file)
          ? `await import(${JSON.stringify(pathToFileURL(file).href)});`
          : `require(${JSON.stringify(file)});`,
      )
      .join("\n");
    const bareBody = `require("@azure/functions");`;
    const entry = join(mkdtempSync(join(tmpdir(), "gateway-guard-bench-")), "entry.mjs");
    writeFileSync(
      entry,
      `import { createRequire } from "node:module";\ncreateRequire(${JSON.stringify(join(root, "package.json"))})("@azure/functions");\n`,
    );
    const entryBody = `await import(${JSON.stringify(entry)});`;
    const runs = 21;
    const bare: number[] = [];
    const esm: number[] = [];
    const app: number[] = [];
    for (const body of [bareBody, entryBody, appBody]) loadTime(body);
    for (let i = 0; i < runs; i++) {
      bare.push(loadTime(bareBody));
      esm.push(loadTime(entryBody));
      app.push(loadTime(appBody));
    }
    const ratio = median(app) / median(bare);
    const esmRatio = median(app) / median(esm);
    return [
      { label: "functions registered (files)", value: files.length, unit: "count" },
      { label: "bare require('@azure/functions'), median", value: median(bare), unit: "ms" },
      { label: "one ESM file requiring it (any ESM app's floor), median", value: median(esm), unit: "ms" },
      { label: `load ${packageJson.main} like the worker, median`, value: median(app), unit: "ms" },
      { label: "app / bare require", value: ratio, unit: "×", target: "≤ 1.3×", within: ratio <= 1.3 },
      { label: "app / one ESM file", value: esmRatio, unit: "×" },
    ];
  },
};

export const benchmarks: Benchmark[] = [startupBench];
