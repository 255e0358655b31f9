/**
 * A small stand-in for the Functions host's storage queue trigger (the host itself cannot be
 * installed here), faithful to the WebJobs queue listener in what the app relies on:
 * - messages are received in batches of `batchSize`, invisible while they are processed;
 * - the body is base64-decoded (`messageEncoding: base64`) and, when it is JSON, handed to the
 *   Node.js handler as an object, with `dequeueCount` and `id` in the trigger metadata;
 * - success deletes the message; a failure makes it visible again after `visibilityTimeout`,
 *   unless `dequeueCount >= maxDequeueCount`: then the message is copied unchanged to
 *   `<queue>-poison` (created if missing) and deleted;
 * - a message received with `dequeueCount > maxDequeueCount` (a crash mid-processing) goes to the
 *   poison queue without running the function.
 * Settings come from host.json; the visibility timeout can be shortened so tests need not wait.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvocationContext } from "@azure/functions";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueServiceClient, type QueueClient, type ReceivedMessageItem } from "@azure/storage-queue";
import { createAppServices, useAppServices } from "../../shared/app/services.js";
import { rolloutSlotsOf } from "../../shared/compose/realAdapters.js";
import { readAppSettings } from "../../shared/config/appSettings.js";
import type { Fleet } from "../standins/fleet.js";
import { installFakeCore, registrations, type Registration } from "./fakeCore.js";

/** A registered function's handler, called directly by the tests. */
export type Handler = (...args: never[]) => Promise<unknown>;

/**
 * Installs the fake `@azure/functions` core, loads every `functions/*.cts` entry file as the host
 * would, and collects the handlers they registered, by function name.
 */
export async function loadFunctions(): Promise<Record<string, Handler>> {
  installFakeCore();
  const directory = join(import.meta.dirname, "..", "..", "functions");
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".cts"))) {
    await import(join(directory, file));
  }
  return Object.fromEntries(registrations.map((r) => [r.name, r.callback as Handler]));
}

/** How {@link QueueHost.listen} waits and reports (its batches follow the host's settings). */
export interface ListenOptions {
  /** How long to wait before looking at an empty queue again. */
  idlePollInMs: number;
  /** Told how many messages run each time the listener receives a batch. */
  onReceive?: (running: number) => void;
}

export interface QueueHostSettings {
  maxDequeueCount: number;
  visibilityTimeoutInSeconds: number;
  batchSize: number;
  newBatchThreshold: number;
  messageEncoding: "base64" | "none";
}

/** The queue settings of the repository's host.json. */
export function hostJsonQueueSettings(): QueueHostSettings {
  const host = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "host.json"), "utf8")) as {
    extensions: {
      queues: {
        maxDequeueCount: number;
        visibilityTimeout: string;
        batchSize: number;
        newBatchThreshold: number;
        messageEncoding: "base64" | "none";
      };
    };
  };
  const queues = host.extensions.queues;
  const [h, m, s] = queues.visibilityTimeout.split(":").map(Number);
  return {
    maxDequeueCount: queues.maxDequeueCount,
    visibilityTimeoutInSeconds: h! * 3600 + m! * 60 + s!,
    batchSize: queues.batchSize,
    newBatchThreshold: queues.newBatchThreshold,
    messageEncoding: queues.messageEncoding,
  };
}

/** One invocation the driver made. */
export interface Invocation {
  functionName: string;
  dequeueCount: number;
  succeeded: boolean;
  error?: unknown;
  logs: Array<{ level: string; text: string }>;
}

export class QueueHost {
  readonly invocations: Invocation[] = [];
  readonly #service: QueueServiceClient;

  /**
   * @param keepInvocations - record every invocation in `invocations` (a long benchmark run turns it off). Default true.
   */
  constructor(
    connectionString: string,
    readonly registrations: readonly Registration[],
    readonly settings: QueueHostSettings = hostJsonQueueSettings(),
    private readonly keepInvocations = true,
  ) {
    this.#service = QueueServiceClient.fromConnectionString(connectionString);
  }

  queue(name: string): QueueClient {
    return this.#service.getQueueClient(name);
  }

  /**
   * Receives one batch from every queue some function listens on (or only from `queues`) and processes it,
   * one message after another.
   * @returns the number of messages processed.
   */
  async pollOnce(queues?: readonly string[]): Promise<number> {
    let processed = 0;
    for (const { registration, queueName } of this.#triggers(queues)) {
      for (const message of await this.#receive(queueName, this.settings.batchSize)) {
        processed += 1;
        await this.#handle(registration, queueName, message);
      }
    }
    return processed;
  }

