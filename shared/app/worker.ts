/**
 * The queue worker's logic: one message, one gateway rotation, and exactly one final event per
 * message (shared/app/events.ts):
 * - `rotation.completed`: fresh, rotated or delivered;
 * - `rotation.rolled-back`, or `rotation.failed` for any other outcome the engine marks `final` (a
 *   deployment was restarted: one restart and one rollback per message at most) and for `unrevoked`
 *   (revocation was asked and not done); the next schedule or a person retries;
 * - `rotation.rejected`: retrying cannot help (a malformed message, an unknown gateway, a missing
 *   permission, a pre-flight refusal);
 * - anything that may pass (throttling, 5xx, a held lock) logs `rotation.retry` and is rethrown, so
 *   the host delivers the message again; on the last attempt it ends as `rotation.locked` (the lock
 *   was held throughout) or `rotation.failed` instead of being poisoned.
 * The engine's metrics become log lines `metric <name> {"value":…,…dimensions}` (see `metricLogger` in ./log.ts).
 */
import { findGateway } from "../config/load.js";
import type { GatewayConfig } from "../config/types.js";
import { errorText, isTransient, permanentErrorNames } from "../errors.js";
import { decodeRotationMessage, peekRotationMessage, type RotationMessage } from "../queue/message.js";
import type { RotationLogger, RotationOutcome } from "../rotation/types.js";
import { loadConfigOrReport } from "./configuration.js";
import { logEvent, withoutFinalEvents, type FinalEventName } from "./events.js";
import { eventLogger, metricLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** `functionTimeout` in host.json (a test holds them equal). */
export const functionTimeoutInMs = 60 * 60_000;

/** `extensions.queues.maxDequeueCount` in host.json (a test holds them equal): the last attempt. */
export const maxDequeueCount = 5;

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

/** What became of the message (the worker throws instead when the host should deliver it again). */
export type WorkerResult =
  | { status: "ended"; event: FinalEventName; reason: string; outcome?: RotationOutcome }
  | { status: "skipped"; reason: string };

/**
 * Processes one rotation message.
 * @param services - the app's services.
 * @param raw - the queue trigger's payload (object or string).
 * @param sink - the invocation's log.
 * @param delivery - dequeue count and message id.
 * @returns the final event logged, or `skipped` for a request this instance already ended.
 * @throws the failure, when it may pass and attempts are left (the host delivers the message again).
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
    logEvent(eventLogger(sink), "rotation.rejected", {
      ...peekRotationMessage(raw),
      ...attempt,
      error: reason,
    });
    return { status: "ended", event: "rotation.rejected", reason };
  }
  const log = metricLogger(
    eventLogger(sink, { gateway: message.gateway, requestId: message.requestId }),
    sink,
  );
  if (services.finishedRequests.has(message.requestId)) {
    log.info("rotation.skipped", { ...attempt, reason: "this request was already ended by this instance" });
    return { status: "skipped", reason: "duplicate request" };
  }
  log.info("rotation.started", { ...attempt, reason: message.reason, force: message.force });
  const end = (
    event: FinalEventName,
    reason: string,
    fields: Record<string, unknown>,
    outcome?: RotationOutcome,
  ) => {
    logEvent(log, event, { ...attempt, ...fields });
    services.finishedRequests.add(message.requestId);
    return { status: "ended" as const, event, reason, outcome };
  };
  const lastAttempt = (delivery.dequeueCount ?? 0) >= maxDequeueCount;

  let outcome: RotationOutcome;
  try {
    const gateway = findGateway(await loadConfigOrReport(services, log, "worker"), message.gateway);
    outcome = await services.rotate(gateway, {
      force: message.force,
      log: withoutFinalEvents(log),
      abortSignal: AbortSignal.timeout(rotationDeadlineInMs(gateway)),
    });
  } catch (error) {
    const reason = errorText(error);
    if (!isTransient(error)) return end("rotation.rejected", reason, { error: reason });
    if (!lastAttempt) throw retry(services, log, message, attempt, reason, error);
    const event =
      error instanceof Error && error.name === "LockHeldError" ? "rotation.locked" : "rotation.failed";
    return end(event, reason, { error: reason, attempts: delivery.dequeueCount });
  }

  const reason = `rotation of ${message.gateway} ended ${outcome.status}: ${outcome.reason}`;
  const fields = outcomeFields(outcome);
  const event = finalEventOf(outcome);
  if (event) return end(event, reason, fields, outcome);
  if (!lastAttempt) throw retry(services, log, message, attempt, reason, new Error(reason));
  return end("rotation.failed", reason, { ...fields, attempts: delivery.dequeueCount }, outcome);
}

/**
 * The final event a rotation's outcome ends its message with, or undefined when the run may
 * succeed if tried again (a transient failure before any deployment was restarted, a lost lock).
 * @param outcome - the engine's outcome; `final` marks one that restarted a deployment.
 */
export function finalEventOf(outcome: RotationOutcome): FinalEventName | undefined {
  switch (outcome.status) {
    case "rolled-back":
      return "rotation.rolled-back";
    case "unrevoked":
      return "rotation.failed";
    case "failed":
      if (outcome.final) return "rotation.failed";
      return failedPermanently(outcome) ? "rotation.rejected" : undefined;
    default:
      return "rotation.completed";
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

/** An outcome as event fields: no token is ever in one. */
function outcomeFields(outcome: RotationOutcome): Record<string, unknown> {
  return {
    status: outcome.status,
    decision: outcome.plan.decision,
    action: outcome.plan.action,
    reason: outcome.reason,
    keyType: outcome.keyType,
    expiresOn: outcome.expiresOn?.toISOString(),
    vaultVersion: outcome.vaultVersion,
    revokedKeyType: outcome.revokedKeyType,
    errorName: outcome.errorName,
    deployments: outcome.deployments.map((d) => ({
      target: d.target,
      status: d.status,
      reason: d.reason,
      errorName: d.errorName,
    })),
  };
}

/** Logs `rotation.retry`, remembers the error for the poison event, and returns what to throw. */
function retry(
  services: AppServices,
  log: RotationLogger,
  message: RotationMessage,
  attempt: { dequeueCount?: number; messageId?: string },
  reason: string,
  error: unknown,
): unknown {
  services.lastErrors.set(message.requestId, reason);
  logEvent(log, "rotation.retry", { ...attempt, maxDequeueCount, error: reason });
  return error;
}
