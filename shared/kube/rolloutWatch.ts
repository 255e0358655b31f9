/**
 * Follows one Deployment with a watch, as `kubectl rollout status` does: a watch on the namespace's
 * Deployments narrowed to one name by a field selector, from the resourceVersion of a read, with
 * client-node's `Watch` (the kubeconfig's auth and TLS). Each watch has its own connection, with
 * a timeout until the server answers and a deadline a little after the server's own timeout (a
 * silent, half-open connection ends there too); whatever way the watch ends, that connection is
 * closed.
 */
import type { Agent } from "node:http";
import { Watch, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { isRecord } from "../gateway/values.js";

/** The longest one watch is asked to stay open (`timeoutSeconds`); the caller then reads and watches again. */
export const maxWatchTimeoutInSeconds = 60;

/** Options of {@link watchDeployment}. */
export interface WatchDeploymentOptions<T> {
  namespace: string;
  name: string;
  /**
   * Watch from this resourceVersion (a read's), so that no change after the read is missed. Without
   * it the server starts from the current object (sent as `ADDED`).
   */
  resourceVersion?: string;
  /** Asked about every version of the Deployment the watch sees; a result other than undefined ends the watch with it. */
  settle: (deployment: V1Deployment) => T | undefined;
  /** How long the server keeps the watch open (rounded up to seconds, at most {@link maxWatchTimeoutInSeconds}). */
  timeoutInMs: number;
  /** No answer from the server within this ends the watch as `closed` with an error. */
  connectTimeoutInMs: number;
  /**
   * A watch the server has not ended this long after its `timeoutSeconds` ends as `closed` with an
   * error (a dead connection the server cannot end). Default 5000.
   */
  graceInMs?: number;
  /** Ends the watch; the promise then rejects with the signal's reason. */
  abortSignal: AbortSignal;
}

/** How a watch ended. */
export type WatchEnd<T> =
  /** `settle` returned `value`. */
  | { kind: "settled"; value: T }
  /** The Deployment was deleted. */
  | { kind: "deleted" }
  /** The server refuses to watch (403: RBAC without `watch`; 404 or 405: no watch there): poll instead. */
  | { kind: "refused"; statusCode: number }
  /**
   * The watch ended before it settled: the server's timeout (no `error`), an `ERROR` event, a
   * failed or timed-out request. `expired` when the resourceVersion is too old (410): watch from
   * the current object next time.
   */
  | { kind: "closed"; error?: Error; expired?: boolean };

const refusedStatusCodes: ReadonlySet<number> = new Set([403, 404, 405]);

/**
 * Watches one Deployment until `settle` returns a value, it is deleted, or the watch ends. Events
 * without a Deployment (`BOOKMARK`, no object, not an object) are skipped: the caller starts every
 * new watch from a fresh read, so a bookmark's resourceVersion is not needed.
 * @param config - the cluster's config.
 * @param options - which Deployment, from where, what ends the watch, and its timeouts.
 * @returns how the watch ended; its connection is closed by then.
 * @throws the abort signal's reason when it aborts first, or what `settle` threw.
 */
export function watchDeployment<T>(
  config: KubeConfig,
  options: WatchDeploymentOptions<T>,
): Promise<WatchEnd<T>> {
  const { namespace, name, abortSignal } = options;
  const query = {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: options.resourceVersion,
    timeoutSeconds: Math.min(maxWatchTimeoutInSeconds, Math.max(1, Math.ceil(options.timeoutInMs / 1000))),
    allowWatchBookmarks: true,
  };
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    let agent: Agent | undefined;
    let ended = false;
    const silentFor = query.timeoutSeconds * 1000 + (options.graceInMs ?? 5000);
    const deadline = setTimeout(() => {
      const error = new Error(`watch failed: the server did not end it within ${silentFor / 1000}s`);
      end(() => resolve({ kind: "closed", error }));
    }, silentFor);
    const end = (settle: () => void) => {
      if (ended) return;
      ended = true;
      clearTimeout(deadline);
      abortSignal.removeEventListener("abort", onAbort);
      controller?.abort();
      agent?.destroy();
      settle();
    };
    const onAbort = () => end(() => reject(abortSignal.reason));
    const onEvent = (type: string, object: unknown) => {
      if (type === "DELETED") return end(() => resolve({ kind: "deleted" }));
      if (type === "ERROR") return end(() => resolve(errorEvent(object)));
      if ((type !== "ADDED" && type !== "MODIFIED") || !isRecord(object)) return;
      try {
        const value = options.settle(object as V1Deployment);
        if (value !== undefined) end(() => resolve({ kind: "settled", value }));
      } catch (error) {
        end(() => reject(error));
      }
    };
    const onDone = (error: unknown) => {
      const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
      if (typeof statusCode === "number" && refusedStatusCodes.has(statusCode)) {
        return end(() => resolve({ kind: "refused", statusCode }));
      }
      const failure = error
        ? new Error(`watch failed: ${(error as Error).message}`, { cause: error })
        : undefined;
      end(() => resolve({ kind: "closed", error: failure, expired: statusCode === 410 }));
    };
    // Watch reads only these two members: the request gets a timeout until the server answers, and
    // its own connection (`agent`), which `end` closes even before the answer.
    const watchConfig: Pick<KubeConfig, "getCurrentCluster" | "applyToFetchOptions"> = {
      getCurrentCluster: () => config.getCurrentCluster(),
      applyToFetchOptions: async (requestOptions) => {
        const init = await config.applyToFetchOptions(requestOptions);
        abortSignal.throwIfAborted();
        if (init.agent && typeof init.agent === "object") agent = init.agent;
        return { ...init, timeout: options.connectTimeoutInMs };
      },
    };
    if (abortSignal.aborted) return onAbort();
    abortSignal.addEventListener("abort", onAbort, { once: true });
    new Watch(watchConfig as KubeConfig)
      .watch(`/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`, query, onEvent, onDone)
      .then((started) => {
        controller = started;
        if (ended) started.abort();
      }, onDone);
  });
}

/** An `ERROR` event: its Status, as a watch that closed (410 Expired: the resourceVersion is too old). */
function errorEvent(object: unknown): WatchEnd<never> {
  const status = isRecord(object) ? (object as { code?: unknown; message?: unknown }) : {};
  const message = typeof status.message === "string" ? status.message : "no message";
  const code = typeof status.code === "number" ? status.code : undefined;
  return {
    kind: "closed",
    error: Object.assign(new Error(`watch ended with an error (${code ?? "no code"}): ${message}`), { code }),
    expired: code === 410,
  };
}
