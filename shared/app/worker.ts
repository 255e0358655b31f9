/**
 * The queue worker's logic: one message, one gateway rotation. A transient failure is rethrown so
 * that the Functions host makes the message visible again (and moves it to the poison queue after
 * `maxDequeueCount` attempts); a permanent one is logged as `rotation.rejected` and the message is
 * completed, since retrying cannot fix it. A rotation that ends `failed` or `rolled-back` is
 * permanent when the error behind every failed deployment is (a 403 on the Secret, say).
 * The engine's metrics become log lines `metric <name> {"value":…,…dimensions}` (see `metricLogger` in ./log.ts).
 */
import { findGateway } from "../config/load.js";
import type { GatewayConfig } from "../config/types.js";
import { errorText, isTransient, permanentErrorNames, RolloutError } from "../errors.js";
import { decodeRotationMessage, peekRotationMessage, type RotationMessage } from "../queue/message.js";
import type { RotationOutcome } from "../rotation/types.js";
import { eventLogger, metricLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** `functionTimeout` in host.json (a test holds them equal). */
export const functionTimeoutInMs = 60 * 60_000;

/**
 * How long the worker lets a rotation start new deployments: the function timeout less one
 * rollback (the engine finishes or rolls back the deployment in flight when the signal fires) and
 * a minute's margin, so that a long multi-deployment rotation stops cleanly before the host kills it.
 * @param gateway - the gateway to rotate.
 * @returns milliseconds, at least a quarter of the function timeout.
 */
export function rotationDeadlineInMs(gateway: GatewayConfig): number {
  return Math.max(functionTimeoutInMs - gateway.rolloutTimeoutInMs - 2 * 60_000, functionTimeoutInMs / 4);
}

/** What the trigger tells about the delivery. */
export interface DeliveryInfo {
  /** 1 on the first attempt. */
  dequeueCount?: number;
  messageId?: string;
}

/**
 * Dequeue count and message id from the queue trigger's metadata.
 * @param metadata - `InvocationContext.triggerMetadata`.
 * @returns what is there.
 */
export function deliveryOf(metadata: Record<string, unknown> | undefined): DeliveryInfo {
  const dequeueCount = Number(metadata?.dequeueCount);
  return {
    dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : undefined,
    messageId: typeof metadata?.id === "string" ? metadata.id : undefined,
  };
}

/** What became of the message (the worker throws instead for a transient failure). */
export type WorkerResult =
  | { status: "done"; outcome: RotationOutcome }
  | { status: "skipped"; reason: string }
  | { status: "rejected"; reason: string };

/**
 * Processes one rotation message.
 * @param services - the app's services.
 * @param raw - the queue trigger's payload (object or string).
 * @param sink - the invocation's log.
 * @param delivery - dequeue count and message id.
 * @returns what was done.
 * @throws the failure, when it is transient (the host retries).
 */
export async function processRotationMessage(
  services: AppServices,
  raw: unknown,
  sink: LogSink,
  delivery: DeliveryInfo = {},
): Promise<WorkerResult> {
  const attempt = { dequeueCount: delivery.dequeueCount, messageId: delivery.messageId };
  let message: RotationMessage;
  try {
    message = decodeRotationMessage(raw);
  } catch (error) {
    const reason = errorText(error);
    eventLogger(sink).error("rotation.rejected", {
      ...peekRotationMessage(raw),
      ...attempt,
      permanent: true,
      error: reason,
    });
    return { status: "rejected", reason };
  }
  const log = metricLogger(
    eventLogger(sink, { gateway: message.gateway, requestId: message.requestId }),
    sink,
  );
  if (services.finishedRequests.has(message.requestId)) {
    log.info("rotation.skipped", {
      ...attempt,
      reason: "this request was already processed by this instance",
    });
    return { status: "skipped", reason: "duplicate request" };
  }
  log.info("rotation.started", { ...attempt, reason: message.reason, force: message.force });
  try {
    const gateway = findGateway(await services.config(), message.gateway);
    const outcome = await services.rotate(gateway, {
      force: message.force,
      log,
      abortSignal: AbortSignal.timeout(rotationDeadlineInMs(gateway)),
    });
    if (outcome.status === "failed" || outcome.status === "rolled-back") {
      const reason = `rotation of ${message.gateway} ended ${outcome.status}: ${outcome.reason}`;
      if (failedPermanently(outcome)) {
        log.error("rotation.rejected", {
          ...attempt,
          permanent: true,
          status: outcome.status,
          error: reason,
        });
        return { status: "rejected", reason };
      }
      throw new RolloutError(reason);
    }
    services.finishedRequests.add(message.requestId);
    log.info("rotation.message-done", attempt);
    return { status: "done", outcome };
  } catch (error) {
    const reason = errorText(error);
    if (isTransient(error)) {
      services.lastErrors.set(message.requestId, reason);
      log.warn("rotation.retry", { ...attempt, transient: true, error: reason });
      throw error;
    }
    log.error("rotation.rejected", { ...attempt, permanent: true, error: reason });
    return { status: "rejected", reason };
  }
}

/**
 * True when the run was stopped for a reason retrying cannot fix (`errorName`, e.g. a lost lock's 403),
 * or it has failed deployments and each failed for such a reason.
 */
function failedPermanently(outcome: RotationOutcome): boolean {
  if (outcome.errorName !== undefined) return permanentErrorNames.has(outcome.errorName);
  const failed = outcome.deployments.filter((d) => d.status === "failed" || d.status === "rolled-back");
  return (
    failed.length > 0 &&
    failed.every((d) => d.errorName !== undefined && permanentErrorNames.has(d.errorName))
  );
}

/**
 * Logs a message the host moved to the poison queue: the error event `rotation.poisoned` with the
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
  eventLogger(sink).error("rotation.poisoned", {
    gateway: gateway ?? "(unreadable message)",
    requestId,
    messageId: delivery.messageId,
    lastError,
    ...(servicesError === undefined ? {} : { appSettingsError: errorText(servicesError) }),
  });
}
