/**
 * Starts and stops Azurite (blob, queue and table) for tests and the local stand-ins: in memory,
 * loopback only, with ports chosen by the system; with `--inMemoryPersistence` and no `--location` it
 * writes no files. Azurite is told to listen on port 0 and prints the
 * port it got ("... successfully listening at http://127.0.0.1:<port>"), so there is no window in
 * which another process could take a port picked in advance; start-up waits for those lines.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const azuriteAccount = {
  name: "devstoreaccount1",
  key: "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
} as const;

export interface StartAzuriteOptions {
  /** How long to wait for the three services to listen; default 20 s. */
  timeoutInMs?: number;
  /** Cap of Azurite's in-memory store; default 256 MB. */
  memoryLimitInMb?: number;
}

/** A running Azurite. */
export interface RunningAzurite {
  /** Connection string for the storage SDKs and `AzureWebJobsStorage`. */
  connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  /** Stops Azurite and waits for it to exit. */
  stop(): Promise<void>;
}

const services = ["Blob", "Queue", "Table"] as const;

/**
 * Spawns Azurite from `node_modules` and resolves once blob, queue and table accept connections.
 * @param options - start-up timeout and memory cap.
 * @throws when Azurite exits or does not listen in time (its output is in the message).
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  const timeoutInMs = options.timeoutInMs ?? 20_000;
  const script = join(
    dirname(createRequire(import.meta.url).resolve("azurite/package.json")),
    "dist/src/azurite.js",
  );
  const child = spawn(
    process.execPath,
    [
      script,
      "--blobHost", "127.0.0.1", "--blobPort", "0",
      "--queueHost", "127.0.0.1", "--queuePort", "0",
      "--tableHost", "127.0.0.1", "--tablePort", "0",
      "--skipApiVersionCheck", "--inMemoryPersistence", "--silent", "--disableTelemetry",
      "--extentMemoryLimit", String(options.memoryLimitInMb ?? 256),
    ], // prettier-ignore
    { stdio: ["ignore", "pipe", "pipe"] },
  );

  let ports: Record<(typeof services)[number], number>;
  try {
    ports = await waitForPorts(child, timeoutInMs);
  } catch (error) {
    await kill(child);
    throw error;
  }
  const url = (port: number) => `http://127.0.0.1:${port}/${azuriteAccount.name}`;
  const blobUrl = url(ports.Blob);
  const queueUrl = url(ports.Queue);
  const tableUrl = url(ports.Table);
  return {
    connectionString: [
      "DefaultEndpointsProtocol=http",
      `AccountName=${azuriteAccount.name}`,
      `AccountKey=${azuriteAccount.key}`,
      `BlobEndpoint=${blobUrl}`,
      `QueueEndpoint=${queueUrl}`,
      `TableEndpoint=${tableUrl}`,
    ].join(";"),
    blobUrl,
    queueUrl,
    tableUrl,
    stop: () => kill(child),
  };
}

function waitForPorts(
  child: ChildProcess,
  timeoutInMs: number,
): Promise<Record<(typeof services)[number], number>> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<(typeof services)[number], number>> = {};
    let output = "";
    const timer = setTimeout(
      () => finish(new Error(`Azurite did not start within ${timeoutInMs} ms. Output:\n${output}`)),
      timeoutInMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at \S+:(\d+)/g,
      )) {
        found[match[1] as (typeof services)[number]] = Number(match[2]);
      }
      if (services.every((s) => found[s])) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`Azurite exited (code ${code}) while starting:\n${output}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", finish);
      // Keep draining the pipes so that Azurite never blocks on a full buffer.
      child.stdout?.resume();
      child.stderr?.resume();
      if (error) reject(error);
      else resolve(found as Record<(typeof services)[number], number>);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", finish);
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
