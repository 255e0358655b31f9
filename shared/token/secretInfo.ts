/**
 * What token a cluster Secret carries: its key type and expiry. gateway-guard records both as
 * annotations when it writes the Secret, but a person may replace the token by hand and leave them
 * behind, so they are trusted only while they still describe the token held.
 */
import { secretAnnotations, type KeyType, type StoredToken } from "./types.js";
import { tokenExpiry } from "./parse.js";

/** The token a Secret carries, as far as it can be told without trusting stale annotations. */
export interface SecretTokenInfo {
  /** Undefined when unknown (no token, or annotations that describe another token). */
  keyType?: KeyType;
  expiresOn?: Date;
  /**
   * `vault`: the Secret holds Key Vault's current token; `annotations`: they describe the token held;
   * `token`: annotations ignored, the expiry read from the token itself; `none`: no token.
   */
  source: "vault" | "annotations" | "token" | "none";
}

/** An annotated expiry this close to the token's own (minutes in the token) describes it. */
const sameExpiryInMs = 60_000;

/**
 * The key type and expiry of the token a Secret holds. Key Vault's tags win when the Secret holds
 * its current token. The Secret's annotations count only when they describe the token held (their
 * expiry matches the token's own, or they name Key Vault's version of it); otherwise the key type
 * is unknown and the expiry is parsed from the token.
 * @param annotations - the Secret's annotations
 * @param token - the Secret's token (without `GatewayKey `), undefined when the key is absent
 * @param vault - Key Vault's current version, when known
 */
export function secretTokenInfo(
  annotations: Readonly<Record<string, string | undefined>>,
  token: string | undefined,
  vault?: Pick<StoredToken, "token" | "version" | "keyType" | "expiresOn">,
): SecretTokenInfo {
  if (!token) return { source: "none" };
  const annotatedKeyType = keyTypeOf(annotations[secretAnnotations.keyType]);
  const annotatedExpiry = dateOf(annotations[secretAnnotations.expiresOn]);
  const described = annotationsDescribeToken(annotations, token, vault);
  if (vault && token === vault.token) {
    return {
      keyType: vault.keyType ?? (described ? annotatedKeyType : undefined),
      expiresOn: vault.expiresOn ?? (described ? annotatedExpiry : undefined) ?? tokenExpiry(token),
      source: "vault",
    };
  }
  if (described) return { keyType: annotatedKeyType, expiresOn: annotatedExpiry, source: "annotations" };
  return { expiresOn: tokenExpiry(token), source: "token" };
}

/**
 * True when the Secret's annotations describe the token it holds: their expiry matches the token's
 * own, or they name Key Vault's version of it while the Secret holds that token. Only then do
 * `rotated-at` and the other annotations count.
 * @param annotations - the Secret's annotations
 * @param token - the Secret's token (without `GatewayKey `)
 * @param vault - Key Vault's current version, when known
 */
export function annotationsDescribeToken(
  annotations: Readonly<Record<string, string | undefined>>,
  token: string | undefined,
  vault?: Pick<StoredToken, "token" | "version">,
): boolean {
  if (!token) return false;
  const annotatedExpiry = dateOf(annotations[secretAnnotations.expiresOn]);
  const ownExpiry = tokenExpiry(token);
  const sameExpiry =
    annotatedExpiry !== undefined &&
    ownExpiry !== undefined &&
    Math.abs(annotatedExpiry.getTime() - ownExpiry.getTime()) < sameExpiryInMs;
  return (
    sameExpiry || (token === vault?.token && annotations[secretAnnotations.vaultVersion] === vault.version)
  );
}

function keyTypeOf(value: string | undefined): KeyType | undefined {
  return value === "primary" || value === "secondary" ? value : undefined;
}

function dateOf(value: string | undefined): Date | undefined {
  const date = value ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
