/**
 * Deliver (docs/rotation.md): deliver the token to each deployment, one at a time: patch the Secret
 * (resourceVersion precondition), restart it once with a `restartedAt` picked once, wait for the
 * rollout, and record on the Secret that it finished. A failed rollout is rolled back (rollback.ts).
 *
 * With a rollout limiter (deps.rollouts), each deployment's delivery holds one of its cluster's
 * rollout slots, waiting while all are taken, from the Secret write until its rollout (or rollback)
 * is over; the slot is freed while the finished rollout is recorded on the Secret, not before.
 *
 * The caller's `abortSignal` never interrupts a deployment: it only stops the run before the next
 * one starts, or while it waits for a slot. The lock's loss stops the run before its next write, without rolling back.
 */
import type { Delivery } from "./mint.js";
import type { DeploymentState } from "./plan.js";
import { rollBack } from "./rollback.js";
import { isNamed, nameOf, type RotationRun } from "./run.js";
import {
  secretAnnotations,
  type DeploymentOutcome,
  type DeploymentTokenState,
  type RolloutSlot,
} from "./types.js";

/** One deployment's result, and whether this run restarted it (so retrying could restart it again). */
export interface Delivered {
  outcome: DeploymentOutcome;
  restarted: boolean;
}

/** What delivering to the deployments that need it came to. */
export interface Deliveries {
  results: Map<DeploymentState, Delivered>;
  /** The deployment the caller's deadline stopped the run before. */
  stoppedBefore?: string;
}

/**
 * Delivers to each target in order; stops after the first failure, on the caller's deadline, or
 * when the lock is lost. Targets not attempted are `unchanged` with the reason.
 */
export async function deliverAll(
  run: RotationRun,
  targets: DeploymentState[],
  delivery: Delivery,
  done: "rotated" | "delivered",
): Promise<Deliveries> {
  const results = new Map<DeploymentState, Delivered>();
  let failedAt: string | undefined;
  let stoppedBefore: string | undefined;
  for (const d of targets) {
    if (!failedAt && !stoppedBefore && !run.lockLost() && run.options.abortSignal?.aborted) {
      stoppedBefore = d.label;
    }
    const skipped = run.lockLost()
      ? `not attempted: ${run.stoppedBecause()}`
      : failedAt
        ? `not attempted after ${failedAt} failed`
        : stoppedBefore
          ? "not attempted: the run was stopped"
          : undefined;
    if (skipped) {
      results.set(d, {
        outcome: { target: d.label, status: "unchanged", reason: skipped },
        restarted: false,
      });
      continue;
    }
    const slot = await acquireSlot(run, d);
    if (!("release" in slot)) {
      results.set(d, slot);
      if (slot.outcome.status === "unchanged") stoppedBefore = d.label;
      else failedAt = d.label;
      continue;
    }
    const result = await deliver(run, d, delivery, done, slot).finally(() => releaseSlot(run, d, slot));
    results.set(d, result);
    if (result.outcome.status !== done) failedAt = d.label;
  }
  return { results, stoppedBefore };
}

const noSlot: RolloutSlot = { release: async () => {} };

/**
 * Waits for one of the cluster's rollout slots (deps.rollouts), logging `rotation.waiting-for-slot`
 * once and reporting progress while every slot is taken.
 * @returns the slot; or, when the caller's deadline or the lock's loss came first or the slot could
 *   not be taken, the deployment's result (`unchanged` for the deadline, nothing changed either way)
 */
async function acquireSlot(run: RotationRun, d: DeploymentState): Promise<RolloutSlot | Delivered> {
  const limiter = run.deps.rollouts;
  if (!limiter) return noSlot;
  let logged = false;
  try {
    return await limiter.acquire(d.target, {
      abortSignal: run.signal,
      onWait: ({ scope, slots, retryInMs }) => {
        const message = `waiting for a rollout slot: all ${slots} in ${scope} are taken`;
        if (!logged) {
          run.log.info("rotation.waiting-for-slot", {
            gateway: run.gateway.name,
            target: d.label,
            scope,
            slots,
          });
          logged = true;
        }
        run.options.onProgress?.({
          target: d.label,
          updatedReplicas: 0,
          availableReplicas: 0,
          desiredReplicas: 0,
          message: `${message}; looking again in ${Math.ceil(retryInMs / 1000)}s`,
        });
      },
    });
  } catch (error) {
    if (run.lockLost()) return lockLost(run, d, "while waiting for a rollout slot", false);
    if (run.options.abortSignal?.aborted) {
      return {
        outcome: {
          target: d.label,
          status: "unchanged",
          reason: "not attempted: no rollout slot of its cluster became free before the run's deadline",
        },
        restarted: false,
      };
    }
    return {
      outcome: {
        target: d.label,
        status: "failed",
        reason: `could not take a rollout slot: ${run.describe(error)}`,
        errorName: nameOf(error),
      },
      restarted: false,
    };
  }
}

/** Frees a slot; a failure is only logged (the slot's Lease then expires on its own). */
async function releaseSlot(run: RotationRun, d: DeploymentState, slot: RolloutSlot): Promise<void> {
  try {
    await slot.release();
  } catch (error) {
    run.log.warn("rotation.slot-release-failed", {
      gateway: run.gateway.name,
      target: d.label,
      error: run.describe(error),
    });
  }
}

