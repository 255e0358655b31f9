/**
 * The rotation webhook: classifies the payload, maps it to configured gateways and enqueues one
 * message per gateway. Event Grid validation is answered here; the CloudEvents handshake too.
 */
import { randomUUID } from "node:crypto";
import type { AppSettings } from "../config/appSettings.js";
import type { GuardConfig } from "../config/types.js";
import { errorText, InputError } from "../errors.js";
import { parseWebhook, type HeadersLike } from "../webhook/parse.js";
import { resolveGateways } from "../webhook/resolve.js";
import { configurationErrorResult, errorResult, type HttpResult } from "./http.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** Largest body accepted (Event Grid batches are at most 1 MB; ours are far smaller). */
export const maxWebhookBodyBytes = 256 * 1024;

/** The request as the handler passes it on. */
export interface WebhookInput {
  headers: HeadersLike;
  /** Reads the body; called only when Content-Length does not already exceed the limit. */
  body(): Promise<ArrayBuffer>;
}

/** One enqueued gateway in the 202 answer. */
export interface AcceptedRotation {
  gateway: string;
  requestId: string;
  /** True when this event had already been enqueued (at-least-once delivery). */
  duplicate: boolean;
  reason: string;
}

/**
 * Answers the CloudEvents 1.0 webhook validation handshake (HTTP OPTIONS).
 * @param headers - the request headers.
 * @param settings - the allowed origins.
 * @returns 200 with `WebHook-Allowed-Origin` and `Allow: POST`, 400 without an origin, 403 for one not allowed.
 */
export function handleWebhookOptions(headers: HeadersLike, settings: AppSettings): HttpResult {
  const origin = headers.get("webhook-request-origin")?.trim();
  if (!origin) {
    return {
      status: 400,
      jsonBody: {
        error: "InputError",
        message: "CloudEvents handshake: expected a WebHook-Request-Origin header (e.g. eventgrid.azure.net)",
      },
    };
  }
  const allowed = settings.webhookAllowedOrigins;
  if (allowed.length > 0 && !allowed.includes(origin.toLowerCase())) {
    return {
      status: 403,
      jsonBody: {
        error: "Forbidden",
        message: `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`,
      },
    };
  }
  return {
    status: 200,
    headers: { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*", Allow: "POST" },
  };
}

/**
 * Handles a POST: 200 for a validation or an ignored payload, 202 with the gateways and request
 * ids, 400/404/413 for bad input, 500 only when the app's own configuration cannot be loaded,
 * 503 when the queue cannot be reached.
 * @param services - the app's services.
 * @param input - headers and body.
 * @param sink - the invocation's log.
 * @returns the answer.
 */
export async function handleWebhookPost(
  services: AppServices,
  input: WebhookInput,
  sink: LogSink,
): Promise<HttpResult> {
  const log = eventLogger(sink);
  const tooLarge: HttpResult = {
    status: 413,
    jsonBody: { error: "PayloadTooLarge", message: `the body exceeds ${maxWebhookBodyBytes} bytes` },
  };
  const declared = Number(input.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxWebhookBodyBytes) return tooLarge;

  let payload: unknown;
  try {
    const bytes = await input.body();
    if (bytes.byteLength > maxWebhookBodyBytes) return tooLarge;
    payload = parseJson(new TextDecoder("utf-8", { fatal: false }).decode(bytes));
  } catch (error) {
    return errorResult(error, sink, "webhook.failed");
  }

  let request;
  try {
    request = parseWebhook(input.headers, payload);
  } catch (error) {
    log.warn("webhook.rejected", { error: errorText(error) });
    return errorResult(error, sink, "webhook.failed");
  }
  if (request.kind === "validation") {
    log.info("webhook.validated", {});
    return { status: 200, jsonBody: { validationResponse: request.validationCode } };
  }
  if (request.kind === "ignored") {
    log.info("webhook.ignored", { reason: request.reason });
    return { status: 200, jsonBody: { status: "ignored", reason: request.reason } };
  }

  let config: GuardConfig;
  try {
    config = await services.config();
  } catch (error) {
    return configurationErrorResult(error, sink, "webhook", "configuration");
  }

  let resolution;
  try {
    resolution = resolveGateways(request.requests, config);
  } catch (error) {
    log.warn("webhook.unmatched", { error: errorText(error) });
    return errorResult(error, sink, "webhook.failed");
  }

  const accepted: AcceptedRotation[] = [];
  try {
    const queue = await services.queue();
    for (const { gateway, request: rotate } of resolution.rotations) {
      const result = await queue.send(
        {
          v: 1,
          gateway: gateway.name,
          reason: rotate.origin,
          force: rotate.force,
          requestId: randomUUID(),
        },
        { eventId: rotate.eventId },
      );
      accepted.push({ gateway: gateway.name, ...result, reason: rotate.reason });
      log.info(result.duplicate ? "webhook.duplicate" : "rotation.enqueued", {
        gateway: gateway.name,
        requestId: result.requestId,
        reason: rotate.reason,
        force: rotate.force,
      });
    }
  } catch (error) {
    log.error("webhook.enqueue-failed", {
      error: errorText(error),
      enqueued: accepted.map((a) => a.gateway),
    });
    return {
      status: 503,
      headers: { "Retry-After": "60" },
      jsonBody: {
        error: "ServiceUnavailable",
        message: "the rotation queue could not be reached; try again later",
        accepted,
      },
    };
  }
  return {
    status: 202,
    jsonBody: {
      accepted,
      unmatched: resolution.unmatched.map((r) => r.reason),
      ignored: request.ignored,
    },
  };
}

function parseJson(text: string): unknown {
  if (text.trim() === "") {
    throw new InputError(
      'webhook body is empty: expected a JSON event, event array, alert or {"gateway": ...}',
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`webhook body is not valid JSON (${(error as Error).message.slice(0, 120)})`);
  }
}
