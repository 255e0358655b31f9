/**
 * Small helpers shared by the stand-in servers: a JSON server on loopback (HTTP or HTTPS) that closes
 * cleanly, injectable faults, and a fake `TokenCredential` for the SDK clients.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AccessToken, TokenCredential } from "@azure/core-auth";

/** A request as a stand-in's handler sees it (body already read). */
export interface StandinRequest {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body text ("" when none). */
  body: string;
  /** The full request URL, with the server's own origin. */
  url: URL;
}

/** A handler's answer. An object `body` is sent as JSON; a string as is. */
export interface StandinReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type StandinHandler = (request: StandinRequest) => StandinReply | Promise<StandinReply>;

export interface StartServerOptions {
  /** Serve HTTPS with this key and certificate; plain HTTP when absent. */
  tls?: { key: string; cert: string };
  /** Largest accepted body; bigger gets 413. Default 4 MiB. */
  maxBodyInBytes?: number;
}

/** A server listening on 127.0.0.1. */
export interface RunningServer {
  /** Origin, e.g. `https://127.0.0.1:43121`. */
  url: string;
  port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1, on a free port, that calls `handler` for each request.
 * A handler that throws answers 500 with the error's message.
 * @param handler - turns a request into a reply.
 * @param options - TLS and body limit.
 */
export async function startServer(
  handler: StandinHandler,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const maxBody = options.maxBodyInBytes ?? 4 * 1024 * 1024;
  const scheme = options.tls ? "https" : "http";
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert })
    : createHttpServer();

  server.on("request", (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBody) chunks.push(chunk);
    });
    req.on("end", () => {
      const origin = `${scheme}://${req.headers.host ?? "127.0.0.1"}`;
      const url = new URL(req.url ?? "/", origin);
      const request: StandinRequest = {
        method: req.method ?? "GET",
        path: safeDecode(url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        url,
      };
      const reply: Promise<StandinReply> =
        size > maxBody
          ? Promise.resolve({
              status: 413,
              body: { error: { code: "RequestTooLarge", message: "Body too large." } },
            })
          : Promise.resolve()
              .then(() => handler(request))
              .catch((error: unknown) => ({
                status: 500,
                body: {
                  error: { code: "InternalServerError", message: String((error as Error)?.message ?? error) },
                },
              }));
      void reply.then((r) => send(res, r));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: import("node:http").ServerResponse, reply: StandinReply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    headers["content-type"] ??=
      typeof reply.body === "string" ? "text/plain" : "application/json; charset=utf-8";
  }
  headers["content-length"] = String(payload ? Buffer.byteLength(payload) : 0);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** An injected failure: the next `count` matching requests get `status` instead of being served. */
export interface Fault {
  status: number;
  /** How many requests to fail; default 1. `Infinity` fails until {@link FaultList.clear}. */
  count?: number;
  /** Only requests whose path contains this string (or matches this pattern). */
  path?: string | RegExp;
  /** Only requests with this HTTP method. */
  method?: string;
  /** Sent as `Retry-After` (seconds), for 429 and 503. */
  retryAfterInSeconds?: number;
  /** Sent as `retry-after-ms` (which the Azure SDK honours), for fast tests. */
  retryAfterInMs?: number;
  /** Body to send instead of the stand-in's default error body for this status. */
  body?: unknown;
}

/** Injected faults, consumed in the order they were added. */
export class FaultList {
  #faults: Array<Fault & { remaining: number }> = [];

  /** Queues a fault. */
  add(fault: Fault): void {
    this.#faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  /** Removes every queued fault. */
  clear(): void {
    this.#faults = [];
  }

  /** The fault that applies to this request, if any (and counts it as used). */
  take(method: string, path: string): Fault | undefined {
    const index = this.#faults.findIndex(
      (f) =>
        (!f.method || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.path === undefined || (typeof f.path === "string" ? path.includes(f.path) : f.path.test(path))),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}

/** The retry headers a fault asks for. */
export function retryHeaders(fault: Fault): Record<string, string> {
  const headers: Record<string, string> = {};
  if (fault.retryAfterInSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterInSeconds);
  if (fault.retryAfterInMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterInMs);
  return headers;
}

/** The bearer token of a request, or undefined when there is no `Authorization: Bearer <x>`. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/** Resolves after `ms` milliseconds (for injected latency). */
export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * A `TokenCredential` that returns a fixed, fake access token (valid for an hour), and counts
 * the scopes it was asked for.
 * @param token - the fake token; default `"fake-access-token"`.
 */
export function staticTokenCredential(token = "fake-access-token"): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(requested: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(requested) ? requested : [requested]));
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}
