/**
 * Which key to mint with and which to regenerate, from the tokens actually held before the run:
 * every deployment's Secret and Key Vault's current version. A Secret's key type counts from its
 * annotations only while they describe its token (plan.ts); otherwise, and only when revoking, the
 * issuer identifies the signing key from the token itself (ARM "List Keys").
 */
import { PreflightError } from "../errors.js";
import type { PlanState } from "./plan.js";
import type { RotationRun } from "./run.js";
import type { KeyType, RotationPlan } from "./types.js";

/** Where each key is in use: key type → the copies holding a token signed with it (labels). */
export type HeldKeys = Map<KeyType, string[]>;

/** The label of Key Vault's copy in messages. */
const vaultCopy = "Key Vault's current version";

export function otherKey(keyType: KeyType): KeyType {
  return keyType === "primary" ? "secondary" : "primary";
}

/**
 * The signing key of every token held: recorded where trustworthy, else identified by the issuer.
 * A token that neither current key signed no longer validates and is left out.
 */
export async function heldKeys(run: RotationRun, state: PlanState): Promise<HeldKeys> {
  const copies = state.deployments.map((d) => ({
    label: d.label,
    token: d.secret.token,
    keyType: d.keyType,
  }));
  if (state.vault) copies.push({ label: vaultCopy, token: state.vault.token, keyType: state.vault.keyType });
  const held: HeldKeys = new Map();
  for (const copy of copies) {
    if (!copy.token) continue;
    const keyType = copy.keyType ?? (await run.identifyKey(copy.token));
    if (keyType) held.set(keyType, [...(held.get(keyType) ?? []), copy.label]);
  }
  return held;
}

/**
 * The key to mint with. Not revoking: the plan's (alternating from Key Vault's). Revoking: the key
 * none of the held tokens uses.
 * @throws PreflightError when the held tokens span both keys: no new key leaves them all dead, and
 *   one run restarts each deployment only once, so it refuses before minting and says what to do
 */
export function mintKey(run: RotationRun, plan: RotationPlan, held: HeldKeys | undefined): KeyType {
  const planned = plan.nextKeyType ?? "primary";
  if (!held || held.size === 0) return planned;
  if (held.size === 1) return otherKey([...held.keys()][0]);
  const where = (["primary", "secondary"] as const).map((k) => `${k}: ${held.get(k)?.join(", ")}`).join("; ");
  const name = run.gateway.name;
  throw new PreflightError(
    `gateway "${name}": the tokens in use span both keys (${where}), so no new token can be signed with a key that none of them uses, and one run restarts each deployment only once; nothing was minted or changed. ` +
      `Put one token everywhere first: while Key Vault's token is fresh, "gateway-guard rotate ${name} --revoke-old-key" without --force delivers it to the deployments that lack it and then regenerates the key they held; otherwise rotate once without revocation. ` +
      `Then, if a token on the other key may have leaked too, run "gateway-guard rotate ${name} --force --revoke-old-key": two consecutive revoking runs regenerate both keys.`,
  );
}

/** The key of Key Vault's current token, as found among the held ones. */
export function vaultKeyOf(held: HeldKeys | undefined): KeyType | undefined {
  return [...(held ?? new Map<KeyType, string[]>()).entries()].find(([, copies]) =>
    copies.includes(vaultCopy),
  )?.[0];
}

/**
 * The key to regenerate after every deployment runs the delivered token: the one the earlier tokens
 * were signed with, never the delivered token's own.
 */
export function keyToRevoke(delivered: KeyType | undefined, held: HeldKeys): KeyType | undefined {
  if (!delivered) return undefined;
  const old = otherKey(delivered);
  return held.has(old) ? old : undefined;
}
