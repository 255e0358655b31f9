/**
 * Lock (docs/rotation.md): the per-gateway lock. It is short (90 s) and renewed by the lock adapter
 * while the run lives, so a crashed holder blocks the gateway for at most that long, well inside the
 * queue's retry window; a run that ends or is interrupted releases it at once.
 */
import type { GatewayConfig } from "../config/types.js";
import { LockHeldError } from "../errors.js";
import type { RotationRun } from "./run.js";
import type { LockHandle, LockHolder } from "./types.js";

/** The Lease's lifetime unless renewed: the same for every gateway, whatever its deployments. */
export const lockTtlInMs = (_gateway?: GatewayConfig): number => 90_000;

/**
 * Takes the gateway's lock.
 * @throws LockHeldError naming the holder, its last renewal and when its lock expires
 */
export async function acquireLock(run: RotationRun): Promise<LockHandle> {
  const { gateway, deps, log } = run;
  const lock = await deps.lock.tryAcquire(gateway, {
    ttlInMs: lockTtlInMs(gateway),
    abortSignal: run.options.abortSignal,
  });
  if (lock) return lock;
  const holder = await deps.lock
    .holder?.(gateway, { abortSignal: run.options.abortSignal })
    .catch(() => undefined);
  log.warn("rotation.locked", {
    gateway: gateway.name,
    holder: holder?.identity,
    renewedAt: holder?.renewedAt?.toISOString(),
    expiresAt: holder?.expiresAt?.toISOString(),
  });
  log.metric?.("rotation.outcome", 1, { gateway: gateway.name, status: "locked" });
  throw new LockHeldError(
    `another rotation of gateway "${gateway.name}" is in progress${describeHolder(holder)}; try again later`,
  );
}

/** Releases the lock; a failure is only logged (the Lease then expires on its own). */
export async function releaseLock(run: RotationRun, lock: LockHandle): Promise<void> {
  try {
    await lock.release();
  } catch (error) {
    run.log.warn("rotation.lock-release-failed", { gateway: run.gateway.name, error: run.describe(error) });
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return "";
  const parts = [`held by ${holder.identity}`];
  if (holder.renewedAt) parts.push(`last renewed ${holder.renewedAt.toISOString()}`);
  if (holder.expiresAt) parts.push(`expires ${holder.expiresAt.toISOString()} unless renewed`);
  return ` (${parts.join(", ")})`;
}
