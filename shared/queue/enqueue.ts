/**
 * Sends rotation messages to the storage queue the worker listens on. The Functions host's queue
 * trigger decodes base64 by default (`host.json` `extensions.queues.messageEncoding`), so messages
 * are sent base64-encoded. `@azure/storage-queue` and `@azure/identity` load on first use.
 */
import type { StorageConnection } from "../config/appSettings.js";
import { RecentKeys, requestIdForEvent } from "./dedupe.js";
import { encodeRotationMessage, type RotationMessage } from "./message.js";
import { rotationQueueName } from "../config/triggers.cjs";

/** The part of `QueueClient` this module uses. */
export interface QueueClientLike {
  readonly name: string;
  sendMessage(messageText: string, options?: { visibilityTimeout?: number }): Promise<unknown>;
  createIfNotExists(): Promise<unknown>;
}

/** How message text is put on the wire; must match `host.json` `extensions.queues.messageEncoding`. */
export type MessageEncoding = "base64" | "none";

export interface RotationQueueOptions {
  /** Default `base64`, as the host expects by default. */
  messageEncoding?: MessageEncoding;
  /** Event ids already enqueued by this instance. A fresh set by default. */
  recentEvents?: RecentKeys;
}

export interface SendOptions {
  /** The event that asked for the rotation: a second send with the same event id and gateway is skipped. */
  eventId?: string;
  /**
   * The message stays invisible this long before a worker can take it (the queue's
   * `visibilityTimeout` on send): at most {@link maxSendDelayInSeconds}. Default 0.
   */
  delayInSeconds?: number;
}

/** The longest a sent message can stay invisible: the Storage queue's limit, 7 days. */
export const maxSendDelayInSeconds = 7 * 24 * 3600;

/** The outcome of one send. */
export interface SendResult {
  requestId: string;
  /** True when the same event had already been enqueued for this gateway, so nothing was sent. */
  duplicate: boolean;
}

/** The rotation queue as the app sees it. */
export class RotationQueue {
  readonly #client: QueueClientLike;
  readonly #encoding: MessageEncoding;
  readonly #recent: RecentKeys;

  constructor(client: QueueClientLike, options: RotationQueueOptions = {}) {
    this.#client = client;
    this.#encoding = options.messageEncoding ?? "base64";
    this.#recent = options.recentEvents ?? new RecentKeys();
  }

  get name(): string {
    return this.#client.name;
  }

  /** Creates the queue when it does not exist yet (the host creates it too, on start). */
  async ensureExists(): Promise<void> {
    await this.#client.createIfNotExists();
  }

  /**
   * Enqueues one message. With an event id, the request id is derived from it and a repeat of the
   * same event for the same gateway is not sent again.
   * @param message - the message; its requestId is replaced when an event id is given.
   * @param options - the event id, if any, and the delay before the message becomes visible.
   * @returns the request id and whether the send was skipped as a duplicate.
   */
  async send(message: RotationMessage, options: SendOptions = {}): Promise<SendResult> {
    const delay = options.delayInSeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > maxSendDelayInSeconds) {
      throw new RangeError(
        `delayInSeconds must be a whole number from 0 to ${maxSendDelayInSeconds}, got ${delay}`,
      );
    }
    const key = options.eventId === undefined ? undefined : `${options.eventId}\n${message.gateway}`;
    const requestId =
      options.eventId === undefined ? message.requestId : requestIdForEvent(options.eventId, message.gateway);
    if (key !== undefined) {
      // Recorded before the send, so that a concurrent delivery of the same event sees it; forgotten if the send fails.
      if (this.#recent.has(key)) return { requestId, duplicate: true };
      this.#recent.add(key);
    }
    const text = encodeRotationMessage({ ...message, requestId });
    try {
      await this.#client.sendMessage(
        this.#encoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text,
        delay > 0 ? { visibilityTimeout: delay } : undefined,
      );
    } catch (error) {
      if (key !== undefined) this.#recent.delete(key);
      throw error;
    }
    return { requestId, duplicate: false };
  }
}

/**
 * Builds a `QueueClient` for the configured storage: identity-based in Azure, a connection string
 * for Azurite.
 * @param storage - from the app settings.
 * @param queueName - default `gateway-rotations`.
 * @returns the client.
 */
export async function createQueueClient(
  storage: StorageConnection,
  queueName: string = rotationQueueName,
): Promise<import("@azure/storage-queue").QueueClient> {
  const { QueueClient, QueueServiceClient } = await import("@azure/storage-queue");
  if (storage.kind === "connectionString") {
    return QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient(queueName);
  }
  const url = `${storage.queueServiceUri.replace(/\/+$/, "")}/${queueName}`;
  if (storage.credential?.toLowerCase() === "managedidentity") {
    const { ManagedIdentityCredential } = await import("@azure/identity");
    const credential = storage.clientId
      ? new ManagedIdentityCredential({ clientId: storage.clientId })
      : new ManagedIdentityCredential();
    return new QueueClient(url, credential);
  }
  const { createCredential } = await import("../azure/credential.js");
  return new QueueClient(url, createCredential({ managedIdentityClientId: storage.clientId }));
}
