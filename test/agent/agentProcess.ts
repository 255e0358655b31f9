/**
 * `gateway-guard agent` as its own process, for tests that must kill it: the command module with
 * the real process's streams, signals and environment (so the real adapters and
 * `DefaultAzureCredential`). Run with `node --import tsx test/agent/agentProcess.ts <args>`.
 */
import { run } from "../../shared/cli/commands/agent.js";
import { processIO } from "../../shared/cli/io.js";

process.exitCode = await run(process.argv.slice(2), processIO());
