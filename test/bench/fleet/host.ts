/**
 * One Functions instance, as a child process of the fleet benchmark: the app's entry files
 * registered as the worker loads them, the real services and adapters (a fake Azure credential and
 * the stand-ins' CA being the only changes), the timer's fan-out onto the Azurite queue, and the
 * queue worker driven by the host model's queue listener (test/functions/hostDriver.ts), which takes
 * batches as host.json's `batchSize` and `newBatchThreshold` say. Waits for the
 * parent's word to fan out (one instance of a run does) and to drain the queue; reports timings,
 * outcomes and memory to the parent over IPC. Run by {@link runHosts} in hostProcess.ts.
 */
import { readFileSync } from "node:fs";
import type { InvocationContext } from "@azure/functions";
import { performance } from "node:perf_hooks";
import { composeAdapters } from "../../../shared/compose/adapters.js";
import { rolloutSlotsOf } from "../../../shared/compose/realAdapters.js";
import { createAppServices, useAppServices } from "../../../shared/app/services.js";
import { readAppSettings } from "../../../shared/config/appSettings.js";
import { staticTokenCredential } from "../../standins/http.js";
import { lookupLocalhost } from "../../standins/localhostLookup.js";
import { registrations, type Registration } from "../../functions/fakeCore.js";
import { captureContext } from "../../functions/helpers.js";
import { hostJsonQueueSettings, loadFunctions, QueueHost } from "../../functions/hostDriver.js";

/** What the parent asks of a host process. */
export interface HostJob {
  /** Azurite's connection string (`AzureWebJobsStorage`). */
  connectionString: string;
  /** The configuration file (`GATEWAY_GUARD_CONFIG_FILE`). */
  configFile: string;
  /** Further app settings (`ROTATION_SPREAD_IN_MINUTES`, `ROTATION_ROLLOUTS_PER_CLUSTER`, ...). */
  appSettings: Record<string, string>;
  /** The CA the stand-ins' certificates chain to. */
  caPath: string;
  /** Messages received at once; default host.json's. */
  batchSize?: number;
  /** The most messages running when the next batch is received; default host.json's. */
  newBatchThreshold?: number;
  /** How long a failed message stays invisible (host.json says 8 minutes; a run cannot wait that long). */
  visibilityTimeoutInSeconds: number;
}

/** One worker invocation. */
export interface HostInvocation {
  gateway: string;
  /** `rotated`, `fresh`, ... from `rotation.completed`; `retry` when it threw; `rejected`. */
  status: string;
  /** `performance.timeOrigin` based, so comparable across instances. */
  startedAtInMs: number;
  durationInMs: number;
  /** Why it threw (error messages never hold a token). */
  error?: string;
}

/** What the parent tells an instance, after the job: run the timer's fan-out (one instance does), or drain the queue. */
export type HostCommand = "fanOut" | "drain";

/** What an instance tells its parent: it is ready, it has fanned out, or its report or error. */
export type HostMessage =
  { ready: true } | { fannedOut: true; fanOutInMs: number } | { report: HostReport } | { error: string };

/** What the host process reports. */
export interface HostReport {
  /** The listener's settings: messages received at once, and the most running when it receives more. */
  batchSize: number;
  newBatchThreshold: number;
  /** The most messages that ran at once. */
  mostInFlight: number;
  /** When it started draining and when it found the queue empty (`performance.timeOrigin` based, so comparable across processes). */
  drainStartedAtEpochInMs: number;
  drainEndedAtEpochInMs: number;
  invocations: HostInvocation[];
  /** CPU time (user and system) the instance used from the timer's invocation (or the start of draining) to an empty queue. */
  cpuInMs: number;
  /** Messages left on the poison queue. */
  poisoned: number;
  peakRssInBytes: number;
  peakHeapUsedInBytes: number;
  /** Heap after a garbage collection, once a quarter of the messages were processed (all code loaded and warm). */
  heapAtQuarterInBytes: number;
  /** Heap after a garbage collection, at the end. */
  heapAtEndInBytes: number;
}

const idlePollInMs = 100;

