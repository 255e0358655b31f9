/**
 * Helpers for `RestError` from the Azure SDK, told apart by shape rather than `instanceof`
 * (several copies of core-rest-pipeline may be loaded).
 */
import { redactText } from "../token/redact.js";

/** What we keep of a failed Azure call: never the request (its body may hold a token). */
export interface RestErrorInfo {
  statusCode?: number;
  code?: string;
  message: string;
}

/**
 * Reads status code, service error code and message from an SDK error.
 * @param error - anything thrown by an SDK call.
 * @returns the status code (if any), the service's error code and its message.
 */
export function restErrorInfo(error: unknown): RestErrorInfo {
  if (typeof error !== "object" || error === null) return { message: String(error) };
  const record = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  return {
    statusCode: typeof record.statusCode === "number" ? record.statusCode : undefined,
    code: typeof record.code === "string" ? record.code : undefined,
    message: typeof record.message === "string" ? record.message : String(error),
  };
}

/**
 * A plain error that carries the status, code and message of an SDK error but not its request or
 * response objects, for use as a `cause`.
 * @param error - anything thrown by an SDK call.
 * @param redact - values that must not appear in the message (e.g. the token being stored).
 * @returns an `Error` named `RestError`.
 */
export function sanitizedCause(error: unknown, redact: ReadonlyArray<string> = []): Error {
  const info = restErrorInfo(error);
  let message = [info.statusCode, info.code].filter((part) => part !== undefined).join(" ");
  message = message ? `${message}: ${info.message}` : info.message;
  message = redactText(message, redact);
  const cause = new Error(message);
  cause.name = error instanceof Error ? error.name : "Error";
  Object.assign(cause, { statusCode: info.statusCode, code: info.code });
  return cause;
}
