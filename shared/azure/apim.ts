/**
 * The real `TokenIssuer`: ARM "Gateway - Generate Token", "Gateway - Regenerate Key" and "Gateway -
 * List Keys" through `ApiManagementClient` (api-version 2024-05-01). Throttling (429 with
 * Retry-After), 408, transient 5xx and connection resets are retried by the SDK pipeline's retry
 * policy, configured by `retry`; every call, retries included, is bounded by `timeoutInMs`. A retried
 * generateToken at worst mints a token that is never stored, which is harmless.
 */
import { ApiManagementClient, type ApiManagementClientOptionalParams } from "@azure/arm-apimanagement";
import type { TokenCredential } from "@azure/identity";
import { NotFoundError, PermissionDeniedError } from "../errors.js";
import type { ApimGatewayRef } from "../config/types.js";
import type { AbortOptions, KeyType, TokenIssuer } from "../rotation/types.js";
import { restErrorInfo, sanitizedCause } from "./restError.js";
import { signingKeyOf } from "./tokenSignature.js";

/** The api-version this adapter is written against. */
export const apimApiVersion = "2024-05-01";

/** RBAC actions the issuer needs, by operation (it never reads a gateway: no `gateways/read`). */
export const apimPermissions = {
  generateToken: "Microsoft.ApiManagement/service/gateways/generateToken/action",
  regenerateKey: "Microsoft.ApiManagement/service/gateways/regenerateKey/action",
  /** Only with revocation on, to tell which key signed a token whose Secret does not say. */
  listKeys: "Microsoft.ApiManagement/service/gateways/listKeys/action",
} as const;

type ApimOperation = "generateToken" | "regenerateKey" | "listKeys";

export interface ApimRetryOptions {
  /** Default 5. */
  maxRetries?: number;
  /** Base of the exponential backoff for 5xx and network errors. Default 1000. */
  retryDelayInMs?: number;
  /** Cap of the exponential backoff. Default 30000. (A 429's Retry-After is honoured as sent.) */
  maxRetryDelayInMs?: number;
}

export interface ApimTokenIssuerOptions {
  credential: TokenCredential;
  /** ARM endpoint (sovereign clouds, tests). Default https://management.azure.com. */
  endpoint?: string;
  retry?: ApimRetryOptions;
  /** Bound of one call, its retries included. Default 120000. */
  timeoutInMs?: number;
  /** Passed to `ApiManagementClient` as is (e.g. `tlsOptions` for a test server). */
  clientOptions?: ApiManagementClientOptionalParams;
}

const defaultTimeoutInMs = 120_000;

const defaultRetry: Required<ApimRetryOptions> = {
  maxRetries: 5,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 30_000,
};

/** Mints and revokes gateway tokens with the ARM SDK; one client per subscription. */
export class ApimTokenIssuer implements TokenIssuer {
  readonly #options: ApimTokenIssuerOptions;
  readonly #clients = new Map<string, ApiManagementClient>();

  constructor(options: ApimTokenIssuerOptions) {
    this.#options = options;
  }

  /**
   * Generates a token signed with `keyType` that expires at `expiresOn`.
   * @returns the raw token (without `GatewayKey `).
   */
  async mint(
    gateway: ApimGatewayRef,
    keyType: KeyType,
    expiresOn: Date,
    options: AbortOptions = {},
  ): Promise<string> {
    const { value } = await this.#call(gateway, "generateToken", options, (client, abortSignal) =>
      client.gateway.generateToken(
        gateway.resourceGroup,
        gateway.service,
        gateway.gatewayId,
        { keyType, expiry: expiresOn },
        { abortSignal },
      ),
    );
    if (!value) throw new Error(`ARM generateToken for ${describe(gateway)} answered without a token value`);
    return value;
  }

  /** Regenerates `keyType`, invalidating every token signed with it. */
  async revoke(gateway: ApimGatewayRef, keyType: KeyType, options: AbortOptions = {}): Promise<void> {
    await this.#call(gateway, "regenerateKey", options, (client, abortSignal) =>
      client.gateway.regenerateKey(
        gateway.resourceGroup,
        gateway.service,
        gateway.gatewayId,
        { keyType },
        { abortSignal },
      ),
    );
  }

  /**
   * Which of the gateway's current keys signed `token` ("Gateway - List Keys", then the signature
   * recomputed under each key). The keys never leave this method.
   * @returns the key type, or undefined when neither current key signed it (it no longer validates)
   */
  async identifyKey(
    gateway: ApimGatewayRef,
    token: string,
    options: AbortOptions = {},
  ): Promise<KeyType | undefined> {
    const keys = await this.#call(gateway, "listKeys", options, (client, abortSignal) =>
      client.gateway.listKeys(gateway.resourceGroup, gateway.service, gateway.gatewayId, { abortSignal }),
    );
    if (!keys.primary || !keys.secondary) {
      throw new Error(`ARM listKeys for ${describe(gateway)} answered without both keys`);
    }
    return signingKeyOf(token, { primary: keys.primary, secondary: keys.secondary });
  }

  /** One ARM call, bounded by `timeoutInMs` and the caller's signal, its errors made readable. */
  async #call<T>(
    gateway: ApimGatewayRef,
    operation: ApimOperation,
    options: AbortOptions,
    send: (client: ApiManagementClient, abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const timeoutInMs = this.#options.timeoutInMs ?? defaultTimeoutInMs;
    const timeout = AbortSignal.timeout(timeoutInMs);
    const abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout;
    try {
      return await send(this.#client(gateway.subscriptionId), abortSignal);
    } catch (error) {
      if (timeout.aborted && !options.abortSignal?.aborted) {
        throw new Error(
          `ARM ${operation} for ${describe(gateway)} did not answer within ${timeoutInMs / 1000}s (retries included)`,
        );
      }
      throw toApimError(error, gateway, operation);
    }
  }

  #client(subscriptionId: string): ApiManagementClient {
    let client = this.#clients.get(subscriptionId);
    if (!client) {
      const { credential, endpoint, retry, clientOptions } = this.#options;
      client = new ApiManagementClient(credential, subscriptionId, {
        ...clientOptions,
        apiVersion: apimApiVersion,
        ...(endpoint ? { endpoint: endpoint.replace(/\/+$/, "") } : {}),
        retryOptions: { ...defaultRetry, ...clientOptions?.retryOptions, ...retry },
      });
      this.#clients.set(subscriptionId, client);
    }
    return client;
  }
}

function describe(gateway: ApimGatewayRef): string {
  return `gateway "${gateway.gatewayId}" of API Management service "${gateway.service}" (resource group "${gateway.resourceGroup}", subscription ${gateway.subscriptionId})`;
}

function toApimError(error: unknown, gateway: ApimGatewayRef, operation: ApimOperation): Error {
  const info = restErrorInfo(error);
  const cause = sanitizedCause(error);
  if (info.statusCode === 403) {
    const permission = apimPermissions[operation];
    return new PermissionDeniedError(
      `Permission denied: ${operation} on ${describe(gateway)} needs the Azure RBAC action ${permission} for the identity running gateway-guard (${info.code ?? "403"})`,
      permission,
      { cause },
    );
  }
  if (info.statusCode === 404) {
    return new NotFoundError(`Not found: ${describe(gateway)} (${info.code ?? "404"}: ${info.message})`, {
      cause,
    });
  }
  if (error instanceof Error && error.name === "AbortError") return error;
  const status = info.statusCode ? `HTTP ${info.statusCode}` : "no response";
  return new Error(`ARM ${operation} for ${describe(gateway)} failed (${status}): ${info.message}`, {
    cause,
  });
}
