/**
 * Injectable faults: RBAC denials per verb and resource, one-off failures with a chosen status,
 * and latency on every request.
 */
import type { ResourceType } from "./resources.js";
import { forbidden, KubeApiError, reasonFor } from "./status.js";

/** A request as the faults see it. */
export interface RequestFacts {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete. */
  verb: string;
  resource: ResourceType;
  namespace?: string;
  name?: string;
  /** The request carries `dryRun=All`. */
  dryRun?: boolean;
}

/** Which requests an RBAC denial covers; omitted fields match everything. */
export interface ForbidRule {
  verb?: string;
  /** Plural (`secrets`), kind (`Secret`) or short name (`deploy`). */
  resource?: string;
  namespace?: string;
  name?: string;
}

/** A failure to answer to the next matching requests. */
export interface FailNextFault {
  /** HTTP status to answer with: 429, 500, 503, ... */
  status: number;
  /** How many matching requests fail. Default 1. */
  count?: number;
  /** Seconds for `Retry-After` (429 and 503). Default 1. */
  retryAfterInSeconds?: number;
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  message?: string;
  /** Only requests with (true) or without (false) `dryRun`; default both. */
  dryRun?: boolean;
  /**
   * Handle the request first, then answer with the failure: the write landed but its answer was
   * lost (a proxy's 500 or 504 after the API server committed).
   */
  landed?: boolean;
}

/** Which requests a connection reset covers; omitted fields match everything. */
export type ResetFault = Omit<FailNextFault, "status" | "retryAfterInSeconds" | "message" | "landed">;

/** A fault to answer with instead of handling the request. */
export interface FaultAnswer {
  error: KubeApiError;
  headers: Record<string, string>;
  /** Answer only after handling the request (see {@link FailNextFault.landed}). */
  landed?: boolean;
  /** Drop the connection without an answer. */
  reset?: boolean;
}

function matchesResource(resource: ResourceType, wanted: string | undefined): boolean {
  if (!wanted) return true;
  const name = wanted.toLowerCase();
  return [resource.plural, resource.singular, resource.kind.toLowerCase(), ...resource.shortNames].includes(
    name,
  );
}

function matches(
  request: RequestFacts,
  rule: { verb?: string; resource?: string; namespace?: string; name?: string; dryRun?: boolean },
): boolean {
  return (
    (!rule.verb || rule.verb === request.verb) &&
    (rule.dryRun === undefined || rule.dryRun === (request.dryRun ?? false)) &&
    matchesResource(request.resource, rule.resource) &&
    (!rule.namespace || rule.namespace === request.namespace) &&
    (!rule.name || rule.name === request.name)
  );
}

/** The faults of one stand-in. */
export class Faults {
  /** Added to every API request before it is handled. */
  latencyInMs = 0;
  private readonly denials = new Set<ForbidRule>();
  private readonly failures: Array<FailNextFault & { remaining: number }> = [];

  /**
   * Denies matching requests with 403, worded as RBAC words it.
   * @returns a function that lifts this denial.
   */
  forbid(rule: ForbidRule): () => void {
    const entry = { ...rule };
    this.denials.add(entry);
    return () => this.denials.delete(entry);
  }

  /** Makes the next `count` matching requests fail with `status`. */
  failNext(fault: FailNextFault): void {
    this.failures.push({ ...fault, remaining: fault.count ?? 1 });
  }

  /** Drops the connection of the next `count` matching requests without an answer (a reset). */
  resetNext(fault: ResetFault): void {
    this.failures.push({ ...fault, status: 0, remaining: fault.count ?? 1 });
  }

  /** Lifts every denial, pending failure and latency. */
  clear(): void {
    this.denials.clear();
    this.failures.length = 0;
    this.latencyInMs = 0;
  }

  /** The fault that answers this request, if any (consumes one pending failure). */
  answerFor(request: RequestFacts, user: string): FaultAnswer | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && matches(request, f));
    if (failure) {
      failure.remaining--;
      if (failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
      const retryAfter = failure.retryAfterInSeconds ?? 1;
      const throttled = failure.status === 429 || failure.status === 503;
      const message =
        failure.message ??
        (failure.status === 429
          ? "Too many requests, please try again later."
          : `stand-in injected failure (${reasonFor(failure.status)})`);
      const error = new KubeApiError(failure.status, message, {
        ...(throttled ? { details: { retryAfterSeconds: retryAfter } } : {}),
      });
      return {
        error,
        headers: throttled ? { "retry-after": String(retryAfter) } : {},
        ...(failure.landed ? { landed: true } : {}),
        ...(failure.status === 0 ? { reset: true } : {}),
      };
    }
    for (const rule of this.denials) {
      if (matches(request, rule)) {
        return {
          error: forbidden(request.resource, request.verb, user, request.namespace, request.name),
          headers: {},
        };
      }
    }
    return undefined;
  }
}
