/**
 * Roll back (docs/rotation.md): roll back a deployment whose rollout failed: put the previous token back
 * (it is still valid: nothing is revoked after a failure) and restart once more. At most one
 * rollback per deployment and run; when the restart call itself failed (the pods were most likely
 * not restarted), only the Secret is restored.
 */
import type { Delivery } from "./mint.js";
import type { DeploymentState } from "./plan.js";
import type { RotationRun } from "./run.js";
import { secretAnnotations, type DeploymentOutcome, type DeploymentTokenState } from "./types.js";

export interface RollBackOptions {
  /** Why the rollout failed, scrubbed. */
  why: string;
  errorName: string;
  /** The rollout's `restartedAt`; undefined when the restart call failed. */
  restartedAt?: string;
}

/** Restores `previous` on the Secret and rolls again; `rolled-back`, or `failed` when that fails too. */
export async function rollBack(
  run: RotationRun,
  d: DeploymentState,
  previous: DeploymentTokenState,
  delivery: Delivery,
  { why, errorName, restartedAt }: RollBackOptions,
): Promise<DeploymentOutcome> {
  const failed = (reason: string): DeploymentOutcome => ({
    target: d.label,
    status: "failed",
    reason,
    errorName,
  });
  if (!previous.token) return failed(`rollout failed (${why}); there was no previous token to restore`);
  run.log.warn("rotation.rolling-back", { gateway: run.gateway.name, target: d.label, error: why });
  try {
    const current = await d.cluster.readToken(d.target);
    if (current.token !== delivery.token) {
      return failed(
        `rollout failed (${why}); the Secret was changed by someone else, so it was not rolled back`,
      );
    }
    if (run.lockLost())
      return run.lockLostDeployment(d.label, `after its rollout failed (${why}); not rolled back`);
    await d.cluster.writeToken(d.target, previous.token, {
      resourceVersion: current.resourceVersion,
      annotations: secretRestored(previous),
    });
    if (restartedAt === undefined) {
      return {
        target: d.label,
        status: "rolled-back",
        reason: `restart failed (${why}); previous token put back in the Secret, not restarted again`,
        errorName,
      };
    }
    if (run.lockLost()) return run.lockLostDeployment(d.label, `while rolling back (${why})`);
    await d.cluster.restart(d.target, { restartedAt: run.restartStamp(restartedAt) });
    await d.cluster.waitForRollout(d.target, {
      timeoutInMs: run.gateway.rolloutTimeoutInMs,
      onProgress: run.options.onProgress,
    });
  } catch (error) {
    return failed(`rollout failed (${why}) and rolling back failed too (${run.describe(error)})`);
  }
  return {
    target: d.label,
    status: "rolled-back",
    reason: `rollout failed (${why}); previous token restored`,
    errorName,
  };
}

/** The annotations to write back: the previous ones, `null` (removed) where there were none. */
export function secretRestored(previous: DeploymentTokenState): Record<string, string | null> {
  return Object.fromEntries(
    Object.values(secretAnnotations).map((key) => [key, previous.annotations[key] ?? null]),
  );
}
