/**
 * Structured log events for the Functions app. `InvocationContext` fits {@link LogSink}
 * structurally, so `shared/` never imports the Functions runtime. Each event is one line,
 * `<event> <JSON fields>`, easy to find in Application Insights (`traces | where message startswith "rotation.poisoned"`).
 */
import type { RotationLogger } from "../rotation/types.js";

/** Where log lines go (an `InvocationContext`, or a capturing fake in tests). */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * A logger that writes structured events to a sink.
 * @param sink - e.g. the invocation context.
 * @param base - fields added to every event (request id, gateway).
 * @returns the logger.
 */
export function eventLogger(sink: LogSink, base: Record<string, unknown> = {}): RotationLogger {
  const line = (event: string, fields: Record<string, unknown>): string =>
    `${event} ${JSON.stringify({ ...base, ...fields }, (_key, value: unknown) => (value instanceof Error ? errorText(value) : value))}`;
  return {
    info: (event, fields) => sink.info(line(event, fields)),
    warn: (event, fields) => sink.warn(line(event, fields)),
    error: (event, fields) => sink.error(line(event, fields)),
  };
}

/**
 * An error as one line: its name and message, and its cause's, without a stack trace.
 * @param error - anything thrown.
 * @returns e.g. `RolloutError: deployment default/gw did not finish within 600000 ms`.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 500);
  const own = `${error.name}: ${error.message}`;
  return error.cause instanceof Error && !error.message.includes(error.cause.message)
    ? `${own} (cause: ${error.cause.name}: ${error.cause.message})`
    : own;
}
