/**
 * `?watch=true`: a stream of `{"type","object"}` lines, from the current objects (no
 * resourceVersion, or `0`) or from a resourceVersion still in the store's history (else one
 * `ERROR` event with a 410 Expired Status, as the API server does).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KubeObject } from "./objects.js";
import type { ResourceType } from "./resources.js";
import { KubeApiError } from "./status.js";
import type { ObjectStore, StoreChange } from "./store.js";

/** What one watch follows. */
export interface WatchRequest {
  resource: ResourceType;
  namespace?: string;
  matches: (object: KubeObject) => boolean;
  resourceVersion?: string;
  timeoutInMs?: number;
}

/**
 * Serves one watch until the client leaves, the timeout passes or the stand-in stops.
 * @param stopSignal - aborted when the stand-in closes.
 */
export function serveWatch(
  _request: IncomingMessage,
  response: ServerResponse,
  store: ObjectStore,
  watch: WatchRequest,
  stopSignal: AbortSignal,
): void {
  response.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
  response.flushHeaders();
  const inScope = (resource: ResourceType, object: KubeObject) =>
    resource === watch.resource &&
    (!watch.resource.namespaced || !watch.namespace || object.metadata.namespace === watch.namespace) &&
    watch.matches(object);
  const send = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);

  const since = Number(watch.resourceVersion ?? 0);
  if (!since) {
    for (const object of store.list(watch.resource, watch.namespace, watch.matches)) send("ADDED", object);
  } else {
    const missed = store.changesSince(since);
    if (!missed) {
      send(
        "ERROR",
        new KubeApiError(410, `too old resource version: ${since} (${store.resourceVersion})`, {
          reason: "Expired",
        }).status,
      );
      response.end();
      return;
    }
    for (const change of missed)
      if (inScope(change.resource, change.object)) send(change.type, change.object);
  }

  const onChange = (change: StoreChange) => {
    if (inScope(change.resource, change.object)) send(change.type, change.object);
  };
  const timer = watch.timeoutInMs ? setTimeout(() => stop(), watch.timeoutInMs) : undefined;
  const stop = () => {
    clearTimeout(timer);
    store.events.off("change", onChange);
    stopSignal.removeEventListener("abort", stop);
    if (!response.writableEnded) response.end();
  };
  store.events.on("change", onChange);
  stopSignal.addEventListener("abort", stop);
  response.on("close", stop);
}
