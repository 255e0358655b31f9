/**
 * A stand-in for the Azure Resource Manager endpoints of API Management gateways that
 * `@azure/arm-apimanagement` 10.0.0 calls (api-version 2024-05-01): get (and HEAD), list (paged with
 * `nextLink`), generateToken, regenerateKey (204) and listKeys. HTTPS with the test certificate;
 * any `Authorization: Bearer <x>` is accepted, none gets 401.
 *
 * Tokens are really signed, as Microsoft's samples document API Management's tokens: each gateway
 * has a random primary and secondary key (strings, as listKeys returns them), and a token is
 * `<gw>&<yyyyMMddHHmm expiry UTC>&<base64 HMAC-SHA512(UTF-8 key, "<gw>\n<expiry as 2025-03-30T00:00:00.0000000Z>")>`
 * (shared/azure/tokenSignature.ts), so that regenerating a key truly invalidates the tokens signed
 * with it ({@link ArmStandin.isValid}).
 */
import { randomBytes } from "node:crypto";
import { signingKeyOf, tokenSignature } from "../../shared/azure/tokenSignature.js";
import { makeTestCertificate } from "./certs.js";
import {
  FaultList,
  bearerToken,
  delay,
  retryHeaders,
  startServer,
  type Fault,
  type StandinReply,
  type StandinRequest,
} from "./http.js";

export type GatewayKeyType = "primary" | "secondary";

/** Where a gateway lives in ARM. */
export interface ArmGatewayRef {
  subscriptionId: string;
  resourceGroup: string;
  service: string;
  gatewayId: string;
}

export interface AddGatewayOptions {
  description?: string;
  /** `properties.locationData.name`; default "local". */
  location?: string;
}

export interface ArmStandinOptions {
  /** Page size of the gateway list; default 100 (ARM's default for APIM collections). */
  pageSize?: number;
  /** Added before every response. */
  latencyInMs?: number;
  /** Accepted `api-version` values; default the stable versions the SDKs use. */
  apiVersions?: string[];
  /** The clock used for token expiry and validation; default `() => new Date()`. */
  now?: () => Date;
}

/** A recorded call (never a token or key). */
export interface ArmCall {
  method: string;
  path: string;
  apiVersion?: string;
  status: number;
  /** The operation: `get`, `list`, `generateToken`, `regenerateKey`, `listKeys`, or `unknown`. */
  operation: string;
  gatewayId?: string;
  keyType?: string;
  expiry?: string;
}

/** What {@link ArmStandin.isValid} found. */
export type ArmTokenCheck =
  | { valid: true; gatewayId: string; keyType: GatewayKeyType; expiresOn: Date }
  | {
      valid: false;
      reason: "malformed" | "unknown-gateway" | "bad-signature" | "expired";
      gatewayId?: string;
      keyType?: GatewayKeyType;
      expiresOn?: Date;
    };

/** A running ARM stand-in. */
export interface ArmStandin {
  /** The endpoint to give `ApiManagementClient` (`{ endpoint }`). */
  readonly endpoint: string;
  readonly port: number;
  /** Every call served, oldest first (no token or key in it). */
  readonly calls: ArmCall[];
  /** Latency added before every response; may be changed at any time. */
  latencyInMs: number;
  /** Seeds a gateway with fresh random keys. Adding an existing one keeps its keys. */
  addGateway(gateway: ArmGatewayRef, options?: AddGatewayOptions): void;
  /** Whether a token (with or without `GatewayKey `) is signed by a current key and not expired. */
  isValid(token: string): ArmTokenCheck;
  /** Replaces a key, as `regenerateKey` does. */
  regenerateKey(gateway: ArmGatewayRef, keyType: GatewayKeyType): void;
  /** Fails the next matching requests (429, 5xx, 403 ...), see {@link Fault}. */
  failNext(fault: Fault): void;
  /** Removes every injected fault. */
  clearFaults(): void;
  close(): Promise<void>;
}

