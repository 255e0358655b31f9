/**
 * The real `TokenVault`: Key Vault secrets through `SecretClient`. Each rotation writes a new
 * version with `expiresOn`, a content type and tags (gateway, keyType); `current` reads the latest
 * version's value and tags. Also reads kubeconfigs held in Key Vault.
 */
import { SecretClient, type KeyVaultSecret, type SecretClientOptions } from "@azure/keyvault-secrets";
import type { TokenCredential } from "@azure/identity";
import { NotFoundError, PermissionDeniedError } from "../errors.js";
import type { AbortOptions, KeyType, StoreTokenOptions, StoredToken, TokenVault } from "../rotation/types.js";
import { redactText } from "../token/redact.js";
import { restErrorInfo, sanitizedCause } from "./restError.js";

/** Content type of the secret versions we write. */
export const tokenContentType = "application/vnd.gateway-guard.token";

/** Tags on each version we write. */
export const tokenTags = { gateway: "gateway", keyType: "keyType", managedBy: "managed-by" } as const;

/** What each operation needs: access policy permission, or the RBAC data action and built-in role. */
export const keyVaultPermissions = {
  get: "secrets get (access policy), or Microsoft.KeyVault/vaults/secrets/getSecret/action (role Key Vault Secrets User)",
  set: "secrets set (access policy), or Microsoft.KeyVault/vaults/secrets/setSecret/action (role Key Vault Secrets Officer)",
} as const;

export interface SecretClientsOptions {
  credential: TokenCredential;
  /**
   * Passed to every `SecretClient` (retry, TLS). Tests against a local vault set
   * `disableChallengeResourceVerification`; production code never does.
   */
  clientOptions?: SecretClientOptions;
}

/** One `SecretClient` per vault URL. */
export class SecretClients {
  readonly #options: SecretClientsOptions;
  readonly #clients = new Map<string, SecretClient>();

  constructor(options: SecretClientsOptions) {
    this.#options = options;
  }

  /** The cached client for `vaultUrl`. */
  client(vaultUrl: string): SecretClient {
    const key = vaultUrl.replace(/\/+$/, "").toLowerCase();
    let client = this.#clients.get(key);
    if (!client) {
      client = new SecretClient(vaultUrl, this.#options.credential, this.#options.clientOptions);
      this.#clients.set(key, client);
    }
    return client;
  }

  /** A `TokenVault` on `vaultUrl` that shares this cache. */
  vault(vaultUrl: string): KeyVaultTokenVault {
    return new KeyVaultTokenVault({ client: this.client(vaultUrl) });
  }

  /**
   * Reads a kubeconfig (YAML or JSON text) held in a Key Vault secret.
   * @throws NotFoundError when the secret does not exist, PermissionDeniedError on 403.
   */
  async readKubeconfigSecret(
    vaultUrl: string,
    secretName: string,
    options: AbortOptions = {},
  ): Promise<string> {
    const client = this.client(vaultUrl);
    let secret: KeyVaultSecret;
    try {
      secret = await client.getSecret(secretName, { abortSignal: options.abortSignal });
    } catch (error) {
      throw toKeyVaultError(error, client.vaultUrl, secretName, "get");
    }
    if (!secret.value)
      throw new NotFoundError(
        `Key Vault secret "${secretName}" in ${client.vaultUrl} holds no kubeconfig (empty value)`,
      );
    return secret.value;
  }
}

export interface KeyVaultTokenVaultOptions {
  /** The vault's client (from {@link SecretClients.client}, which caches one per vault). */
  client: SecretClient;
}

/** Gateway tokens in one Key Vault. */
export class KeyVaultTokenVault implements TokenVault {
  readonly #client: SecretClient;

  constructor(options: KeyVaultTokenVaultOptions) {
    this.#client = options.client;
  }

  /** The latest version, or undefined when the secret does not exist. */
  async current(secretName: string, options: AbortOptions = {}): Promise<StoredToken | undefined> {
    let secret: KeyVaultSecret;
    try {
      secret = await this.#client.getSecret(secretName, { abortSignal: options.abortSignal });
    } catch (error) {
      if (restErrorInfo(error).statusCode === 404) return undefined;
      throw toKeyVaultError(error, this.#client.vaultUrl, secretName, "get");
    }
    if (secret.value === undefined) {
      throw new Error(
        `Key Vault secret "${secretName}" in ${this.#client.vaultUrl} has no value (version ${secret.properties.version ?? "unknown"})`,
      );
    }
    return toStoredToken(secret, secret.value);
  }

  /** Writes a new version with `expiresOn`, the content type and tags. */
  async store(secretName: string, token: string, options: StoreTokenOptions): Promise<StoredToken> {
    let secret: KeyVaultSecret;
    try {
      secret = await this.#client.setSecret(secretName, token, {
        expiresOn: options.expiresOn,
        contentType: tokenContentType,
        tags: {
          [tokenTags.gateway]: options.gateway,
          [tokenTags.keyType]: options.keyType,
          [tokenTags.managedBy]: "gateway-guard",
        },
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      throw toKeyVaultError(error, this.#client.vaultUrl, secretName, "set", [token]);
    }
    return {
      ...toStoredToken(secret, token),
      expiresOn: secret.properties.expiresOn ?? options.expiresOn,
      keyType: options.keyType,
    };
  }
}

function toStoredToken(secret: KeyVaultSecret, token: string): StoredToken {
  const keyType = secret.properties.tags?.[tokenTags.keyType];
  return {
    token,
    version: secret.properties.version ?? "",
    expiresOn: secret.properties.expiresOn,
    createdOn: secret.properties.createdOn,
    keyType: keyType === "primary" || keyType === "secondary" ? (keyType as KeyType) : undefined,
  };
}

function toKeyVaultError(
  error: unknown,
  vaultUrl: string,
  secretName: string,
  operation: "get" | "set",
  redact: string[] = [],
): Error {
  const info = restErrorInfo(error);
  const cause = sanitizedCause(error, redact);
  const where = `secret "${secretName}" in Key Vault ${vaultUrl}`;
  if (info.statusCode === 403 && /disabled secret/i.test(info.message)) {
    return new Error(`The current version of ${where} is disabled; enable it or write a new version`, {
      cause,
    });
  }
  if (info.statusCode === 403) {
    const permission = keyVaultPermissions[operation];
    return new PermissionDeniedError(
      `Permission denied: ${operation} of ${where} needs ${permission} for the identity running gateway-guard (${info.code ?? "403"})`,
      permission,
      { cause },
    );
  }
  if (info.statusCode === 404) return new NotFoundError(`Not found: ${where}`, { cause });
  if (error instanceof Error && error.name === "AbortError") return error;
  const status = info.statusCode ? `HTTP ${info.statusCode}` : "no response";
  let message = `Key Vault ${operation} of ${where} failed (${status}): ${info.message}`;
  message = redactText(message, redact);
  return new Error(message, { cause });
}
