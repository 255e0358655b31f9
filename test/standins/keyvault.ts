/**
 * A stand-in for the Key Vault secrets data plane, as `@azure/keyvault-secrets` calls it: the 401
 * challenge flow, set (PUT, a new version), get (current or a version), list versions and list secrets
 * (paged with `nextLink`), update properties (PATCH). HTTPS with the test certificate.
 *
 * Client quirks: `SecretClient` needs HTTPS, and verifies that the vault's host ends with
 * `.<host of the challenge's resource>`. The challenge names the resource after the Host header, as
 * Key Vault does (`https://vault.azure.net` for `*.vault.azure.net`): addressed as {@link
 * KeyVaultStandin.namedVaultUrl} (`https://gateway-guard.vault.localhost:<port>`) the resource is
 * `https://vault.localhost` and the SDK's real verification passes, given a resolver for `*.localhost`
 * (test/standins/localhostLookup.js). Addressed by IP ({@link KeyVaultStandin.vaultUrl}) the resource
 * is `https://vault.azure.net`, which a client must accept with `disableChallengeResourceVerification`
 * (tests only). Any bearer token is accepted unless `acceptToken` says otherwise.
 */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { makeTestCertificate, standinVaultHost } from "./certs.js";
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

export interface KeyVaultStandinOptions {
  /** Tenant named in the challenge; default a fixed fake GUID. */
  tenantId?: string;
  /** Page size of the version and secret lists; default 25 (Key Vault's default `maxresults`). */
  pageSize?: number;
  latencyInMs?: number;
  /** Which bearer tokens are good; default every non-empty one. A bad one gets the 401 challenge. */
  acceptToken?: (token: string) => boolean;
  /** The clock for `created` / `updated`; default `() => new Date()`. */
  now?: () => Date;
}

/** One stored secret version, as a test may inspect it. */
export interface StoredSecretVersion {
  name: string;
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  /** Unix seconds, as Key Vault stores them. */
  exp?: number;
  nbf?: number;
  created: number;
  updated: number;
}

/** A recorded call (never a secret value or a bearer token). */
export interface KeyVaultCall {
  method: string;
  path: string;
  apiVersion?: string;
  status: number;
  /** `set`, `get`, `listVersions`, `list`, `update`, or `unknown`. */
  operation: string;
  secretName?: string;
}

export interface SeedSecretOptions {
  contentType?: string;
  tags?: Record<string, string>;
  expiresOn?: Date;
  notBefore?: Date;
  enabled?: boolean;
}

