/**
 * Builds what the Functions host loads (`npm run build`, after tsc): `dist/app/`, a copy of the app's
 * layout in which
 * - `functions/*.cjs` are the entry files, CommonJS as the worker `require`s them, each with its
 *   trigger settings inside and nothing else: registration stays as cheap as with tsc;
 * - `shared/app/*.js` are the core the handlers `import()` on their first invocation, bundled as
 *   ES modules with the SDKs inside and shared chunks between them (`shared/chunks/`), so that the
 *   first invocation reads a few files instead of resolving hundreds of modules.
 * The entry files' `import()`s of `shared/app/<name>.js` find the bundled core by the same relative
 * path as in tsc's output. `@azure/functions` stays outside (the entry files and the core share its
 * one instance, and the worker provides `@azure/functions-core` to it). Source maps sit beside each
 * file; Node uses them with `--enable-source-maps` (docs/functions.md). The CLI keeps running from
 * tsc's `dist/shared/`.
 *
 * Usage: `node esbuild.config.mjs` (from the package root).
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { build } from "esbuild";

const outdir = "dist/app";

/** Packages that are never bundled: provided by the worker, or holding state the entries share. */
const externalPackages = ["@azure/functions", "@azure/functions-core"];

/** The core modules the entry files `import()`; everything they reach is bundled into them. */
async function coreEntryPoints() {
  const entries = [];
  for (const name of await readdir("functions")) {
    if (!name.endsWith(".cts")) continue;
    const source = await readFile(`functions/${name}`, "utf8");
    for (const [, path] of source.matchAll(/import\("\.\.\/(shared\/app\/[\w-]+)\.js"\)/g))
      entries.push(`${path}.ts`);
  }
  return [...new Set(entries)].sort();
}

/** Keeps the entry files' `import()`s of the core as they are: the core is built separately. */
const coreStaysOutside = {
  name: "core-stays-outside",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/shared\/app\// }, (args) => ({ path: args.path, external: true }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  outdir,
  outbase: ".",
  sourcemap: true,
  // Error types are told apart by `.name`, so identifiers keep their names.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
};

/** Builds `dist/app/` afresh (chunk names change with their contents). */
async function buildApp() {
  await rm(outdir, { recursive: true, force: true });
  const entryFiles = (await readdir("functions"))
    .filter((name) => name.endsWith(".cts"))
    .map((name) => `functions/${name}`);
  await build({
    ...common,
    entryPoints: entryFiles,
    format: "cjs",
    outExtension: { ".js": ".cjs" },
    external: externalPackages,
    plugins: [coreStaysOutside],
  });
  await build({
    ...common,
    entryPoints: await coreEntryPoints(),
    format: "esm",
    splitting: true,
    chunkNames: "shared/chunks/[name]-[hash]",
    external: externalPackages,
    // The CommonJS SDKs inside an ES module still call `require` for Node's built-ins.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
  });
}

await buildApp();