  /**
   * Runs one queue's function as the WebJobs queue listener does on one instance: it receives
   * batches of `batchSize` while no more than `newBatchThreshold` messages are being processed, so
   * that between `newBatchThreshold` and `newBatchThreshold + batchSize` run at once; an empty
   * queue is looked at again after `idlePollInMs` (the host backs off up to `maxPollingInterval`).
   * Returns once the queue is empty and nothing runs.
   * @returns the most messages that ran at once.
   */
  async listen(queueName: string, options: ListenOptions): Promise<{ mostInFlight: number }> {
    const [trigger] = this.#triggers([queueName]);
    if (!trigger) throw new Error(`no function listens on queue ${queueName}`);
    const running = new Set<Promise<void>>();
    let mostInFlight = 0;
    for (;;) {
      if (running.size > this.settings.newBatchThreshold) {
        await Promise.race(running);
        continue;
      }
      options.onReceive?.(running.size);
      const batch = await this.#receive(queueName, this.settings.batchSize);
      for (const message of batch) {
        const handled: Promise<void> = this.#handle(trigger.registration, queueName, message).finally(() =>
          running.delete(handled),
        );
        running.add(handled);
      }
      mostInFlight = Math.max(mostInFlight, running.size);
      if (batch.length > 0) continue;
      if (running.size === 0 && !(await this.queue(queueName).getProperties()).approximateMessagesCount) {
        return { mostInFlight };
      }
      await Promise.race([...running, sleep(options.idlePollInMs)]);
    }
  }

  /** The queue-triggered functions and their queues (only those in `queues`, when given). */
  #triggers(queues?: readonly string[]): Array<{ registration: Registration; queueName: string }> {
    return this.registrations.flatMap((registration) => {
      const trigger = Object.values(registration.bindings).find((b) => b.direction === "in");
      if (trigger?.type !== "queueTrigger") return [];
      const queueName = String(trigger.queueName);
      return queues && !queues.includes(queueName) ? [] : [{ registration, queueName }];
    });
  }

  async #receive(queueName: string, count: number): Promise<ReceivedMessageItem[]> {
    const queue = this.queue(queueName);
    await queue.createIfNotExists();
    const { receivedMessageItems } = await queue.receiveMessages({
      numberOfMessages: count,
      visibilityTimeout: 600,
    });
    return receivedMessageItems;
  }

  /** Runs the function on one message; deletes it, makes it visible again later, or moves it to the poison queue. */
  async #handle(registration: Registration, queueName: string, message: ReceivedMessageItem): Promise<void> {
    const queue = this.queue(queueName);
    const poison = this.queue(`${queueName}-poison`);
    const toPoison = async () => {
      await poison.createIfNotExists();
      await poison.sendMessage(message.messageText);
      await queue.deleteMessage(message.messageId, message.popReceipt);
    };
    if (message.dequeueCount > this.settings.maxDequeueCount) return toPoison();
    const ok = await this.#invoke(registration, message.messageText, message.dequeueCount, message.messageId);
    if (ok) {
      await queue.deleteMessage(message.messageId, message.popReceipt);
    } else if (message.dequeueCount >= this.settings.maxDequeueCount) {
      await toPoison();
    } else {
      await queue.updateMessage(
        message.messageId,
        message.popReceipt,
        undefined,
        this.settings.visibilityTimeoutInSeconds,
      );
    }
  }

  /**
   * Polls until every watched queue is empty (or the deadline passes).
   * @param timeoutInMs - the deadline.
   */
  async drain(timeoutInMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutInMs;
    for (;;) {
      const processed = await this.pollOnce();
      if (processed === 0 && (await this.#allEmpty())) return;
      if (Date.now() > deadline) throw new Error("the queues did not drain in time");
    }
  }

  async #allEmpty(): Promise<boolean> {
    for (const { queueName } of this.#triggers()) {
      const properties = await this.queue(queueName).getProperties();
      if ((properties.approximateMessagesCount ?? 0) > 0) return false;
    }
    return true;
  }

  async #invoke(
    registration: Registration,
    text: string,
    dequeueCount: number,
    id: string,
  ): Promise<boolean> {
    const decoded =
      this.settings.messageEncoding === "base64" ? Buffer.from(text, "base64").toString("utf8") : text;
    let payload: unknown = decoded;
    try {
      payload = JSON.parse(decoded);
    } catch {
      payload = decoded;
    }
    const logs: Invocation["logs"] = [];
    const context = new InvocationContext({
      functionName: registration.name,
      invocationId: `${registration.name}-${id}-${dequeueCount}`,
      triggerMetadata: { dequeueCount, id },
      logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(" ") }),
    });
    try {
      await registration.callback(payload, context);
      this.#record({ functionName: registration.name, dequeueCount, succeeded: true, logs });
      return true;
    } catch (error) {
      this.#record({ functionName: registration.name, dequeueCount, succeeded: false, error, logs });
      return false;
    }
  }

  #record(invocation: Invocation): void {
    if (this.keepInvocations) this.invocations.push(invocation);
  }
}

/**
 * The app on a running fleet (started with `azurite: true`): its services use the fleet's Azurite
 * queues, configuration file and real adapters (with the rollout cap the settings ask for); the
 * timer spreads nothing unless `env` says so; the returned host retries at once (visibility 0).
 * @param fleet - the fleet.
 * @param env - more app settings.
 * @returns the queue host, and `restore` to put the previous services back.
 */
export async function appOnFleet(
  fleet: Fleet,
  env: Record<string, string> = {},
): Promise<{ host: QueueHost; restore: () => void }> {
  const connectionString = fleet.azurite!.connectionString;
  const services = await createAppServices({
    settings: readAppSettings({
      AzureWebJobsStorage: connectionString,
      GATEWAY_GUARD_CONFIG_FILE: fleet.configPath,
      ROTATION_SPREAD_IN_MINUTES: "0",
      ...env,
    }),
    adapters: (config, settings) =>
      fleet.connect({ pollIntervalInMs: 50, rolloutSlots: rolloutSlotsOf(settings) })(config),
  });
  const restore = useAppServices(services);
  const host = new QueueHost(connectionString, registrations, {
    ...hostJsonQueueSettings(),
    visibilityTimeoutInSeconds: 0,
  });
  return { host, restore };
}
