/**
 * The token's own model, shared by the rotation engine, the Kubernetes adapter and the checker:
 * which signing key made it, how Key Vault stores it, and the annotations kept beside it on the
 * cluster Secret.
 */

/** ARM limits a gateway token to 30 days. */
export const maxTokenLifetimeInDays = 30;

export type KeyType = "primary" | "secondary";

/** A token version as stored in Key Vault. */
export interface StoredToken {
  token: string;
  version: string;
  expiresOn?: Date;
  keyType?: KeyType;
  createdOn?: Date;
}

/** Annotations we keep on the cluster Secret. */
export const secretAnnotations = {
  keyType: "gateway-guard.io/key-type",
  expiresOn: "gateway-guard.io/expires-on",
  vaultVersion: "gateway-guard.io/vault-version",
  rotatedAt: "gateway-guard.io/rotated-at",
  /** The vault version whose rollout finished; differs from vaultVersion while a restart is still owed. */
  rolledOutVersion: "gateway-guard.io/rolled-out-version",
} as const;
