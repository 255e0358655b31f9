/**
 * Structured log events and metrics for the Functions app. `InvocationContext` fits {@link LogSink}
 * structurally, so `shared/` never imports the Functions runtime. Each event is one line,
 * `<event> <JSON fields>`, easy to find in Application Insights (`traces | where message startswith "rotation.poisoned"`).
 */
import { errorText } from "../errors.js";
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
 * Adds metrics to an event logger: each one an info line `metric <name> <JSON>` holding `value` and
 * the dimensions, which Application Insights can chart
 * (`traces | where message startswith "metric token.days_left" | extend m = parse_json(substring(message, indexof(message, "{")))`).
 * @param logger - the event logger.
 * @param sink - where the metric lines go.
 * @returns the logger with `metric`.
 */
export function metricLogger(logger: RotationLogger, sink: LogSink): RotationLogger {
  return {
    info: (event, fields) => logger.info(event, fields),
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => logger.error(event, fields),
    metric: (name, value, dimensions) =>
      sink.info(`metric ${name} ${JSON.stringify({ value, ...dimensions })}`),
  };
}
