/**
 * The agent's side of the report channel: sends each report to its cluster's own Storage queue.
 * Least privilege: the agent's identity holds only "Storage Queue Data Message Sender" on that one
 * queue: it can add messages, never read, delete or change them, nor reach another cluster's queue.
 */
import { PermissionDeniedError } from "../errors.js";
import { restErrorInfo } from "../azure/restError.js";
import type { AbortOptions } from "../rotation/types.js";
import type { ReportSender } from "./pass.js";
import { encodeAgentReport, type AgentReport } from "./report.js";

/** The role the agent's identity needs on its queue. */
export const reportSenderRole =
  "Storage Queue Data Message Sender (Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action)";

/** The part of the Storage SDK's `QueueClient` a sender uses. */
export interface ReportQueueClient {
  readonly name: string;
  sendMessage(messageText: string, options?: AbortOptions): Promise<unknown>;
}

/** Sends reports to one Storage queue, base64-encoded as the project's other queues. */
export class QueueReportSender implements ReportSender {
  readonly #client: () => Promise<ReportQueueClient>;
  #connected: Promise<ReportQueueClient> | undefined;

  /** @param client - the queue's client, made on first send (the SDK loads then) */
  constructor(client: () => Promise<ReportQueueClient>) {
    this.#client = client;
  }

  /**
   * Sends one report.
   * @throws PermissionDeniedError on 403, naming the role; an Error naming the queue and status otherwise
   */
  async send(report: AgentReport, options: AbortOptions = {}): Promise<void> {
    const text = Buffer.from(encodeAgentReport(report), "utf8").toString("base64");
    const client = await (this.#connected ??= this.#client().catch((error: unknown) => {
      this.#connected = undefined;
      throw error;
    }));
    try {
      await client.sendMessage(text, { abortSignal: options.abortSignal });
    } catch (error) {
      const info = restErrorInfo(error);
      if (info.statusCode === 403) {
        throw new PermissionDeniedError(
          `Permission denied: sending a report to queue ${client.name} needs ${reportSenderRole} for the agent's identity on that queue (${info.code ?? "403"})`,
          reportSenderRole,
        );
      }
      const status = info.statusCode ? `HTTP ${info.statusCode}` : "no response";
      throw new Error(
        `sending a report to queue ${client.name} failed (${status}: ${info.code ?? info.message})`,
      );
    }
  }
}
