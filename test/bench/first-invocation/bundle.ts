/**
 * Bundles the compiled Functions app with esbuild into one CommonJS file that registers every
 * function, with every dependency inside (only `@azure/functions-core`, which the worker provides,
 * stays outside), in a directory laid out as a deployment would be: `package.json` at the top (the
 * app reads its version from it), the bundle in `functions/app.cjs`. One file for the app rather
 * than one per function: the worker loads every entry file at start, and each per-function bundle
 * would hold nearly the whole app (the handlers' lazy `import()`s reach the same core). The real
 * build (esbuild.config.mjs) bundles differently: the entry files stay small and only the core is bundled.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** The entry files tsc compiles (`npm run build` writes them beside the app that `main` names). */
export async function compiledEntryFiles(): Promise<string[]> {
  const compiled = join(root, "dist", "functions");
  return (await readdir(compiled))
    .filter((name) => name.endsWith(".cjs"))
    .map((name) => join(compiled, name));
}

/**
 * Builds the bundle.
 * @param directory - an empty directory to build into.
 * @returns the bundle's path.
 */
export async function bundleApp(directory: string): Promise<string> {
  const outfile = join(directory, "functions", "app.cjs");
  await build({
    stdin: {
      contents: (await compiledEntryFiles()).map((file) => `require(${JSON.stringify(file)});`).join("\n"),
      resolveDir: root,
      loader: "js",
    },
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["@azure/functions-core"],
    // Error types are told apart by `.name`, so identifiers keep their names.
    minifyWhitespace: true,
    minifySyntax: true,
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "error",
  });
  const { name, version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
  await writeFile(
    join(directory, "package.json"),
    JSON.stringify({ name, version, main: "functions/app.cjs" }),
  );
  return outfile;
}
