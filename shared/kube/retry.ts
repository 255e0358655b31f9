/**
 * The retry policy of every Kubernetes call, after client-go's: each attempt has a timeout; reads and
 * writes that are safe to repeat are retried on 429, 500, 502, 503, 504, a connection reset or refusal
 * and an attempt's timeout, waiting for Retry-After when the server sends one, else an exponential
 * backoff with jitter. A write that is not safe to repeat (a create) gets a timeout but no retry.
 * Retries stop as soon as the caller's abort signal fires.
 */
import type { AbortOptions } from "../rotation/types.js";
import { kubeStatusCode, toKubeError, type KubeOperation } from "./errors.js";

/** How Kubernetes calls are timed out and retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** The first backoff; it doubles with each retry, plus up to 20% jitter. Default 200. */
  baseDelayInMs?: number;
  /** The longest wait between two attempts, for a backoff and for a Retry-After alike. Default 30000. */
  maxDelayInMs?: number;
  /** How long one attempt may take before it is cut (and, if safe, retried). Default 30000. */
  timeoutInMs?: number;
  /** Waits between attempts; rejects with the signal's reason when it aborts. Tests inject one that does not sleep. */
  delay?: (delayInMs: number, abortSignal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Options of one {@link kubeCall}. */
export interface KubeCallOptions extends AbortOptions {
  retry?: RetryOptions;
  /** False for a write that is not safe to repeat (a create): it is tried once. Default true. */
  idempotent?: boolean;
  /** Told of each failure that will be retried, before the wait. */
  onRetry?: (failure: Error, delayInMs: number) => void;
}

/** The defaults of {@link RetryOptions}. */
export const defaultRetryOptions = {
  maxRetries: 4,
  baseDelayInMs: 200,
  maxDelayInMs: 30_000,
  timeoutInMs: 30_000,
} as const satisfies RetryOptions;

const retriedStatusCodes: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
const retriedNetworkCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
]);

/**
 * Runs one Kubernetes call with a timeout per attempt and retries where safe.
 * @param operation - what the call does, for error messages (verb, resource, namespace, name).
 * @param call - makes one attempt; pass its signal to the request (`requestOptions(signal)`).
 * @param options - the caller's abort signal, the policy, and whether the call is safe to repeat.
 * @returns what the call returned.
 * @throws the caller's abort reason when it aborted; else the last failure as `toKubeError` maps it
 *   (NotFoundError, ConflictError, PermissionDeniedError, or an Error naming the status or timeout).
 */
export async function kubeCall<T>(
  operation: KubeOperation,
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: KubeCallOptions = {},
): Promise<T> {
  const policy = { ...defaultRetryOptions, ...options.retry };
  const { abortSignal } = options;
  const maxRetries = options.idempotent === false ? 0 : policy.maxRetries;
  for (let attempt = 0; ; attempt++) {
    if (abortSignal?.aborted) throw abortSignal.reason;
    const timeout = AbortSignal.timeout(policy.timeoutInMs);
    let failure: unknown;
    try {
      return await call(abortSignal ? AbortSignal.any([abortSignal, timeout]) : timeout);
    } catch (error) {
      if (abortSignal?.aborted) throw abortSignal.reason;
      failure = timeout.aborted ? timeoutError(policy.timeoutInMs, error) : error;
    }
    const wait = attempt < maxRetries ? retryDelay(failure, attempt, policy) : undefined;
    if (wait === undefined) throw toKubeError(failure, operation);
    options.onRetry?.(toKubeError(failure, operation), wait);
    await (policy.delay ?? abortableDelay)(wait, abortSignal);
  }
}

/**
 * How long to wait before retrying this failure, or undefined when it is not worth retrying.
 * @param error - what an attempt threw.
 * @param attempt - 0 for the first retry.
 * @param policy - the backoff numbers.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  policy: Pick<RetryOptions, "baseDelayInMs" | "maxDelayInMs" | "random">,
): number | undefined {
  const code = kubeStatusCode(error);
  const retried =
    code === undefined ? isTimeout(error) || isNetworkFailure(error) : retriedStatusCodes.has(code);
  if (!retried) return undefined;
  const retryAfter = retryAfterInMs(error);
  if (retryAfter !== undefined)
    return Math.min(retryAfter, policy.maxDelayInMs ?? defaultRetryOptions.maxDelayInMs);
  return backoffInMs(attempt, policy);
}

/**
 * Capped exponential backoff: `baseDelayInMs` doubled `attempt` times, plus up to 20% jitter, at most
 * `maxDelayInMs` (defaults of {@link defaultRetryOptions}).
 * @param attempt - 0 for the first wait.
 */
export function backoffInMs(
  attempt: number,
  policy: Pick<RetryOptions, "baseDelayInMs" | "maxDelayInMs" | "random">,
): number {
  const base = (policy.baseDelayInMs ?? defaultRetryOptions.baseDelayInMs) * 2 ** attempt;
  const jitter = 1 + 0.2 * (policy.random ?? Math.random)();
  return Math.min(Math.round(base * jitter), policy.maxDelayInMs ?? defaultRetryOptions.maxDelayInMs);
}

/**
 * The Retry-After of a failed call in milliseconds (seconds or an HTTP date), or undefined.
 * @param error - a client-node `ApiException` (its `headers`).
 * @param now - the clock an HTTP date is measured from.
 */
export function retryAfterInMs(error: unknown, now: () => number = Date.now): number | undefined {
  const headers = (error as { headers?: Record<string, unknown> } | undefined)?.headers;
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"];
  if (typeof value !== "string" || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** A failure with no answer from the server that is worth another try (reset, refused, DNS hiccup). */
function isNetworkFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && retriedNetworkCodes.has(code);
}

const timeoutErrorName = "KubeRequestTimeout";

function timeoutError(timeoutInMs: number, cause: unknown): Error {
  const error = new Error(`no answer within ${timeoutInMs} ms`, { cause });
  error.name = timeoutErrorName;
  return error;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === timeoutErrorName;
}

/** Resolves after `delayInMs`; rejects with the signal's reason as soon as it aborts. */
export function abortableDelay(delayInMs: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abortSignal?.aborted) return reject(abortSignal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortSignal?.reason);
    };
    const timer = setTimeout(() => {
      abortSignal?.removeEventListener("abort", onAbort);
      resolve();
    }, delayInMs);
    abortSignal?.addEventListener("abort", onAbort, { once: true });
  });
}
