/**
 * The rotation protocol for one gateway (docs/rotation.md), one step per file:
 *
 * 1. plan (plan.ts), read-only; a dry run or a fresh gateway stops here, without a lock;
 * 2. pre-flight every target (preflight.ts): a run that cannot deliver mints nothing and takes no lock;
 * 3. lock (lock.ts): short, renewed by the adapter, released at the end;
 * 4. plan again under the lock (someone may have acted meanwhile);
 * 5. mint with a key none of the held tokens uses when revoking (keys.ts), store in Key Vault first
 *    (mint.ts), or take Key Vault's token to finish an interrupted run;
 * 6. deliver to each deployment (deliver.ts), rolling back a failed rollout (rollback.ts);
 * 7. revoke the old key when asked, only after every deployment succeeded and no unknown pod reads
 *    the Secret (revoke.ts); with pulled deployments, once their agents reported the new version,
 *    which may be in a later run;
 * 8. the outcome, with metrics (record.ts).
 *
 * Failures before any cluster changed (reading, pre-flight, the lock, minting, storing) are thrown,
 * scrubbed of tokens, so a caller can tell transient ones from permanent ones (`isTransient`).
 * Failures while delivering are reported in the outcome; `final` tells the caller not to retry.
 */
import type { GatewayConfig } from "../config/types.js";
import { acquireLock, releaseLock } from "./lock.js";
import { deliverAll } from "./deliver.js";
import { heldKeys, mintKey, vaultKeyOf, type HeldKeys } from "./keys.js";
import { fromVault, mintAndStore } from "./mint.js";
import { planRotation, type DeploymentState, type PlannedRotation } from "./plan.js";
import { preflight } from "./preflight.js";
import { deliveredOutcome, finish, lockLostOutcome, planFields, unchangedOutcome } from "./record.js";
import { pendingRevocation, revokeIfAsked, type PendingRevocation } from "./revoke.js";
import { isPulled, targetLabel } from "./target.js";
import { isNamed, RotationRun } from "./run.js";
import type { RotateOptions, RotationDeps, RotationOutcome } from "./types.js";

export { lockTtlInMs } from "./lock.js";

/**
 * Rotates (or repairs) one gateway's token across all its deployments.
 * @param gateway - the gateway's configuration
 * @param deps - issuer, vault, clusters, lock, clock and logger
 * @param options - `force`, `dryRun` (plan only, without the lock: status `fresh` or `planned`),
 *   `revokeOldKey` (overrides the configuration), `allowUnknownConsumers`, `onPlan`, `onProgress`,
 *   `abortSignal` (stops the run before the next deployment, never a rollout in progress)
 * @returns the outcome: `fresh`, `planned`, `rotated`, `delivered`, `unrevoked`, `rolled-back` or `failed`
 * @throws LockHeldError (naming the holder) when another rotation holds the lock; PreflightError when
 *   a target cannot be delivered to, or when revoking and the tokens in use span both keys; the error
 *   of reading, minting or storing. Nothing was changed in any cluster then.
 */
export async function rotateGateway(
  gateway: GatewayConfig,
  deps: RotationDeps,
  options: RotateOptions = {},
): Promise<RotationOutcome> {
  const run = new RotationRun(gateway, deps, options);
  try {
    return withPulled(gateway, await rotate(run));
  } catch (error) {
    if (!isNamed(error, "LockHeldError")) {
      run.log.metric?.("rotation.outcome", 1, { gateway: gateway.name, status: "failed" });
    }
    throw run.scrubError(error);
  }
}

