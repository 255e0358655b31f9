/**
 * Plain HTTP results that `functions/` turns into `HttpResponseInit`, and the mapping from the
 * error types to statuses: bad input never gets a 500.
 */
import { eventLogger, type LogSink } from "./log.js";
import { errorText } from "../errors.js";
import { reportInvalidConfig } from "./configuration.js";

/** An HTTP answer as plain data. */
export interface HttpResult {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  jsonBody?: unknown;
  /** Sent as is (with a content-type header). */
  body?: string;
}

/** Statuses by error name (`.name`, not `instanceof`). */
const statusByName: Record<string, number> = {
  InputError: 400,
  NotFoundError: 404,
  ConflictError: 409,
  LockHeldError: 409,
};

/**
 * The answer for an error: 400 for bad input, 404 for an unknown name, 503 for a failure worth
 * retrying later; the detail of an internal failure goes to the log only.
 * @param error - anything thrown.
 * @param log - where the internal failure is logged.
 * @param event - the log event's name.
 * @returns the result.
 */
export function errorResult(error: unknown, log: LogSink, event: string): HttpResult {
  const name = error instanceof Error ? error.name : "Error";
  const status = statusByName[name];
  if (status !== undefined) {
    return { status, jsonBody: { error: name, message: (error as Error).message } };
  }
  eventLogger(log).error(event, { error: errorText(error) });
  return {
    status: 503,
    headers: { "Retry-After": "60" },
    jsonBody: {
      error: "ServiceUnavailable",
      message: "the request could not be completed now; try again later (details in the app's log)",
    },
  };
}

/** What could not be loaded, in {@link configurationErrorResult}'s message. */
const unloadable = {
  settings: "the app's settings are invalid",
  configuration: "the app's gateway configuration could not be loaded",
} as const;

/**
 * The answer when the app's own settings or gateway configuration cannot be loaded: the app's
 * fault, not the caller's, so 500 with a pointer to the log; the detail goes to the log only, as
 * `config.invalid` naming the setting.
 * @param error - why loading failed.
 * @param sink - where it is logged.
 * @param at - what was loading it (the event's `at` field).
 * @param what - `settings` or `configuration`.
 * @returns the 500 result.
 */
export function configurationErrorResult(
  error: unknown,
  sink: LogSink,
  at: string,
  what: keyof typeof unloadable,
): HttpResult {
  reportInvalidConfig(eventLogger(sink), error, at);
  return {
    status: 500,
    jsonBody: { error: "ConfigurationError", message: `${unloadable[what]} (details in the app's log)` },
  };
}

/**
 * Runs an HTTP handler's body with the app's services; a failure to build them (a malformed app
 * setting) is the app's fault, so it answers 500 ({@link configurationErrorResult}).
 * @param sink - the invocation's log.
 * @param body - the handler's work.
 * @returns its result.
 */
export async function withAppServices(
  sink: LogSink,
  body: (services: import("./services.js").AppServices) => Promise<HttpResult>,
): Promise<HttpResult> {
  const { appServices } = await import("./services.js");
  let services;
  try {
    services = await appServices();
  } catch (error) {
    return configurationErrorResult(error, sink, "http", "settings");
  }
  try {
    return await body(services);
  } catch (error) {
    return errorResult(error, sink, "http.failed");
  }
}