const defaultApiVersions = ["2021-08-01", "2022-08-01", "2023-05-01-preview", "2024-05-01"];
const maxTokenLifetimeInMs = 30 * 24 * 60 * 60 * 1000;
const actionPrefix = "Microsoft.ApiManagement/service/gateways";
const gatewayPath =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)\/gateways(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/i;

interface GatewayState {
  ref: ArmGatewayRef;
  description: string;
  location: string;
  keys: Record<GatewayKeyType, string>;
  etag: number;
}

/**
 * Starts the ARM stand-in on 127.0.0.1 (HTTPS, random port).
 * @param options - page size, latency, accepted api-versions, clock.
 */
export async function startArmStandin(options: ArmStandinOptions = {}): Promise<ArmStandin> {
  const { key, cert } = await makeTestCertificate();
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 100;
  const apiVersions = new Set(options.apiVersions ?? defaultApiVersions);
  const gateways = new Map<string, GatewayState>();
  const services = new Set<string>();
  const faults = new FaultList();
  const calls: ArmCall[] = [];
  const server = await startServer((request) => handle(request), { tls: { key, cert } });

  const serviceKey = (sub: string, rg: string, svc: string) => [sub, rg, svc].join("/").toLowerCase();
  const gatewayKey = (sub: string, rg: string, svc: string, gw: string) =>
    `${serviceKey(sub, rg, svc)}/${gw.toLowerCase()}`;
  const refKey = (ref: ArmGatewayRef) =>
    gatewayKey(ref.subscriptionId, ref.resourceGroup, ref.service, ref.gatewayId);

  const standin: ArmStandin = {
    get endpoint() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    calls,
    latencyInMs: options.latencyInMs ?? 0,
    addGateway(ref, gatewayOptions = {}) {
      services.add(serviceKey(ref.subscriptionId, ref.resourceGroup, ref.service));
      if (gateways.has(refKey(ref))) return;
      gateways.set(refKey(ref), {
        ref: { ...ref },
        description: gatewayOptions.description ?? `${ref.gatewayId} (stand-in)`,
        location: gatewayOptions.location ?? "local",
        keys: { primary: newKey(), secondary: newKey() },
        etag: 1,
      });
    },
    isValid(token) {
      return checkToken(token);
    },
    regenerateKey(ref, keyType) {
      const state = gateways.get(refKey(ref));
      if (!state) throw new Error(`No gateway ${ref.gatewayId} in the ARM stand-in.`);
      state.keys[keyType] = newKey();
      state.etag += 1;
    },
    failNext(fault) {
      faults.add(fault);
    },
    clearFaults() {
      faults.clear();
    },
    close: () => server.close(),
  };

  function checkToken(raw: string): ArmTokenCheck {
    const token = raw.trim().replace(/^GatewayKey\s+/, "");
    const fields = token.split("&");
    if (fields.length !== 3) return { valid: false, reason: "malformed" };
    const [gatewayId, stamp, signature] = fields;
    const expiresOn = parseStamp(stamp);
    if (!expiresOn || !signature) return { valid: false, reason: "malformed", gatewayId };
    const candidates = [...gateways.values()].filter(
      (g) => g.ref.gatewayId.toLowerCase() === gatewayId.toLowerCase(),
    );
    if (candidates.length === 0) return { valid: false, reason: "unknown-gateway", gatewayId, expiresOn };
    for (const candidate of candidates) {
      const keyType = signingKeyOf(token, candidate.keys);
      if (keyType) {
        return now().getTime() < expiresOn.getTime()
          ? { valid: true, gatewayId, keyType, expiresOn }
          : { valid: false, reason: "expired", gatewayId, keyType, expiresOn };
      }
    }
    return { valid: false, reason: "bad-signature", gatewayId, expiresOn };
  }

  async function handle(request: StandinRequest): Promise<StandinReply> {
    const call: ArmCall = {
      method: request.method,
      path: request.path,
      apiVersion: request.query.get("api-version") ?? undefined,
      status: 0,
      operation: "unknown",
    };
    calls.push(call);
    await delay(standin.latencyInMs);
    const reply = await route(request, call);
    call.status = reply.status;
    return reply;
  }

  async function route(request: StandinRequest, call: ArmCall): Promise<StandinReply> {
    const match = gatewayPath.exec(request.path);
    const [, sub, rg, svc, gw, action] = match ?? [];
    call.gatewayId = gw;
    call.operation = operationOf(request.method, gw, action);

    if (!bearerToken(request.headers)) {
      return {
        status: 401,
        headers: {
          "www-authenticate":
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
        },
        body: armError(
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
        ),
      };
    }
    const apiVersion = request.query.get("api-version");
    if (!apiVersion) {
      return {
        status: 400,
        body: armError(
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required for all requests.",
        ),
      };
    }
    if (!apiVersions.has(apiVersion)) {
      return {
        status: 400,
        body: armError(
          "InvalidApiVersionParameter",
          `The api-version '${apiVersion}' is invalid. The supported versions are '${[...apiVersions].join(",")}'.`,
        ),
      };
    }

    const fault = faults.take(request.method, request.path);
    if (fault) return faultReply(fault, request, call);

    if (!match || call.operation === "unknown") {
      return {
        status: 404,
        body: armError("NotFound", `The stand-in does not serve ${request.method} ${request.path}.`),
      };
    }
    if (!services.has(serviceKey(sub, rg, svc))) {
      return {
        status: 404,
        body: armError(
          "ResourceNotFound",
          `The Resource 'Microsoft.ApiManagement/service/${svc}' under resource group '${rg}' was not found.`,
        ),
      };
    }
    if (call.operation === "list") return listGateways(request, sub, rg, svc);

    const state = gateways.get(gatewayKey(sub, rg, svc, gw));
    if (!state) return { status: 404, body: armError("ResourceNotFound", "Gateway not found.") };

    switch (call.operation) {
      case "get":
        return { status: 200, headers: { etag: etagOf(state) }, body: gatewayContract(state) };
      case "listKeys":
        return {
          status: 200,
          headers: { etag: etagOf(state) },
          body: { primary: state.keys.primary, secondary: state.keys.secondary },
        };
      case "regenerateKey": {
        const body = parseJson(request.body);
        const keyType = validKeyType(body?.keyType);
        call.keyType = typeof body?.keyType === "string" ? body.keyType : undefined;
        if (!keyType) return keyTypeError(body?.keyType);
        state.keys[keyType] = newKey();
        state.etag += 1;
        return { status: 204 };
      }
      case "generateToken": {
        const body = parseJson(request.body);
        call.keyType = typeof body?.keyType === "string" ? body.keyType : undefined;
        call.expiry = typeof body?.expiry === "string" ? body.expiry : undefined;
        const keyType = validKeyType(body?.keyType);
        if (!keyType) return keyTypeError(body?.keyType);
        const expiry = typeof body?.expiry === "string" ? new Date(body.expiry) : undefined;
        if (!expiry || Number.isNaN(expiry.getTime())) {
          return {
            status: 400,
            body: armError(
              "ValidationError",
              "'expiry' is required and must be an ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z.",
            ),
          };
        }
        const current = now().getTime();
        if (expiry.getTime() <= current) {
          return { status: 400, body: armError("ValidationError", "'expiry' must be in the future.") };
        }
        if (expiry.getTime() > current + maxTokenLifetimeInMs) {
          return {
            status: 400,
            body: armError("ValidationError", "'expiry' must be no more than 30 days from the current time."),
          };
        }
        const stamp = formatStamp(expiry);
        const signature = tokenSignature(state.keys[keyType], state.ref.gatewayId, expiry);
        const value = `${state.ref.gatewayId}&${stamp}&${signature}`;
        return { status: 200, body: { value } };
      }
      default:
        return { status: 404, body: armError("NotFound", "Unknown operation.") };
    }
  }

  function listGateways(request: StandinRequest, sub: string, rg: string, svc: string): StandinReply {
    const prefix = `${serviceKey(sub, rg, svc)}/`;
    const all = [...gateways.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, state]) => state)
      .sort((a, b) => a.ref.gatewayId.localeCompare(b.ref.gatewayId));
    const skip = Math.max(0, Number(request.query.get("$skip") ?? 0) || 0);
    const top = Number(request.query.get("$top") ?? 0) || undefined;
    const remaining = top === undefined ? all.length - skip : Math.min(top, all.length - skip);
    const size = Math.min(pageSize, Math.max(0, remaining));
    const page = all.slice(skip, skip + size);
    const body: { value: unknown[]; count: number; nextLink?: string } = {
      value: page.map(gatewayContract),
      count: all.length,
    };
    if (remaining > size) {
      const next = new URL(request.url.pathname, standin.endpoint);
      next.searchParams.set("api-version", request.query.get("api-version") ?? "");
      next.searchParams.set("$skip", String(skip + size));
      if (top !== undefined) next.searchParams.set("$top", String(top - size));
      body.nextLink = next.toString();
    }
    return { status: 200, body };
  }

  function faultReply(fault: Fault, request: StandinRequest, call: ArmCall): StandinReply {
    const headers = retryHeaders(fault);
    if (fault.body !== undefined) return { status: fault.status, headers, body: fault.body };
    if (fault.status === 403) {
      const action = actionOf(call.operation);
      return {
        status: 403,
        headers,
        body: armError(
          "AuthorizationFailed",
          `The client '00000000-0000-0000-0000-00000000c11e' with object id '00000000-0000-0000-0000-00000000c11e' does not have authorization to perform action '${action}' over scope '${request.path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        ),
      };
    }
    if (fault.status === 429) {
      return {
        status: 429,
        headers,
        body: armError(
          "TooManyRequests",
          "The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00.",
        ),
      };
    }
    if (fault.status >= 500) {
      return {
        status: fault.status,
        headers,
        body: armError(
          fault.status === 503 ? "ServiceUnavailable" : "InternalServerError",
          "The service is temporarily unavailable (stand-in fault).",
        ),
      };
    }
    return { status: fault.status, headers, body: armError("Fault", `Injected ${fault.status}.`) };
  }

  return standin;
}

function operationOf(method: string, gatewayId: string | undefined, action: string | undefined): string {
  const lowered = action?.toLowerCase();
  if (method === "GET" && gatewayId === undefined) return "list";
  if ((method === "GET" || method === "HEAD") && gatewayId !== undefined && !action) return "get";
  if (method === "POST" && lowered === "generatetoken") return "generateToken";
  if (method === "POST" && lowered === "regeneratekey") return "regenerateKey";
  if (method === "POST" && lowered === "listkeys") return "listKeys";
  return "unknown";
}

function actionOf(operation: string): string {
  switch (operation) {
    case "generateToken":
    case "regenerateKey":
    case "listKeys":
      return `${actionPrefix}/${operation}/action`;
    default:
      return `${actionPrefix}/read`;
  }
}

function gatewayContract(state: GatewayState): Record<string, unknown> {
  const { subscriptionId, resourceGroup, service, gatewayId } = state.ref;
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/${service}/gateways/${gatewayId}`,
    type: "Microsoft.ApiManagement/service/gateways",
    name: gatewayId,
    properties: { description: state.description, locationData: { name: state.location } },
  };
}

function etagOf(state: GatewayState): string {
  return `"AAAAAAAA${state.etag.toString(16).padStart(4, "0")}="`;
}

function armError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function keyTypeError(value: unknown): StandinReply {
  return {
    status: 400,
    body: armError(
      "ValidationError",
      `'keyType' must be 'primary' or 'secondary'${value === undefined ? " and is required" : `, got ${JSON.stringify(value)}`}.`,
    ),
  };
}

function validKeyType(value: unknown): GatewayKeyType | undefined {
  return value === "primary" || value === "secondary" ? value : undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A gateway key as ARM shows it: 64 random bytes, base64. */
function newKey(): string {
  return randomBytes(64).toString("base64");
}

/** `yyyyMMddHHmm` in UTC. */
function formatStamp(date: Date): string {
  const iso = date.toISOString();
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16);
}

function parseStamp(stamp: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`);
  return Number.isNaN(date.getTime()) || formatStamp(date) !== stamp ? undefined : date;
}
