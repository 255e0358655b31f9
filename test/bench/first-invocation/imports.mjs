/**
 * The floor of a first invocation: a fresh process that loads only the libraries a function uses,
 * as the app loads them (`require` for `@azure/functions`, as the worker loads the entry files;
 * `import()` for the SDKs, as the ES-module core does), then prints `{"cpuInMs":…}` and exits.
 * Usage: node imports.mjs <module>...
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
for (const name of process.argv.slice(2)) {
  if (name === "@azure/functions") require(name);
  else await import(name);
}
const { user, system } = process.cpuUsage();
process.stdout.write(JSON.stringify({ cpuInMs: (user + system) / 1000 }));
process.exit(0);
