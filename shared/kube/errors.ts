/**
 * Kubernetes API errors (`ApiException` with `.code` and the Status body) turned into the errors a
 * caller can act on: 404 → NotFoundError, 409 → ConflictError, 403 → PermissionDeniedError naming
 * the verb and resource that RBAC denied.
 */
import { ConflictError, NotFoundError, PermissionDeniedError } from "../errors.js";

/** What was being done, for the message and as a fallback when the Status does not say. */
export interface KubeOperation {
  /** RBAC verb: get, list, patch, create, update, delete. */
  verb: string;
  /** Plural resource with its API group, e.g. `secrets`, `deployments.apps`, `leases.coordination.k8s.io`. */
  resource: string;
  namespace: string;
  /** The object's name, when there is one. */
  name?: string;
}

/** The Kubernetes `Status` fields we use. */
interface KubeStatus {
  message?: string;
  reason?: string;
}

/** The HTTP status code of a client-node `ApiException`, or undefined. */
export function kubeStatusCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function statusOf(error: unknown): KubeStatus {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as unknown;
      return typeof parsed === "object" && parsed !== null ? (parsed as KubeStatus) : { message: body };
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return typeof body === "object" && body !== null ? (body as KubeStatus) : {};
}

/** `kind ns/name` or `resource in namespace ns` for messages. */
export function describeOperation(operation: KubeOperation): string {
  return operation.name
    ? `${operation.resource} ${operation.namespace}/${operation.name}`
    : `${operation.resource} in namespace ${operation.namespace}`;
}

/**
 * Maps an error from a client-node call.
 * @param error - what the call threw.
 * @param operation - what the call did.
 * @returns a NotFoundError, ConflictError, PermissionDeniedError, or an Error with the status and a sanitized cause.
 */
export function toKubeError(error: unknown, operation: KubeOperation): Error {
  const code = kubeStatusCode(error);
  if (code === undefined) {
    if (error instanceof Error && (error.name === "AbortError" || error.name === "RolloutError"))
      return error;
    const message = error instanceof Error ? error.message : String(error);
    return new Error(`Kubernetes ${operation.verb} ${describeOperation(operation)} failed: ${message}`, {
      cause: error,
    });
  }
  const status = statusOf(error);
  const cause = Object.assign(
    new Error(`HTTP ${code}${status.reason ? ` ${status.reason}` : ""}: ${status.message ?? ""}`),
    {
      code,
    },
  );
  const what = describeOperation(operation);
  if (code === 404)
    return new NotFoundError(`Not found: ${what}${status.message ? ` (${status.message})` : ""}`, { cause });
  if (code === 409) {
    return new ConflictError(
      `Conflict: ${what} was changed by someone else since it was read; read it again (${status.message ?? "409"})`,
      {
        cause,
      },
    );
  }
  if (code === 403) {
    const permission = deniedPermission(status.message, operation);
    return new PermissionDeniedError(
      `Permission denied: Kubernetes RBAC does not allow "${permission}" in namespace ${operation.namespace}; grant it with a Role bound to the identity running gateway-guard${status.message ? ` (${status.message})` : ""}`,
      permission,
      { cause },
    );
  }
  if (code === 401) {
    return new Error(
      `Kubernetes API refused the credentials (401) for ${operation.verb} ${what}: check the cluster connection`,
      { cause },
    );
  }
  return new Error(
    `Kubernetes ${operation.verb} ${what} failed (HTTP ${code}): ${status.message ?? "no message"}`,
    { cause },
  );
}

/**
 * The `verb resource` RBAC denied, from a Status message such as
 * `secrets "x" is forbidden: User "u" cannot patch resource "secrets" in API group "" in the namespace "ns"`.
 */
export function deniedPermission(message: string | undefined, fallback: KubeOperation): string {
  const match = message?.match(/cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?/);
  if (!match) return `${fallback.verb} ${fallback.resource}`;
  const [, verb, resource, group] = match;
  return `${verb} ${group ? `${resource}.${group}` : resource}`;
}
