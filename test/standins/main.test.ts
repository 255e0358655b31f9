/**
 * `npm run standins` stops cleanly: on SIGHUP (the terminal went away), and when the process that
 * started it disappears without passing a signal on (npm killed, its shell gone). "Cleanly" means the
 * process exits, Azurite is down and `.standins/env.sh` is removed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const mainPath = join(import.meta.dirname, "main.ts");
const tsx = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "tsx");
const directories: string[] = [];
const pids: number[] = [];

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGTERM"); // a failed test must not leave the stand-ins running
    } catch {
      // already stopped
    }
  }
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

interface Started {
  starter: ChildProcess;
  directory: string;
  /** The stand-ins' own pid, from their banner. */
  pid: number;
  queuePort: number;
  /** Everything written to stdout, complete once every process holding the pipe has exited. */
  output: Promise<string>;
}

/** Starts main.ts with tsx under a shell that stays their parent (as npm's shell does); waits for the banner. */
async function start(): Promise<Started> {
  const directory = mkdtempSync(join(tmpdir(), "gateway-guard-standins-"));
  directories.push(directory);
  const starter = spawn("sh", ["-c", `"${tsx}" "${mainPath}"; echo "main exited"`], {
    cwd: directory,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let text = "";
  const output = new Promise<string>((resolve) => starter.stdout!.on("end", () => resolve(text)));
  const banner = await new Promise<string>((resolve, reject) => {
    starter.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes("Wrote ")) resolve(text);
    });
    starter.stdout!.on("end", () => reject(new Error(`the stand-ins did not start:\n${text}`)));
  });
  const pid = Number(/\(pid (\d+);/.exec(banner)?.[1]);
  pids.push(pid);
  const queuePort = Number(/Azurite +http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
  expect(existsSync(join(directory, ".standins", "env.sh"))).toBe(true);
  return { starter, directory, pid, queuePort, output };
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(true));
  });
}

describe("npm run standins (test/standins/main.ts)", () => {
  it("stops cleanly on SIGHUP: Azurite down, env.sh removed", async () => {
    const run = await start();
    process.kill(run.pid, "SIGHUP");
    const output = await run.output;
    expect(output).toContain("Stopping the stand-ins (SIGHUP)");
    expect(output).toContain("Stopped.");
    expect(existsSync(join(run.directory, ".standins", "env.sh"))).toBe(false);
    expect(await refuses(run.queuePort)).toBe(true);
  }, 90_000);

  it("stops cleanly when the process that started it is killed without passing a signal on", async () => {
    const run = await start();
    run.starter.kill("SIGKILL");
    const output = await run.output;
    expect(output).toMatch(/Stopping the stand-ins \(process \d+, which started the stand-ins, is gone\)/);
    expect(output).toContain("Stopped.");
    expect(existsSync(join(run.directory, ".standins", "env.sh"))).toBe(false);
    expect(await refuses(run.queuePort)).toBe(true);
  }, 90_000);
});
