/**
 * The poison queue's report. A message lands there only when the host gave up on it without the
 * worker ending it (every attempt crashed, timed out, or could not even build the app's services),
 * since the worker ends a message itself on its last attempt.
 */
import { errorText } from "../errors.js";
import { peekRotationMessage } from "../queue/message.js";
import { logEvent } from "./events.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";
import type { DeliveryInfo } from "./worker.js";

/**
 * Logs a message the host moved to the poison queue: the final event `rotation.poisoned` with the
 * gateway, the request id and the last error this instance saw for it. Needs no services to name
 * the gateway, so it reports even when the app's settings are broken. Never throws.
 * @param services - the app's services; undefined when they could not be built.
 * @param raw - the poison queue trigger's payload.
 * @param sink - the invocation's log.
 * @param delivery - dequeue count and message id on the poison queue.
 * @param servicesError - why the services could not be built, if so.
 */
export function reportPoisonedMessage(
  services: Pick<AppServices, "lastErrors"> | undefined,
  raw: unknown,
  sink: LogSink,
  delivery: DeliveryInfo = {},
  servicesError?: unknown,
): void {
  const { gateway, requestId } = peekRotationMessage(raw);
  const lastError =
    (requestId && services?.lastErrors.get(requestId)) ??
    `not seen by this instance: see the rotation.retry events with requestId ${requestId ?? "(none)"}`;
  logEvent(eventLogger(sink), "rotation.poisoned", {
    gateway: gateway ?? "(unreadable message)",
    requestId,
    messageId: delivery.messageId,
    lastError,
    ...(servicesError === undefined ? {} : { appSettingsError: errorText(servicesError) }),
  });
}