/** Loads the app like a fresh instance, then fans out and drains when the parent says so. */
async function serve(job: HostJob, commands: AsyncIterator<HostCommand>): Promise<HostReport> {
  const memory = watchMemory();
  const handlers = await loadFunctions();
  // As test/standins/fleet.ts does: trust the stand-ins' CA and resolve the vault's `*.localhost` name.
  const tlsOptions = { ca: readFileSync(job.caPath, "utf8"), lookup: lookupLocalhost };
  const services = await createAppServices({
    settings: readAppSettings({
      ...job.appSettings,
      AzureWebJobsStorage: job.connectionString,
      GATEWAY_GUARD_CONFIG_FILE: job.configFile,
    }),
    adapters: async (config, settings) =>
      composeAdapters(config, {
        credential: staticTokenCredential(),
        clientOptions: { tlsOptions },
        rolloutSlots: rolloutSlotsOf(settings),
      }),
  });
  useAppServices(services);
  const invocations: HostInvocation[] = [];
  let heapAtQuarterInBytes = 0;
  let quarter = Infinity;
  const timed = registrations.map((registration): Registration =>
    registration.name !== "rotationWorker"
      ? registration
      : {
          ...registration,
          callback: async (payload, context) => {
            const start = performance.now();
            const record: HostInvocation = {
              gateway: String((payload as { gateway?: unknown }).gateway),
              status: "retry",
              startedAtInMs: epochNow(),
              durationInMs: 0,
            };
            const lines: string[] = [];
            const listened = Object.assign(Object.create(context as object) as InvocationContext, {
              info: (...args: unknown[]) => {
                lines.push(args.map(String).join(" "));
                (context as InvocationContext).info(...args);
              },
            });
            try {
              const result = await registration.callback(payload, listened);
              record.status = completedStatus(lines) ?? "rejected";
              return result;
            } catch (error) {
              record.error = error instanceof Error ? error.message : String(error);
              throw error;
            } finally {
              record.durationInMs = performance.now() - start;
              invocations.push(record);
              if (invocations.length === quarter) heapAtQuarterInBytes = collectedHeap();
            }
          },
        },
  );
  const settings = hostJsonQueueSettings();
  const host = new QueueHost(
    job.connectionString,
    timed,
    {
      ...settings,
      batchSize: job.batchSize ?? settings.batchSize,
      newBatchThreshold: job.newBatchThreshold ?? settings.newBatchThreshold,
      visibilityTimeoutInSeconds: job.visibilityTimeoutInSeconds,
    },
    false,
  );
  const queueName = triggerQueue(timed, "rotationWorker");

  quarter = Math.ceil((await services.config()).gateways.length / 4);
  send({ ready: true });
  let command = await next(commands);
  const cpuAtStart = process.cpuUsage();
  if (command === "fanOut") {
    const start = performance.now();
    const { context } = captureContext("rotationSchedule");
    await handlers.rotationSchedule!({ isPastDue: false } as never, context as never);
    send({ fannedOut: true, fanOutInMs: performance.now() - start });
    command = await next(commands);
  }
  const drainStartedAtEpochInMs = epochNow();
  const { batchSize, newBatchThreshold } = host.settings;
  const { mostInFlight } = await host.listen(queueName, { idlePollInMs });
  const drainEndedAtEpochInMs = epochNow();
  const cpu = process.cpuUsage(cpuAtStart);
  const poison = await host
    .queue(`${queueName}-poison`)
    .getProperties()
    .catch(() => undefined);
  return {
    batchSize,
    newBatchThreshold,
    mostInFlight,
    drainStartedAtEpochInMs,
    drainEndedAtEpochInMs,
    invocations,
    cpuInMs: (cpu.user + cpu.system) / 1000,
    poisoned: poison?.approximateMessagesCount ?? 0,
    ...memory.stop(),
    heapAtQuarterInBytes,
    heapAtEndInBytes: collectedHeap(),
  };
}

/** The status in an invocation's `rotation.completed` event. */
function completedStatus(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => l.startsWith("rotation.completed "));
  return line
    ? (JSON.parse(line.slice("rotation.completed ".length)) as { status: string }).status
    : undefined;
}

function triggerQueue(all: readonly Registration[], name: string): string {
  const registration = all.find((r) => r.name === name);
  const trigger = Object.values(registration?.bindings ?? {}).find((b) => b.type === "queueTrigger");
  if (!trigger) throw new Error(`no queue-triggered function ${name} registered`);
  return String(trigger.queueName);
}

function watchMemory(): { stop(): { peakRssInBytes: number; peakHeapUsedInBytes: number } } {
  let peakRssInBytes = 0;
  let peakHeapUsedInBytes = 0;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRssInBytes = Math.max(peakRssInBytes, rss);
    peakHeapUsedInBytes = Math.max(peakHeapUsedInBytes, heapUsed);
  };
  const timer = setInterval(sample, 25);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRssInBytes, peakHeapUsedInBytes };
    },
  };
}

function collectedHeap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function send(message: HostMessage): void {
  process.send!(message);
}

async function next(commands: AsyncIterator<HostCommand>): Promise<HostCommand> {
  const { value, done } = await commands.next();
  if (done) throw new Error("the parent went away");
  return value;
}

/** The parent's messages: the job first, then commands. */
async function* messages(): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  process.on("message", (message) => {
    queue.push(message);
    wake?.();
  });
  for (;;) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    yield queue.shift();
  }
}

// The instance dies with its parent: when the IPC channel closes, nothing is left to report to.
process.once("disconnect", () => process.exit(1));
if (!process.connected) process.exit(1);

const inbox = messages();
const job = (await inbox.next()).value as HostJob;
serve(job, inbox as AsyncIterator<HostCommand>).then(
  (report) => process.send!({ report } satisfies HostMessage, () => process.exit(0)),
  (error: unknown) =>
    process.send!(
      { error: error instanceof Error ? error.message : String(error) } satisfies HostMessage,
      () => process.exit(1),
    ),
);
