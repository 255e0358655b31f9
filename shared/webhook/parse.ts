/**
 * Turns a webhook payload into a typed request: Event Grid (validation, Key Vault secret expiry,
 * APIM gateway token expiry), CloudEvents 1.0 (single or batch), the Azure Monitor common alert
 * schema, or a plain `{ "gateway": "<name>", "force": true }`. Anything else is an InputError that
 * says what was expected. The accepted payloads are listed in docs/operations.md.
 */
import { InputError } from "../errors.js";
import { redactTokens } from "../token/redact.js";

/** How a request names the gateway(s) it is about. */
export type GatewayMatch =
  /** The gateway's configured name. */
  | { gatewayName: string }
  /** A Key Vault secret: the vault's name (and host, when the event gives its URL) and the secret name. */
  | { vault: string; vaultHost?: string; secretName: string }
  /** An APIM gateway resource id (`/subscriptions/.../service/<svc>/gateways/<gw>`). */
  | { gatewayResourceId: string }
  /** Alert targets: gateway resource ids, or API Management service ids (every gateway of the service). */
  | { resourceIds: string[] };

/** One rotation asked for by a payload. */
export interface RotateRequest {
  match: GatewayMatch;
  /** The event's id when the payload is an event (deliveries of one event share it). */
  eventId?: string;
  /** What asked, for logs and the response (e.g. `Microsoft.KeyVault.SecretNearExpiry kv/secret`). */
  reason: string;
  /** Rotate even when the token is fresh: only a plain call (or an alert's customProperties) forces. */
  force: boolean;
  /** The expiry the event reports, if any. */
  expiresOn?: Date;
  /** `manual` for a plain call, else `webhook`. */
  origin: "webhook" | "manual";
}

export type WebhookRequest =
  | { kind: "validation"; validationCode: string }
  | {
      kind: "rotate";
      requests: RotateRequest[];
      /** Events of a batch that were not acted on (e.g. an unrelated event type), with why. */
      ignored: string[];
    }
  | { kind: "ignored"; reason: string };

/** Headers as `HttpRequest.headers` gives them. */
export interface HeadersLike {
  get(name: string): string | null;
}

const expected =
  "expected one of: an Event Grid event array (SubscriptionValidationEvent, Microsoft.KeyVault.SecretNearExpiry/SecretExpired, " +
  "Microsoft.ApiManagement.GatewayTokenNearExpiry/GatewayTokenExpired); a CloudEvents 1.0 event or batch with one of those types; " +
  'an Azure Monitor common alert (schemaId "azureMonitorCommonAlertSchema"); or a plain call {"gateway": "<name>", "force": true|false}';