async function rotate(run: RotationRun): Promise<RotationOutcome> {
  const { options } = run;
  const first = await plan(run);
  run.log.info("rotation.planned", planFields(first.plan, options.dryRun === true));
  options.onPlan?.(first.plan);
  if (first.plan.action === "none" || options.dryRun) {
    const pending = options.dryRun ? undefined : await pendingRevocation(run, first.state);
    if (pending) return finish(run, await completeRevocation(run, first, pending));
    return finish(run, unchangedOutcome(first.plan, options.dryRun === true));
  }
  const checked = targetsOf(first);
  await preflight(run, checked);

  const lock = await acquireLock(run);
  run.holdLock(lock.lost);
  try {
    const again = await plan(run);
    if (again.plan.action !== first.plan.action || again.plan.decision !== first.plan.decision) {
      run.log.info("rotation.replanned", planFields(again.plan, false));
    }
    if (again.plan.action === "none") return finish(run, unchangedOutcome(again.plan, false));
    const labels = new Set(checked.map((d) => d.label));
    await preflight(
      run,
      targetsOf(again).filter((d) => !labels.has(d.label)),
    );
    return await act(run, again);
  } finally {
    await releaseLock(run, lock);
  }
}

/** Plans, and for a revoking mint picks the key none of the held tokens uses (or refuses). */
async function plan(run: RotationRun): Promise<PlannedRotation & { held?: HeldKeys }> {
  const planned = await planRotation(run.gateway, run.deps, {
    force: run.options.force,
    abortSignal: run.signal,
  });
  const { state } = planned;
  run.remember(state.vault?.token);
  for (const d of state.deployments) run.remember(d.secret.token);
  if (!run.revoking || planned.plan.action === "none") return planned;
  const held = await heldKeys(run, state);
  if (planned.plan.action === "mint") planned.plan.nextKeyType = mintKey(run, planned.plan, held);
  return { ...planned, held };
}

/** Under the lock: mint and store (or take Key Vault's token), deliver, revoke, record. */
async function act(run: RotationRun, { plan, state, held }: PlannedRotation & { held?: HeldKeys }) {
  const minting = plan.action === "mint";
  const delivery = minting
    ? await mintAndStore(run, plan, plan.nextKeyType ?? "primary")
    : fromVault(plan, state, vaultKeyOf(held));
  if (!delivery) return finish(run, lockLostOutcome(run, plan, state.deployments));
  const targets = targetsOf({ plan, state });
  const deliveries = await deliverAll(run, targets, delivery, minting ? "rotated" : "delivered");
  if (run.lockLost()) {
    return finish(run, lockLostOutcome(run, plan, state.deployments, delivery, deliveries));
  }
  const outcome = deliveredOutcome(run, plan, state.deployments, delivery, deliveries);
  if (outcome.status === "rotated" || outcome.status === "delivered") {
    await revokeIfAsked(run, outcome, delivery, held, state.deployments);
  }
  return finish(run, outcome);
}

/** Under the lock: the revocation an earlier run left waiting for the agents' reports. */
async function completeRevocation(
  run: RotationRun,
  { plan, state }: PlannedRotation,
  { delivery, held }: PendingRevocation,
): Promise<RotationOutcome> {
  const lock = await acquireLock(run);
  run.holdLock(lock.lost);
  try {
    const outcome = unchangedOutcome(plan, false);
    await revokeIfAsked(run, outcome, delivery, held, state.deployments);
    return outcome;
  } finally {
    await releaseLock(run, lock);
  }
}

/** Pulled deployments are their agents' to deliver: `unchanged` in every outcome, saying so. */
function withPulled(gateway: GatewayConfig, outcome: RotationOutcome): RotationOutcome {
  const pulled = gateway.deployments.filter(isPulled).map((target) => ({
    target: targetLabel(target),
    status: "unchanged" as const,
    reason: `delivered by the agent of ${target.cluster.name}`,
  }));
  if (pulled.length === 0) return outcome;
  const labels = new Set(pulled.map((d) => d.target));
  return {
    ...outcome,
    deployments: [...outcome.deployments.filter((d) => !labels.has(d.target)), ...pulled],
  };
}

/** The deployments a plan delivers to: all when minting, else those that lack Key Vault's token. */
function targetsOf({ plan, state }: PlannedRotation): DeploymentState[] {
  if (plan.action === "mint") return state.deployments;
  if (plan.action === "none") return [];
  return state.deployments.filter((d) => !d.inSync || d.rolloutPending);
}
