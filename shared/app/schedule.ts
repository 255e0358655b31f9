/**
 * The timer's fan-out: one queue message per configured gateway. It never rotates itself, so a
 * fleet of hundreds of gateways does not hang on one invocation.
 */
import { randomUUID } from "node:crypto";
import { errorText } from "../errors.js";
import { loadConfigOrReport } from "./configuration.js";
import { logEvent } from "./events.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** What the fan-out did. */
export interface FanOutResult {
  enqueued: Array<{ gateway: string; requestId: string }>;
  failed: Array<{ gateway: string; error: string }>;
}

/**
 * Enqueues a `schedule` message for every configured gateway and logs `rotation.scheduled` with every
 * configured gateway and its `renewBeforeInDays`: the list the dead man's switch expects a
 * `token.days_left` from.
 * @param services - the app's services.
 * @param sink - the invocation's log.
 * @returns the gateways enqueued.
 * @throws when the configuration cannot be loaded (logged as `config.invalid`), the queue cannot be reached, or any send failed
 *   (after trying every gateway), so that the failure shows in the host's invocation log.
 */
export async function enqueueScheduledRotations(services: AppServices, sink: LogSink): Promise<FanOutResult> {
  const log = eventLogger(sink);
  const config = await loadConfigOrReport(services, log, "timer");
  const queue = await services.queue();
  const result: FanOutResult = { enqueued: [], failed: [] };
  for (const gateway of config.gateways) {
    try {
      const sent = await queue.send({
        v: 1,
        gateway: gateway.name,
        reason: "schedule",
        force: false,
        requestId: randomUUID(),
      });
      result.enqueued.push({ gateway: gateway.name, requestId: sent.requestId });
    } catch (error) {
      result.failed.push({ gateway: gateway.name, error: errorText(error) });
    }
  }
  logEvent(log, "rotation.scheduled", {
    count: config.gateways.length,
    enqueued: result.enqueued.length,
    failed: result.failed.length,
    gateways: config.gateways.map((g) => ({ name: g.name, renewBeforeInDays: g.renewBeforeInDays })),
  });
  if (result.failed.length > 0) {
    log.error("schedule.failed", { failed: result.failed });
    throw new Error(
      `could not enqueue the rotation of ${result.failed.length} of ${config.gateways.length} gateway(s): ${result.failed
        .map((f) => `${f.gateway} (${f.error})`)
        .join("; ")}`,
    );
  }
  return result;
}