const keyVaultTypes = new Set(["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]);
const apimTypes = new Set([
  "Microsoft.ApiManagement.GatewayTokenNearExpiry",
  "Microsoft.ApiManagement.GatewayTokenExpired",
]);
const validationType = "Microsoft.EventGrid.SubscriptionValidationEvent";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * Classifies a webhook payload.
 * @param headers - the request headers (`aeg-event-type` is checked against the body).
 * @param body - the parsed JSON body.
 * @returns a validation handshake, rotation requests, or an acknowledged-and-ignored payload.
 * @throws InputError naming what was wrong and what was expected.
 */
export function parseWebhook(headers: HeadersLike, body: unknown): WebhookRequest {
  try {
    return classify(headers.get("aeg-event-type")?.trim(), body);
  } catch (error) {
    if (!(error instanceof Error && error.name === "InputError")) throw error;
    throw new InputError(redactTokens(error.message), { cause: error });
  }
}

/** {@link parseWebhook} without redaction: its messages may quote the body (an event type, a gateway name). */
function classify(aegType: string | undefined, body: unknown): WebhookRequest {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new InputError(`webhook body is an empty array; ${expected}`);
    if (body.every((item) => isObject(item) && typeof item.specversion === "string")) {
      return parseCloudEvents(body as Json[]);
    }
    if (body.every((item) => isObject(item) && typeof item.eventType === "string")) {
      return parseEventGrid(body as Json[], aegType);
    }
    throw new InputError(
      `webhook body is an array whose items are not all Event Grid or CloudEvents events; ${expected}`,
    );
  }
  if (!isObject(body)) throw new InputError(`webhook body is not a JSON object or array; ${expected}`);
  if (aegType === "SubscriptionValidation") {
    throw new InputError(
      `aeg-event-type is SubscriptionValidation but the body is not an Event Grid event array; ${expected}`,
    );
  }
  if (typeof body.specversion === "string") return parseCloudEvents([body]);
  if (body.schemaId !== undefined) return parseMonitorAlert(body);
  if ("gateway" in body) return parsePlainCall(body);
  throw new InputError(`webhook body has an unknown shape (keys: ${describeKeys(body)}); ${expected}`);
}

function describeKeys(body: Json): string {
  const keys = Object.keys(body).slice(0, 8);
  return keys.length === 0 ? "none" : keys.map((key) => JSON.stringify(key.slice(0, 40))).join(", ");
}

function parseEventGrid(events: Json[], aegType: string | undefined): WebhookRequest {
  const validation = events.find((event) => event.eventType === validationType);
  if (validation) {
    const code = isObject(validation.data) ? text(validation.data.validationCode) : undefined;
    if (!code) {
      throw new InputError(`Event Grid ${validationType}: expected data.validationCode (a string)`);
    }
    return { kind: "validation", validationCode: code };
  }
  if (aegType === "SubscriptionValidation") {
    throw new InputError(
      `aeg-event-type is SubscriptionValidation but no event has eventType ${validationType}`,
    );
  }
  return collect(
    events.map((event, index) => {
      const where = `Event Grid event [${index}]`;
      return eventToRequest(where, {
        id: text(event.id),
        type: String(event.eventType),
        source: text(event.topic),
        subject: text(event.subject),
        data: event.data,
      });
    }),
  );
}

function parseCloudEvents(events: Json[]): WebhookRequest {
  return collect(
    events.map((event, index) => {
      const where = events.length === 1 ? "CloudEvent" : `CloudEvent [${index}]`;
      if (event.specversion !== "1.0") {
        throw new InputError(
          `${where}: expected specversion "1.0", got ${JSON.stringify(event.specversion)}`,
        );
      }
      const id = text(event.id);
      const type = text(event.type);
      const source = text(event.source);
      if (!id || !type || !source) {
        throw new InputError(`${where}: expected the CloudEvents attributes id, type and source (strings)`);
      }
      return eventToRequest(where, {
        id: `${source}#${id}`,
        type,
        source,
        subject: text(event.subject),
        data: event.data,
      });
    }),
  );
}

interface EventFields {
  id?: string;
  type: string;
  source?: string;
  subject?: string;
  data: unknown;
}

/** A request, or why the event is not one. */
type EventResult = RotateRequest | { ignored: string };

function eventToRequest(where: string, event: EventFields): EventResult {
  const data = isObject(event.data) ? event.data : undefined;
  if (keyVaultTypes.has(event.type)) {
    const vault = text(data?.VaultName) ?? lastSegmentAfter(event.source, "vaults");
    const secretName = text(data?.ObjectName) ?? event.subject;
    if (!vault || !secretName) {
      throw new InputError(`${where} (${event.type}): expected data.VaultName and data.ObjectName (strings)`);
    }
    const vaultHost = hostOf(text(data?.Id));
    return {
      match: vaultHost ? { vault, vaultHost, secretName } : { vault, secretName },
      eventId: event.id,
      reason: `${event.type} ${vault}/${secretName}`,
      force: false,
      expiresOn: parseUnixSeconds(data?.EXP),
      origin: "webhook",
    };
  }
  if (apimTypes.has(event.type)) {
    const gatewayInfo = isObject(data?.gatewayInfo) ? data.gatewayInfo : undefined;
    const subjectGateway = /^\/?gateways\/([^/]+)/i.exec(event.subject ?? "")?.[1];
    const gatewayResourceId =
      text(gatewayInfo?.gatewayId) ??
      (event.source && subjectGateway
        ? `${event.source.replace(/\/+$/, "")}/gateways/${subjectGateway}`
        : undefined);
    if (!gatewayResourceId) {
      throw new InputError(
        `${where} (${event.type}): expected data.gatewayInfo.gatewayId (the gateway's resource id)`,
      );
    }
    const tokenInfo = isObject(data?.tokenInfo) ? data.tokenInfo : undefined;
    return {
      match: { gatewayResourceId },
      eventId: event.id,
      reason: `${event.type} ${gatewayResourceId.split("/").pop()}`,
      force: false,
      expiresOn: parseDate(tokenInfo?.expiresAtUtc ?? tokenInfo?.expiredAtUtc),
      origin: "webhook",
    };
  }
  if (event.type === validationType) {
    throw new InputError(`${where}: a ${validationType} must arrive alone in an Event Grid array`);
  }
  return {
    ignored: `${where}: event type ${JSON.stringify(event.type.slice(0, 100))} is not one this endpoint acts on`,
  };
}

function collect(results: EventResult[]): WebhookRequest {
  const requests = results.filter((result): result is RotateRequest => "match" in result);
  const ignored = results
    .filter((result): result is { ignored: string } => "ignored" in result)
    .map((r) => r.ignored);
  if (requests.length === 0) {
    throw new InputError(`${ignored.join("; ")}; ${expected}`);
  }
  return { kind: "rotate", requests, ignored };
}

function parseMonitorAlert(body: Json): WebhookRequest {
  if (body.schemaId !== "azureMonitorCommonAlertSchema") {
    throw new InputError(
      `Azure Monitor alert: expected schemaId "azureMonitorCommonAlertSchema" (turn on the common alert schema in the action group), got ${JSON.stringify(body.schemaId)}`,
    );
  }
  const data = isObject(body.data) ? body.data : undefined;
  const essentials = isObject(data?.essentials) ? data.essentials : undefined;
  if (!essentials) throw new InputError(`Azure Monitor alert: expected data.essentials (an object)`);
  const condition = text(essentials.monitorCondition);
  const rule = text(essentials.alertRule) ?? "alert";
  if (condition === "Resolved") return { kind: "ignored", reason: `alert ${rule} resolved: nothing to do` };
  if (condition !== "Fired") {
    throw new InputError(
      `Azure Monitor alert: expected data.essentials.monitorCondition "Fired" or "Resolved", got ${JSON.stringify(condition ?? null)}`,
    );
  }
  const custom = isObject(data?.customProperties) ? data.customProperties : {};
  const gatewayName = text(custom.gateway);
  const targets = Array.isArray(essentials.alertTargetIDs)
    ? essentials.alertTargetIDs.filter((id): id is string => typeof id === "string" && id.trim() !== "")
    : [];
  if (!gatewayName && targets.length === 0) {
    throw new InputError(
      `Azure Monitor alert ${rule}: expected the gateway in data.customProperties.gateway or a gateway/service in data.essentials.alertTargetIDs`,
    );
  }
  const alertId = text(essentials.alertId);
  const firedAt = text(essentials.firedDateTime);
  return {
    kind: "rotate",
    ignored: [],
    requests: [
      {
        match: gatewayName ? { gatewayName } : { resourceIds: targets },
        eventId: alertId ? `${alertId}@${firedAt ?? ""}` : undefined,
        reason: `Azure Monitor alert ${rule} fired`,
        force: custom.force === true || custom.force === "true",
        origin: "webhook",
      },
    ],
  };
}

function parsePlainCall(body: Json): WebhookRequest {
  const usage = 'a plain call: expected {"gateway": "<configured name>", "force": true|false}';
  const extra = Object.keys(body).filter((key) => key !== "gateway" && key !== "force");
  if (extra.length > 0) {
    throw new InputError(
      `${usage}; unexpected key(s) ${extra.map((key) => JSON.stringify(key.slice(0, 40))).join(", ")}`,
    );
  }
  const gatewayName = text(body.gateway);
  if (!gatewayName) throw new InputError(`${usage}; "gateway" must be a non-empty string`);
  if (body.force !== undefined && typeof body.force !== "boolean") {
    throw new InputError(`${usage}; "force" must be true or false`);
  }
  return {
    kind: "rotate",
    ignored: [],
    requests: [
      { match: { gatewayName }, reason: "manual call", force: body.force === true, origin: "manual" },
    ],
  };
}

function lastSegmentAfter(resourceId: string | undefined, segment: string): string | undefined {
  if (!resourceId) return undefined;
  const parts = resourceId.split("/");
  const index = parts.findIndex((part) => part.toLowerCase() === segment);
  return index >= 0 ? text(parts[index + 1]) : undefined;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  return new URL(url).host.toLowerCase();
}

/** Unix seconds as a number or a numeric string (Key Vault sends either); anything else is ignored. */
function parseUnixSeconds(value: unknown): Date | undefined {
  const seconds = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN;
  if (typeof value === "string" && value.trim() === "") return undefined;
  if (Number.isFinite(seconds) && seconds > 0) return new Date(seconds * 1000);
  return parseDate(value);
}

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