/** Write with the precondition, restart once, wait; roll back a failed rollout. Frees the slot as it records a finished rollout. */
async function deliver(
  run: RotationRun,
  d: DeploymentState,
  delivery: Delivery,
  done: "rotated" | "delivered",
  slot: RolloutSlot,
): Promise<Delivered> {
  const failed = (reason: string, error: unknown, restarted: boolean): Delivered => ({
    outcome: { target: d.label, status: "failed", reason, errorName: nameOf(error) },
    restarted,
  });
  let previous: DeploymentTokenState;
  let written: string | undefined;
  try {
    ({ previous, written } = await writeToken(run, d, delivery));
  } catch (error) {
    if (run.lockLost()) return lockLost(run, d, "while writing its Secret", false);
    return failed(`could not write the Secret: ${run.describe(error)}`, error, false);
  }
  const abortSignal = run.lost;
  const restartedAt = run.restartStamp();
  let restartSent = false;
  try {
    run.throwIfLockLost();
    await d.cluster.restart(d.target, { restartedAt, abortSignal });
    restartSent = true;
    await d.cluster.waitForRollout(d.target, {
      timeoutInMs: run.gateway.rolloutTimeoutInMs,
      onProgress: run.options.onProgress,
      abortSignal,
    });
  } catch (error) {
    if (run.lockLost()) {
      return lockLost(run, d, "after its Secret was written; not rolled back", true);
    }
    const why = run.describe(error);
    if (previous.token === delivery.token) {
      return failed(
        `rollout failed (${why}); the Secret already held this token before this run (an earlier rollout was never confirmed), so there is nothing to roll back to`,
        error,
        true,
      );
    }
    const outcome = await rollBack(run, d, previous, delivery, {
      why,
      errorName: nameOf(error),
      restartedAt: restartSent ? restartedAt : undefined,
    });
    return { outcome, restarted: true };
  }
  const freed = releaseSlot(run, d, slot);
  await confirmRollout(run, d, delivery, written);
  await freed;
  return { outcome: { target: d.label, status: done }, restarted: true };
}

/**
 * Patches the Secret with the token and its annotations; on a conflict, reads it again once and
 * retries. Only the lock's loss aborts it.
 * @returns the Secret as it was just before the write (what a rollback restores), and its
 *   resourceVersion after the write when the cluster told it
 */
async function writeToken(
  run: RotationRun,
  d: DeploymentState,
  delivery: Delivery,
): Promise<{ previous: DeploymentTokenState; written: string | undefined }> {
  const annotations = {
    [secretAnnotations.keyType]: delivery.keyType ?? null,
    [secretAnnotations.expiresOn]: delivery.expiresOn?.toISOString() ?? null,
    [secretAnnotations.vaultVersion]: delivery.vaultVersion,
    [secretAnnotations.rotatedAt]: run.now().toISOString(),
  };
  const abortSignal = run.lost;
  const write = async (resourceVersion: string): Promise<string | undefined> => {
    run.throwIfLockLost();
    const written = await d.cluster.writeToken(d.target, delivery.token, {
      resourceVersion,
      annotations,
      abortSignal,
    });
    return written?.resourceVersion;
  };
  try {
    return { previous: d.secret, written: await write(d.secret.resourceVersion) };
  } catch (error) {
    if (!isNamed(error, "ConflictError")) throw error;
  }
  run.log.warn("rotation.conflict", { gateway: run.gateway.name, target: d.label });
  const reread = await d.cluster.readToken(d.target, { abortSignal });
  run.remember(reread.token);
  return { previous: reread, written: await write(reread.resourceVersion) };
}

/**
 * Records on the Secret that the rollout of this vault version finished, so that a run stopped
 * between writing the Secret and rolling is finished by the next one. On the resourceVersion this
 * run wrote when the cluster told it; when that fails on a conflict (someone changed the Secret
 * since), or was not told, on a fresh read that still holds this token. A failure here only costs
 * the next run an extra restart.
 */
async function confirmRollout(
  run: RotationRun,
  d: DeploymentState,
  delivery: Delivery,
  written: string | undefined,
): Promise<void> {
  const annotate = async (resourceVersion: string) => {
    await d.cluster.writeToken(d.target, delivery.token, {
      resourceVersion,
      annotations: { [secretAnnotations.rolledOutVersion]: delivery.vaultVersion },
      abortSignal: run.lost,
    });
  };
  try {
    if (run.lockLost()) return;
    if (written !== undefined) {
      try {
        await annotate(written);
        return;
      } catch (error) {
        if (!isNamed(error, "ConflictError")) throw error;
      }
    }
    const current = await d.cluster.readToken(d.target, { abortSignal: run.lost });
    if (current.token !== delivery.token || run.lockLost()) return;
    await annotate(current.resourceVersion);
  } catch (error) {
    run.log.warn("rotation.confirm-failed", {
      gateway: run.gateway.name,
      target: d.label,
      error: run.describe(error),
    });
  }
}

function lockLost(run: RotationRun, d: DeploymentState, when: string, restarted: boolean): Delivered {
  return { outcome: run.lockLostDeployment(d.label, when), restarted };
}
