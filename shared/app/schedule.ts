/**
 * The timer's fan-out: one queue message per configured gateway. It never rotates itself, so a
 * fleet of hundreds of gateways does not hang on one invocation. The messages are spread over
 * `ROTATION_SPREAD_IN_MINUTES`: each stays invisible for a delay derived from its gateway's name,
 * so a run does not start every rotation at once and reruns do not reshuffle.
 */
import { createHash, randomUUID } from "node:crypto";
import { errorText } from "../errors.js";
import { loadConfigOrReport } from "./configuration.js";
import { logEvent } from "./events.js";
import { drainReportsBeforeFanOut } from "./reports.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** What the fan-out did. */
export interface FanOutResult {
  enqueued: Array<{ gateway: string; requestId: string; delayInSeconds: number }>;
  failed: Array<{ gateway: string; error: string }>;
}

/**
 * Enqueues a `schedule` message for every configured gateway, delayed by {@link spreadDelayInSeconds},
 * and logs `rotation.scheduled` with the window and every configured gateway with its
 * `renewBeforeInDays` and delay: the list the dead man's switch expects a `token.days_left` from.
 * @param services - the app's services.
 * @param sink - the invocation's log.
 * @returns the gateways enqueued.
 * @throws when the configuration cannot be loaded (logged as `config.invalid`), the queue cannot be reached, or any send failed
 *   (after trying every gateway), so that the failure shows in the host's invocation log.
 */
export async function enqueueScheduledRotations(services: AppServices, sink: LogSink): Promise<FanOutResult> {
  const log = eventLogger(sink);
  const config = await loadConfigOrReport(services, log, "timer");
  await drainReportsBeforeFanOut(services, config, log);
  const queue = await services.queue();
  const spreadInMinutes = services.settings.rotationSpreadInMinutes;
  const result: FanOutResult = { enqueued: [], failed: [] };
  for (const gateway of config.gateways) {
    const delayInSeconds = spreadDelayInSeconds(gateway.name, spreadInMinutes);
    try {
      const sent = await queue.send(
        { v: 1, gateway: gateway.name, reason: "schedule", force: false, requestId: randomUUID() },
        { delayInSeconds },
      );
      result.enqueued.push({ gateway: gateway.name, requestId: sent.requestId, delayInSeconds });
    } catch (error) {
      result.failed.push({ gateway: gateway.name, error: errorText(error) });
    }
  }
  logEvent(log, "rotation.scheduled", {
    count: config.gateways.length,
    enqueued: result.enqueued.length,
    failed: result.failed.length,
    spreadInMinutes,
    gateways: config.gateways.map((g) => ({
      name: g.name,
      renewBeforeInDays: g.renewBeforeInDays,
      delayInSeconds: spreadDelayInSeconds(g.name, spreadInMinutes),
    })),
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

/**
 * A gateway's place in the spread window: a hash of its name scaled to the window, the same in
 * every run and on every instance.
 * @param gateway - the gateway's name.
 * @param spreadInMinutes - the window; 0 means no delay.
 * @returns whole seconds from 0 to just under the window.
 */
export function spreadDelayInSeconds(gateway: string, spreadInMinutes: number): number {
  const fraction = createHash("sha256").update(gateway).digest().readUInt32BE(0) / 2 ** 32;
  return Math.floor(fraction * spreadInMinutes * 60);
}
