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

/** The open watches of one stand-in, for tests that end them or wait for a client to leave. */
export interface OpenWatches {
  /** Ends each open watch when called, as the API server does when a watch's timeout passes. */
  readonly ends: Set<() => void>;
  /** Told when a watch starts following changes (after the events it missed were sent). */
  onOpen(): void;
  /** Told when a watch ended: `client` when the client left, `server` when the stand-in ended it. */
  onEnd(endedBy: "client" | "server"): void;
}

/**
 * Serves one watch until the client leaves, the timeout passes or the stand-in stops.
 * @param stopSignal - aborted when the stand-in closes.
 * @param open - where the watch registers while it is open.
 */
export function serveWatch(
  _request: IncomingMessage,
  response: ServerResponse,
  store: ObjectStore,
  watch: WatchRequest,
  stopSignal: AbortSignal,
  open?: OpenWatches,
): void {
  if (response.destroyed) return; // the client left while the request waited (injected latency)
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
  let stopped = false;
  const stop = (endedBy: "client" | "server" = "server") => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    store.events.off("change", onChange);
    stopSignal.removeEventListener("abort", serverStop);
    open?.ends.delete(serverStop);
    if (!response.writableEnded) response.end();
    open?.onEnd(endedBy);
  };
  const serverStop = () => stop("server");
  store.events.on("change", onChange);
  stopSignal.addEventListener("abort", serverStop);
  open?.ends.add(serverStop);
  response.on("close", () => stop("client"));
  open?.onOpen();
}