/** A running Key Vault stand-in. */
export interface KeyVaultStandin {
  /** The vault by IP, e.g. `https://127.0.0.1:41234` (needs `disableChallengeResourceVerification`). */
  readonly vaultUrl: string;
  /**
   * The vault by name, `https://gateway-guard.vault.localhost:<port>`: passes the SDK's challenge
   * verification; the client must resolve the name to 127.0.0.1 (test/standins/localhostLookup.js).
   */
  readonly namedVaultUrl: string;
  readonly port: number;
  readonly calls: KeyVaultCall[];
  latencyInMs: number;
  /** Writes a new version directly (test set-up), as PUT would. */
  seedSecret(name: string, value: string, options?: SeedSecretOptions): StoredSecretVersion;
  /** Every version of a secret, oldest first (the last is the current one). */
  versions(name: string): StoredSecretVersion[];
  /** Fails the next matching requests; a 403 without `body` names the missing permission. */
  failNext(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const secretPath = /^\/secrets(?:\/([^/]+)(?:\/([^/]*))?)?\/?$/;
const apiVersionPattern = /^(7\.\d+(-preview(\.\d+)?)?|20\d\d-\d\d-\d\d(-preview)?)$/;
const namePattern = /^[0-9a-zA-Z-]{1,127}$/;

/** Key Vault RBAC data actions, by operation (what a 403 names). */
export const keyVaultDataActions: Record<string, string> = {
  set: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
  get: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  listVersions: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  list: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  update: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
};

/**
 * Starts the Key Vault stand-in on 127.0.0.1 (HTTPS, random port).
 * @param options - tenant, page size, latency, token check, clock.
 */
export async function startKeyVaultStandin(options: KeyVaultStandinOptions = {}): Promise<KeyVaultStandin> {
  const { key, cert } = await makeTestCertificate();
  const tenantId = options.tenantId ?? "72f988bf-0000-0000-0000-00000000cafe";
  const pageSize = options.pageSize ?? 25;
  const acceptToken = options.acceptToken ?? ((token: string) => token.length > 0);
  const now = options.now ?? (() => new Date());
  const secrets = new Map<string, StoredSecretVersion[]>();
  const faults = new FaultList();
  const calls: KeyVaultCall[] = [];
  const server = await startServer((request) => handle(request), { tls: { key, cert } });

  const vaultUrl = () => server.url;
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  function addVersion(name: string, value: string, opts: SeedSecretOptions): StoredSecretVersion {
    const stamp = seconds(now());
    const version: StoredSecretVersion = {
      name,
      version: randomBytes(16).toString("hex"),
      value,
      contentType: opts.contentType,
      tags: opts.tags,
      enabled: opts.enabled ?? true,
      exp: opts.expiresOn ? seconds(opts.expiresOn) : undefined,
      nbf: opts.notBefore ? seconds(opts.notBefore) : undefined,
      created: stamp,
      updated: stamp,
    };
    const list = secrets.get(name.toLowerCase()) ?? [];
    list.push(version);
    secrets.set(name.toLowerCase(), list);
    return version;
  }

  const standin: KeyVaultStandin = {
    get vaultUrl() {
      return vaultUrl();
    },
    get namedVaultUrl() {
      return `https://${standinVaultHost}:${server.port}`;
    },
    get port() {
      return server.port;
    },
    calls,
    latencyInMs: options.latencyInMs ?? 0,
    seedSecret: (name, value, opts = {}) => addVersion(name, value, opts),
    versions: (name) => [...(secrets.get(name.toLowerCase()) ?? [])],
    failNext: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };

  function attributes(v: StoredSecretVersion) {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    };
  }

  function item(v: StoredSecretVersion, withVersion: boolean, origin: string) {
    return {
      id: `${origin}/secrets/${v.name}${withVersion ? `/${v.version}` : ""}`,
      attributes: attributes(v),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
    };
  }

  function bundle(v: StoredSecretVersion, origin: string) {
    return { value: v.value, ...item(v, true, origin) };
  }

  async function handle(request: StandinRequest): Promise<StandinReply> {
    const match = secretPath.exec(request.path);
    const call: KeyVaultCall = {
      method: request.method,
      path: request.path,
      apiVersion: request.query.get("api-version") ?? undefined,
      status: 0,
      operation: operationOf(request.method, match),
      secretName: match?.[1],
    };
    calls.push(call);
    await delay(standin.latencyInMs);
    const reply = route(request, match, call.operation);
    call.status = reply.status;
    return reply;
  }

  function route(request: StandinRequest, match: RegExpExecArray | null, operation: string): StandinReply {
    const token = bearerToken(request.headers);
    if (!token || !acceptToken(token)) {
      return {
        status: 401,
        headers: {
          "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${challengeResource(request.url.hostname)}"`,
        },
        body: kvError("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
      };
    }
    const apiVersion = request.query.get("api-version");
    if (!apiVersion || !apiVersionPattern.test(apiVersion)) {
      return {
        status: 400,
        body: kvError("BadParameter", `The specified version (${apiVersion ?? "none"}) is not recognized.`),
      };
    }
    const fault = faults.take(request.method, request.path);
    if (fault) return faultReply(fault, operation);
    if (!match || operation === "unknown") {
      return {
        status: 404,
        body: kvError("NotFound", `The stand-in does not serve ${request.method} ${request.path}.`),
      };
    }
    const [, name, version] = match;
    if (name !== undefined && !namePattern.test(name)) {
      return {
        status: 400,
        body: kvError(
          "BadParameter",
          `The request URI contains an invalid name: ${name}. Expected ^[0-9a-zA-Z-]+$.`,
        ),
      };
    }
    switch (operation) {
      case "set":
        return setSecret(request, name);
      case "get": {
        const found = findVersion(name, version);
        if (!found) return notFound(name, version);
        if (!found.enabled) {
          return {
            status: 403,
            body: {
              error: {
                code: "Forbidden",
                message: "Operation get is not allowed on a disabled secret.",
                innererror: { code: "SecretDisabled" },
              },
            },
          };
        }
        return { status: 200, body: bundle(found, request.url.origin) };
      }
      case "update": {
        const found = findVersion(name, version);
        if (!found) return notFound(name, version);
        const body = parseJson(request.body);
        if (!body)
          return { status: 400, body: kvError("BadParameter", "The request body must be a JSON object.") };
        const attrs = (body.attributes ?? {}) as Record<string, unknown>;
        if (typeof attrs.enabled === "boolean") found.enabled = attrs.enabled;
        if (typeof attrs.exp === "number") found.exp = attrs.exp;
        if (typeof attrs.nbf === "number") found.nbf = attrs.nbf;
        if (typeof body.contentType === "string") found.contentType = body.contentType;
        if (body.tags && typeof body.tags === "object") found.tags = body.tags as Record<string, string>;
        found.updated = seconds(now());
        return { status: 200, body: item(found, true, request.url.origin) };
      }
      case "listVersions": {
        const list = secrets.get(name.toLowerCase()) ?? [];
        return page(
          request,
          list.map((v) => item(v, true, request.url.origin)),
        );
      }
      case "list":
        return page(
          request,
          [...secrets.values()].map((list) => item(list[list.length - 1], false, request.url.origin)),
        );
      default:
        return { status: 404, body: kvError("NotFound", "Unknown operation.") };
    }
  }

  function setSecret(request: StandinRequest, name: string): StandinReply {
    const body = parseJson(request.body);
    if (!body || typeof body.value !== "string") {
      return {
        status: 400,
        body: kvError("BadParameter", "Property 'value' is required and must be a string."),
      };
    }
    const attrs = (body.attributes ?? {}) as Record<string, unknown>;
    const tags =
      body.tags && typeof body.tags === "object" ? (body.tags as Record<string, string>) : undefined;
    if (tags && Object.keys(tags).length > 15) {
      return { status: 400, body: kvError("BadParameter", "A secret can have at most 15 tags.") };
    }
    const version = addVersion(name, body.value, {
      contentType: typeof body.contentType === "string" ? body.contentType : undefined,
      tags,
      enabled: typeof attrs.enabled === "boolean" ? attrs.enabled : true,
      expiresOn: typeof attrs.exp === "number" ? new Date(attrs.exp * 1000) : undefined,
      notBefore: typeof attrs.nbf === "number" ? new Date(attrs.nbf * 1000) : undefined,
    });
    return { status: 200, body: bundle(version, request.url.origin) };
  }

  function findVersion(name: string, version: string | undefined): StoredSecretVersion | undefined {
    const list = secrets.get(name.toLowerCase()) ?? [];
    return version ? list.find((v) => v.version === version) : list[list.length - 1];
  }

  function notFound(name: string, version: string | undefined): StandinReply {
    return {
      status: 404,
      body: kvError(
        "SecretNotFound",
        version
          ? `A secret with (name/id) ${name}/${version} was not found in this key vault.`
          : `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
      ),
    };
  }

  function page(request: StandinRequest, all: unknown[]): StandinReply {
    const size = Math.min(pageSize, Number(request.query.get("maxresults") ?? pageSize) || pageSize);
    const skip = Math.max(0, Number(request.query.get("$skiptoken") ?? 0) || 0);
    const value = all.slice(skip, skip + size);
    let nextLink: string | null = null;
    if (skip + size < all.length) {
      const next = new URL(request.url.pathname, request.url.origin);
      next.searchParams.set("api-version", request.query.get("api-version") ?? "");
      next.searchParams.set("$skiptoken", String(skip + size));
      next.searchParams.set("maxresults", String(size));
      nextLink = next.toString();
    }
    return { status: 200, body: { value, nextLink } };
  }

  return standin;
}

/**
 * The resource a 401 challenge names, after the host the client addressed: the host without its
 * first label (`gateway-guard.vault.localhost` → `https://vault.localhost`, as
 * `contoso.vault.azure.net` → `https://vault.azure.net`); `https://vault.azure.net` for an IP address
 * or a name of fewer than three labels.
 * @param hostname - the request's host name, without the port.
 */
export function challengeResource(hostname: string): string {
  const labels = hostname.split(".");
  if (isIP(hostname.replace(/^\[|\]$/g, "")) !== 0 || labels.length < 3) return "https://vault.azure.net";
  return `https://${labels.slice(1).join(".")}`;
}

function faultReply(fault: Fault, operation: string): StandinReply {
  const headers = retryHeaders(fault);
  if (fault.body !== undefined) return { status: fault.status, headers, body: fault.body };
  if (fault.status === 403) {
    const action = keyVaultDataActions[operation] ?? "Microsoft.KeyVault/vaults/secrets/readMetadata/action";
    return {
      status: 403,
      headers,
      body: {
        error: {
          code: "Forbidden",
          message: `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=00000000-0000-0000-0000-00000000c11e;oid=00000000-0000-0000-0000-00000000c11e\r\nAction: '${action}'\r\nResource: 'stand-in vault'\r\nAssignment: (not found)\r\n`,
          innererror: { code: "ForbiddenByRbac" },
        },
      },
    };
  }
  if (fault.status === 429) {
    return {
      status: 429,
      headers,
      body: kvError("Throttled", "Request was not processed because too many requests were received."),
    };
  }
  return {
    status: fault.status,
    headers,
    body: kvError(fault.status >= 500 ? "ServiceUnavailable" : "Fault", `Injected ${fault.status}.`),
  };
}

function operationOf(method: string, match: RegExpExecArray | null): string {
  if (!match) return "unknown";
  const [, name, version] = match;
  if (name === undefined) return method === "GET" ? "list" : "unknown";
  if (version === "versions" && method === "GET") return "listVersions";
  if (method === "PUT" && !version) return "set";
  if (method === "GET") return "get";
  if (method === "PATCH" && version) return "update";
  return "unknown";
}

function kvError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
