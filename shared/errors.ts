/**
 * The few error types a caller can act on. Tell them apart by `.name` (not `instanceof`),
 * as the Azure SDK does. Everything else is a plain `Error` with a `cause`.
 * No message ever holds a token.
 */

/** Bad input from a person: a file, a flag, a configuration, a payload. CLI exit 2, HTTP 400. */
export class InputError extends Error {
  override name = "InputError" as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Someone else changed the object first (HTTP 409 / resourceVersion precondition): read again. */
export class ConflictError extends Error {
  override name = "ConflictError" as const;
}

/** A permission is missing; the message names it (RBAC action or Kubernetes verb and resource). Not retried. */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError" as const;
  constructor(
    message: string,
    readonly permission: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A named thing (gateway, deployment, secret) does not exist. */
export class NotFoundError extends Error {
  override name = "NotFoundError" as const;
}

/** Another rotation of the same gateway holds the lock: try again later. */
export class LockHeldError extends Error {
  override name = "LockHeldError" as const;
}

/** A rollout did not finish: deadline exceeded in the cluster or our own timeout. */
export class RolloutError extends Error {
  override name = "RolloutError" as const;
}

/**
 * A target cannot be delivered to (pre-flight): missing RBAC verb, immutable Secret, paused or
 * absent Deployment, admission refusal. Found before minting, so nothing was changed. Not retried.
 */
export class PreflightError extends Error {
  override name = "PreflightError" as const;
}

/** Names of errors that retrying cannot fix. */
export const permanentErrorNames: ReadonlySet<string> = new Set([
  "InputError",
  "PermissionDeniedError",
  "NotFoundError",
  "PreflightError",
]);

/** True when the error is worth retrying later (throttling, 5xx, lock held, conflicts, timeouts). */
export function isTransient(error: unknown): boolean {
  return !(error instanceof Error && permanentErrorNames.has(error.name));
}

/**
 * An error as one line for a person: `<name>: <message>`, or just the message for a plain `Error`.
 * No stack trace and no cause (a cause may hold a response body).
 * @param error - anything thrown.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
}
