import { startFleet } from "../test/standins/fleet.ts";
import { composeAdapters } from "../shared/compose/adapters.ts";
import * as status from "../shared/cli/commands/status.ts";
import * as rotate from "../shared/cli/commands/rotate.ts";
import { checkConfigured } from "../shared/cli/liveCheck.ts";
import { formatResult } from "../shared/drift/format/index.ts";
import { rules } from "../shared/drift/rules/index.ts";
const fleet = await startFleet({ rolloutStepInMs: 20 });
const connect = async (config) => composeAdapters(config, { credential: fleet.credential, clientOptions: fleet.clientOptions, pollIntervalInMs: 50 });
const io = { stdout: process.stdout, stderr: process.stderr, stdin: "", env: {}, isTTY: false, cwd: process.cwd() };
try {
console.log("rc", await status.runWith(["--config", fleet.configPath], io, connect));
console.log("rc", await rotate.runWith(["--all", "--config", fleet.configPath, "--dry-run"], io, connect));
console.log("rc", await rotate.runWith(["--all", "--config", fleet.configPath], io, connect));
console.log("rc", await status.runWith(["--config", fleet.configPath], io, connect));
const result = await checkConfigured(io, { config: fleet.configPath, names: [] }, connect);
process.stdout.write(formatResult("table", result, { color: false, rules, toolVersion: "x", informationUri: "x", baseDirectory: "." }));
} finally { await fleet.stop(); }
