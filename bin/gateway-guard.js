#!/usr/bin/env node
// The `gateway-guard` command: runs the compiled CLI in dist/, which the package carries once installed
// (built on pack) and which `npm run build` makes in a checkout.
import { existsSync } from "node:fs";
import module from "node:module";

// Node 22.1+ caches compiled code between runs (start-up time); Node 20 has no such cache.
if (typeof module.enableCompileCache === "function") module.enableCompileCache();

const entry = new URL("../dist/shared/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "gateway-guard: the compiled CLI (dist/) is missing; in a checkout, run `npm run build`.\n",
  );
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
