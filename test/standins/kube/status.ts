/**
 * `Status` objects as the API server sends them for failures, and an error type that carries one
 * through the stand-in's code to the HTTP answer.
 */
import { qualifiedName, type ResourceType } from "./resources.js";

/** A `metav1.Status` body. */
export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; retryAfterSeconds?: number };
  code: number;
}

const reasons: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The reason the API server gives for an HTTP status code. */
export function reasonFor(code: number): string {
  return reasons[code] ?? (code >= 500 ? "InternalError" : "BadRequest");
}

/** An API failure: thrown inside the stand-in, answered as a `Status`. */
export class KubeApiError extends Error {
  override name = "KubeApiError" as const;
  readonly status: StatusBody;
  constructor(
    code: number,
    message: string,
    options: { reason?: string; details?: StatusBody["details"] } = {},
  ) {
    super(message);
    this.status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason: options.reason ?? reasonFor(code),
      ...(options.details ? { details: options.details } : {}),
      code,
    };
  }
}

function details(resource: ResourceType, name: string | undefined): StatusBody["details"] {
  return {
    ...(name ? { name } : {}),
    ...(resource.group ? { group: resource.group } : {}),
    kind: resource.plural,
  };
}

/** `secrets "x" not found`. */
export function notFound(resource: ResourceType, name: string): KubeApiError {
  return new KubeApiError(404, `${qualifiedName(resource)} "${name}" not found`, {
    details: details(resource, name),
  });
}

/** `secrets "x" already exists`. */
export function alreadyExists(resource: ResourceType, name: string): KubeApiError {
  return new KubeApiError(409, `${qualifiedName(resource)} "${name}" already exists`, {
    reason: "AlreadyExists",
    details: details(resource, name),
  });
}

/** The optimistic-concurrency conflict on a stale `resourceVersion`. */
export function conflict(resource: ResourceType, name: string): KubeApiError {
  return new KubeApiError(
    409,
    `Operation cannot be fulfilled on ${qualifiedName(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { details: details(resource, name) },
  );
}

/** A field that fails validation (HTTP 422). */
export function invalid(resource: ResourceType, name: string, field: string, why: string): KubeApiError {
  return new KubeApiError(422, `${resource.kind} "${name}" is invalid: ${field}: ${why}`, {
    details: details(resource, name),
  });
}

/** A body the server cannot decode as the resource (HTTP 400). */
export function cannotDecode(resource: ResourceType, why: string): KubeApiError {
  return new KubeApiError(
    400,
    `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: ${why}`,
  );
}

/** The RBAC denial, worded as the API server words it. */
export function forbidden(
  resource: ResourceType,
  verb: string,
  user: string,
  namespace: string | undefined,
  name: string | undefined,
): KubeApiError {
  const subject = name ? `${qualifiedName(resource)} "${name}"` : qualifiedName(resource);
  const scope = namespace ? `in the namespace "${namespace}"` : "at the cluster scope";
  return new KubeApiError(
    403,
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.plural}" in API group "${resource.group}" ${scope}`,
    { details: details(resource, name) },
  );
}
