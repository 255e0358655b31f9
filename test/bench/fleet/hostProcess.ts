/**
 * Starts a Functions instance (host.ts) in a child process and waits for its report. A child of
 * its own, so that its memory is the app's and not the stand-ins', and so that it loads the SDKs
 * cold, as a fresh instance does.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HostJob, HostReport } from "./host.js";

const hostScript = fileURLToPath(new URL("./host.ts", import.meta.url));
const interop = fileURLToPath(new URL("./functionsInterop.mjs", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Runs one job in a fresh host process.
 * @param job - queue, configuration, concurrency.
 * @param env - added to the child's environment (the fleet's `env`: CA, `*.localhost` lookup).
 * @returns the host's report.
 * @throws when the host fails or exits without a report (its stderr in the message).
 */
export function runHost(job: HostJob, env: Record<string, string>): Promise<HostReport> {
  return new Promise((resolve, reject) => {
    const child = fork(hostScript, [], {
      cwd: root,
      execArgv: ["--import", "tsx", "--import", interop, "--expose-gc"],
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    let stderr = "";
    let settled = false;
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once("message", (message: { report?: HostReport; error?: string }) => {
      settled = true;
      if (message.report) resolve(message.report);
      else reject(new Error(`the fleet host failed: ${message.error}\n${stderr}`));
    });
    child.once("exit", (code) => {
      if (!settled) reject(new Error(`the fleet host exited (${code}) without a report:\n${stderr}`));
    });
    child.send(job);
  });
}
