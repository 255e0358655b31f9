#!/usr/bin/env node
// The CLI entry point: runs the compiled CLI that `npm ci` builds (see the `prepare` script).
import module from "node:module";

// Node 22.1+ caches compiled code between runs (start-up time); Node 20 has no such cache.
if (typeof module.enableCompileCache === "function") module.enableCompileCache();

const { main } = await import("../dist/shared/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
