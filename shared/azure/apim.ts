/**
 * The real `TokenIssuer`: ARM "Gateway - Generate Token" and "Gateway - Regenerate Key" through
 * `ApiManagementClient` (api-version 2024-05-01). Throttling (429 with Retry-After) and transient
 * 5xx are retried by the SDK pipeline's default retry policy, configured by `retry`.
 */
import { ApiManagementClient, type ApiManagementClientOptionalParams } from "@azure/arm-apimanagement";
import type { TokenCredential } from "@azure/identity";
import { NotFoundError, PermissionDeniedError } from "../errors.js";
import type { ApimGatewayRef } from "../config/types.js";
import type { AbortOptions, KeyType, TokenIssuer } from "../rotation/types.js";
import { restErrorInfo, sanitizedCause } from "./restError.js";

/** The api-version this adapter is written against. */
export const apimApiVersion = "2024-05-01";

/** RBAC actions the issuer needs, by operation. */
export const apimPermissions = {
  read: "Microsoft.ApiManagement/service/gateways/read",
  generateToken: "Microsoft.ApiManagement/service/gateways/generateToken/action",
  regenerateKey: "Microsoft.ApiManagement/service/gateways/regenerateKey/action",
} as const;

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
  /** Passed to `ApiManagementClient` as is (e.g. `tlsOptions` for a test server). */
  clientOptions?: ApiManagementClientOptionalParams;
}

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
    let value: string | undefined;
    try {
      const response = await this.#client(gateway.subscriptionId).gateway.generateToken(
        gateway.resourceGroup,
        gateway.service,
        gateway.gatewayId,
        { keyType, expiry: expiresOn },
        { abortSignal: options.abortSignal },
      );
      value = response.value;
    } catch (error) {
      throw toApimError(error, gateway, "generateToken");
    }
    if (!value) throw new Error(`ARM generateToken for ${describe(gateway)} answered without a token value`);
    return value;
  }

  /** Regenerates `keyType`, invalidating every token signed with it. */
  async revoke(gateway: ApimGatewayRef, keyType: KeyType, options: AbortOptions = {}): Promise<void> {
    try {
      await this.#client(gateway.subscriptionId).gateway.regenerateKey(
        gateway.resourceGroup,
        gateway.service,
        gateway.gatewayId,
        { keyType },
        { abortSignal: options.abortSignal },
      );
    } catch (error) {
      throw toApimError(error, gateway, "regenerateKey");
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

function toApimError(
  error: unknown,
  gateway: ApimGatewayRef,
  operation: "generateToken" | "regenerateKey",
): Error {
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
