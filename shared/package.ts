/**
 * Where the installed package lives and what its package.json says, found from this module's location
 * (the source runs from `shared/`, the compiled code from `dist/shared/`).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The fields of package.json the CLI and the app use. */
export interface PackageInfo {
  root: string;
  name: string;
  version: string;
  homepage?: string;
}

let cached: PackageInfo | undefined;

/**
 * Finds the nearest package.json named `gateway-guard` above this module.
 * @throws Error when there is none (a broken install)
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(directory, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as {
        name?: string;
        version?: string;
        homepage?: string;
      };
      if (json.name === "gateway-guard") {
        cached = {
          root: directory,
          name: json.name,
          version: json.version ?? "0.0.0",
          homepage: json.homepage,
        };
        return cached;
      }
    }
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error("cannot find gateway-guard's package.json; the installation looks broken");
    directory = parent;
  }
}

/** The manifest `gateway-guard check` reads when given no path: the YAML the Azure portal generates. */
export function bundledExamplePath(): string {
  return join(packageInfo().root, "shared", "drift", "examples", "portal-generated-v2.yaml");
}
