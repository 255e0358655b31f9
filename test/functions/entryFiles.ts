/**
 * The entry files the Functions host loads: those package.json's `main` matches, and how the
 * worker's `loadScriptFile` loads each (`require` for CommonJS, `import()` for an ES module).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** package.json's `main` and `type`. */
export const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  main: string;
  type?: string;
};

/**
 * The files `main` matches; only the `<directory>/*<suffix>` form the app uses.
 * @throws Error when `main` has another form or its directory is not built.
 */
export function mainEntryFiles(): string[] {
  const pattern = basename(packageJson.main);
  if (!pattern.startsWith("*") || pattern.slice(1).includes("*"))
    throw new Error(`package.json main "${packageJson.main}": expected "<directory>/*<suffix>"`);
  const directory = join(root, dirname(packageJson.main));
  if (!existsSync(directory)) throw new Error(`${directory} is missing: run \`npm run build\` first`);
  return readdirSync(directory)
    .filter((name) => name.endsWith(pattern.slice(1)))
    .map((name) => join(directory, name));
}

/** As the worker decides: `.mjs` is ESM, `.cjs` CommonJS, else package.json's `type`. */
export function isESModule(file: string): boolean {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs")) return false;
  return packageJson.type === "module";
}
