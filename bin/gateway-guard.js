#!/usr/bin/env node
// The CLI entry point: runs the compiled CLI that `npm ci` builds (see the `prepare` script).
import { main } from "../dist/shared/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
