/**
 * The real `TokenVault`: Key Vault secrets through `SecretClient`. Each rotation writes a new
 * version with `expiresOn`, a content type and tags (gateway, keyType); `current` reads the latest
 * version's value and tags. Also reads kubeconfigs held in Key Vault.
 *
 * Retries are the SDK pipeline's: 429 and 503 with Retry-After (or retry-after-ms) wait as told;
 * 408, 5xx (except 501 and 505) and connection failures back off exponentially ({@link
 * defaultKeyVaultRetryOptions}). A retried set writes one more version of the same value: harmless.
 * Each call, retries included, ends after `timeoutInMs`.
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
  list: "secrets list (access policy), or Microsoft.KeyVault/vaults/secrets/readMetadata/action (role Key Vault Secrets User)",
} as const;

/** The SDK retry options every `SecretClient` gets unless `clientOptions.retryOptions` says otherwise. */
export const defaultKeyVaultRetryOptions = {
  maxRetries: 3,
  retryDelayInMs: 1000,
  maxRetryDelayInMs: 16_000,
} as const;

/** How long one Key Vault call may take, retries and Retry-After waits included. */
export const defaultKeyVaultTimeoutInMs = 60_000;

export interface SecretClientsOptions {
  credential: TokenCredential;
  /**
   * Passed to every `SecretClient` (retry, TLS). Tests against a local vault set
   * `disableChallengeResourceVerification`; production code never does.
   */
  clientOptions?: SecretClientOptions;
  /** How long one call may take, retries included. Default {@link defaultKeyVaultTimeoutInMs}. */
  timeoutInMs?: number;
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
      const { clientOptions } = this.#options;
      client = new SecretClient(vaultUrl, this.#options.credential, {
        ...clientOptions,
        retryOptions: { ...defaultKeyVaultRetryOptions, ...clientOptions?.retryOptions },
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** A `TokenVault` on `vaultUrl` that shares this cache. */
  vault(vaultUrl: string): KeyVaultTokenVault {
    return new KeyVaultTokenVault({ client: this.client(vaultUrl), timeoutInMs: this.#options.timeoutInMs });
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
    const secret = await call((abortSignal) => client.getSecret(secretName, { abortSignal }), {
      client,
      secretName,
      operation: "get",
      timeoutInMs: this.#options.timeoutInMs,
      abortSignal: options.abortSignal,
    });
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
  /** How long one call may take, retries included. Default {@link defaultKeyVaultTimeoutInMs}. */
  timeoutInMs?: number;
}

/** Gateway tokens in one Key Vault. */
export class KeyVaultTokenVault implements TokenVault {
  readonly #client: SecretClient;
  readonly #timeoutInMs: number | undefined;

  constructor(options: KeyVaultTokenVaultOptions) {
    this.#client = options.client;
    this.#timeoutInMs = options.timeoutInMs;
  }

  /** The latest version, or undefined when the secret does not exist. */
  async current(secretName: string, options: AbortOptions = {}): Promise<StoredToken | undefined> {
    const client = this.#client;
    const secret = await call((abortSignal) => client.getSecret(secretName, { abortSignal }), {
      client,
      secretName,
      operation: "get",
      timeoutInMs: this.#timeoutInMs,
      abortSignal: options.abortSignal,
    }).catch((error: Error) => {
      if (error.name === "NotFoundError") return undefined;
      throw error;
    });
    if (!secret) return undefined;
    if (secret.value === undefined) {
      throw new Error(
        `Key Vault secret "${secretName}" in ${this.#client.vaultUrl} has no value (version ${secret.properties.version ?? "unknown"})`,
      );
    }
    return toStoredToken(secret, secret.value);
  }

  /**
   * The version before the current one: the newest other version by creation time (Key Vault keeps
   * seconds; a tie goes to the one listed later), or undefined when there is none.
   */
  async previous(secretName: string, options: AbortOptions = {}): Promise<StoredToken | undefined> {
    const client = this.#client;
    const common = { client, secretName, timeoutInMs: this.#timeoutInMs, abortSignal: options.abortSignal };
    const versions = await call(
      async (abortSignal) => {
        const all = [];
        for await (const p of client.listPropertiesOfSecretVersions(secretName, { abortSignal })) all.push(p);
        return all;
      },
      { ...common, operation: "list" },
    );
    const current = (await this.current(secretName, options))?.version;
    const older = versions
      .map((p, listed) => ({ version: p.version, createdOn: p.createdOn?.getTime() ?? 0, listed }))
      .filter((p) => p.version && p.version !== current)
      .sort((a, b) => b.createdOn - a.createdOn || b.listed - a.listed);
    const version = older[0]?.version;
    if (!version) return undefined;
    const secret = await call((abortSignal) => client.getSecret(secretName, { version, abortSignal }), {
      ...common,
      operation: "get",
    });
    return secret.value === undefined ? undefined : toStoredToken(secret, secret.value);
  }

  /** Writes a new version with `expiresOn`, the content type and tags. */
  async store(secretName: string, token: string, options: StoreTokenOptions): Promise<StoredToken> {
    const client = this.#client;
    const tags = {
      [tokenTags.gateway]: options.gateway,
      [tokenTags.keyType]: options.keyType,
      [tokenTags.managedBy]: "gateway-guard",
    };
    const secret = await call(
      (abortSignal) =>
        client.setSecret(secretName, token, {
          expiresOn: options.expiresOn,
          contentType: tokenContentType,
          tags,
          abortSignal,
        }),
      {
        client,
        secretName,
        operation: "set",
        timeoutInMs: this.#timeoutInMs,
        redact: [token],
        abortSignal: options.abortSignal,
      },
    );
    return {
      ...toStoredToken(secret, token),
      expiresOn: secret.properties.expiresOn ?? options.expiresOn,
      keyType: options.keyType,
    };
  }
}

interface CallOptions extends AbortOptions {
  client: SecretClient;
  secretName: string;
  operation: keyof typeof keyVaultPermissions;
  timeoutInMs?: number;
  /** Values that must not appear in an error (the token being set). */
  redact?: string[];
}

/**
 * One Key Vault call, cut after `timeoutInMs` (retries included), its failure mapped by
 * {@link toKeyVaultError}; the caller's abort passes through as it is.
 */
async function call<T>(send: (abortSignal: AbortSignal) => Promise<T>, options: CallOptions): Promise<T> {
  const timeoutInMs = options.timeoutInMs ?? defaultKeyVaultTimeoutInMs;
  const timeout = AbortSignal.timeout(timeoutInMs);
  const { client, secretName, operation } = options;
  try {
    return await send(options.abortSignal ? AbortSignal.any([options.abortSignal, timeout]) : timeout);
  } catch (error) {
    if (options.abortSignal?.aborted) throw error;
    if (timeout.aborted) {
      throw new Error(
        `Key Vault ${operation} of secret "${secretName}" in ${client.vaultUrl} did not finish within ${timeoutInMs / 1000}s (retries included)`,
      );
    }
    throw toKeyVaultError(error, client.vaultUrl, secretName, operation, options.redact);
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
  operation: keyof typeof keyVaultPermissions,
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
