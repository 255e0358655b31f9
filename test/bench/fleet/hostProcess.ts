/**
 * Starts Functions instances (host.ts) in child processes, has one of them run the timer's fan-out,
 * lets all of them drain the queue, and gathers their reports. Children of their own, so that
 * their memory is the app's and not the stand-ins', and so that they load the SDKs cold, as fresh
 * instances do. A child dies with its parent (it exits when its IPC channel closes) and is killed
 * when a run fails or is stopped ({@link stopHosts}).
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { HostCommand, HostJob, HostMessage, HostReport } from "./host.js";

const hostScript = fileURLToPath(new URL("./host.ts", import.meta.url));
const interop = fileURLToPath(new URL("./functionsInterop.mjs", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Children still running, killed by {@link stopHosts}. */
const running = new Set<ChildProcess>();

/** What {@link runHosts} measured over all instances. */
export interface HostsReport {
  /** One report per instance; the first one ran the fan-out. */
  instances: HostReport[];
  /** The timer's invocation alone. */
  fanOutInMs: number;
  /** From the timer's invocation to the last instance finding the queue empty. */
  wallTimeInMs: number;
}

/**
 * Runs one job on `instances` fresh host processes: all load the app, the first fans out, then all
 * drain the queue until it is empty.
 * @param job - queue, configuration, concurrency per instance.
 * @param env - added to the children's environment (the fleet's `env`: CA, `*.localhost` lookup).
 * @param instances - how many instances. Default 1.
 * @returns every instance's report, the fan-out time and the whole run's wall time.
 * @throws when a host fails or exits without a report (its stderr in the message); every host is then killed.
 */
export async function runHosts(
  job: HostJob,
  env: Record<string, string>,
  instances = 1,
): Promise<HostsReport> {
  const hosts = Array.from({ length: instances }, () => startHost(job, env));
  try {
    await Promise.all(hosts.map((host) => host.next("ready")));
    const start = performance.timeOrigin + performance.now();
    hosts[0]!.send("fanOut");
    const { fanOutInMs } = (await hosts[0]!.next("fannedOut")) as { fanOutInMs: number };
    for (const host of hosts) host.send("drain");
    const reports = await Promise.all(hosts.map(async (host) => (await host.next("report")) as HostReport));
    const end = Math.max(...reports.map((report) => report.drainEndedAtEpochInMs));
    return { instances: reports, fanOutInMs, wallTimeInMs: end - start };
  } finally {
    for (const host of hosts) host.kill();
  }
}

/** Kills every host process still running (for a test's `afterAll` after a timeout). */
export function stopHosts(): void {
  for (const child of running) child.kill();
  running.clear();
}

interface Host {
  send(command: HostCommand): void;
  /** The child's next message, which must carry `key`. */
  next(key: "ready" | "fannedOut" | "report"): Promise<unknown>;
  kill(): void;
}

/**
 * Forks a host process (its stderr piped), waiting for its job.
 * @param env - added to the child's environment.
 * @returns the child, also killed by {@link stopHosts} until it exits.
 */
export function forkHost(env: Record<string, string>): ChildProcess {
  const child = fork(hostScript, [], {
    cwd: root,
    execArgv: ["--import", "tsx", "--import", interop, "--expose-gc"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

function startHost(job: HostJob, env: Record<string, string>): Host {
  const child = forkHost(env);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const inbox: HostMessage[] = [];
  let waiting: { key: string; resolve(value: unknown): void; reject(error: Error): void } | undefined;
  let exited: Error | undefined;
  const deliver = () => {
    if (!waiting) return;
    const message = inbox.shift();
    if (message === undefined) {
      if (exited) waiting.reject(exited);
      return;
    }
    const { key, resolve, reject } = waiting;
    waiting = undefined;
    if ("error" in message) reject(new Error(`the fleet host failed: ${message.error}\n${stderr}`));
    else if (!(key in message))
      reject(new Error(`the fleet host said ${JSON.stringify(message)}, expected ${key}`));
    else resolve(key === "report" ? (message as { report: HostReport }).report : message);
  };
  child.on("message", (message: HostMessage) => {
    inbox.push(message);
    deliver();
  });
  child.once("exit", (code) => {
    exited = new Error(`the fleet host exited (${code}) without a report:\n${stderr}`);
    deliver();
  });
  child.send(job);
  return {
    send: (command) => child.send(command),
    next: (key) =>
      new Promise((resolve, reject) => {
        waiting = { key, resolve, reject };
        deliver();
      }),
    kill: () => {
      running.delete(child);
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
