/**
 * Mint and store (docs/rotation.md): mint a token and store it in Key Vault first (the source of truth:
 * a crash after this is finished by the next run), or take Key Vault's current token to deliver.
 */
import { nextExpiry, type PlanState } from "./plan.js";
import type { RotationRun } from "./run.js";
import type { KeyType, RotationPlan } from "./types.js";

/** What is being delivered. Holds the token: never log it. */
export interface Delivery {
  token: string;
  keyType?: KeyType;
  expiresOn?: Date;
  vaultVersion: string;
}

/**
 * Mints with `keyType` and stores the token as a new Key Vault version.
 * @returns undefined when the lock was lost before anything was stored
 */
export async function mintAndStore(
  run: RotationRun,
  plan: RotationPlan,
  keyType: KeyType,
): Promise<Delivery | undefined> {
  const { gateway, deps } = run;
  const expiresOn = plan.nextExpiresOn ?? nextExpiry(run.now(), gateway.tokenLifetimeInDays);
  const abortSignal = run.signal;
  if (run.lockLost()) return undefined;
  const token = await stoppedByLockLoss(run, () =>
    deps.issuer.mint(gateway.apim, keyType, expiresOn, { abortSignal }),
  );
  if (token === undefined) return undefined;
  run.remember(token);
  if (run.lockLost()) return undefined;
  const stored = await stoppedByLockLoss(run, () =>
    deps.vault.store(gateway.keyVault.secretName, token, {
      expiresOn,
      keyType,
      gateway: gateway.name,
      abortSignal,
    }),
  );
  return stored && { token, keyType, expiresOn, vaultVersion: stored.version };
}

/** Key Vault's current token, to finish an interrupted run. */
export function fromVault(plan: RotationPlan, state: PlanState, keyType?: KeyType): Delivery {
  if (!state.vault) throw new Error("internal: a deliver plan without a Key Vault token");
  return {
    token: state.vault.token,
    keyType: plan.currentKeyType ?? keyType,
    expiresOn: plan.currentExpiresOn,
    vaultVersion: state.vault.version,
  };
}

/** Runs a call; undefined when it failed because the lock was lost meanwhile, else its error as thrown. */
async function stoppedByLockLoss<T>(run: RotationRun, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (run.lockLost()) return undefined;
    throw error;
  }
}
