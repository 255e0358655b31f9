/**
 * The rotation protocol for one gateway (docs/rotation.md): lock, plan, mint, store in
 * Key Vault first, deliver to each deployment (patch, roll, wait), roll back a failed deployment,
 * revoke the old key only after every deployment succeeded, record the outcome. Tokens never leave
 * this module except through the issuer, vault and cluster interfaces.
 *
 * Failures before any cluster was touched (reading, minting, storing) are logged and thrown, so a
 * caller can tell transient ones from permanent ones (`isTransient`). Failures while delivering
 * are reported in the outcome (`failed`, `rolled-back`, each failed deployment with the `.name`
 * of its error): deployments are delivered one at a time and the run stops after the first failure,
 * the rest left `unchanged` for the next run to finish. It also stops, `failed`, before starting a
 * deployment once `abortSignal` has fired (a deadline): a started one is finished or rolled back.
 * An error thrown carries no token: its message is scrubbed of every token seen (same `.name`).
 *
 * When the lock is lost while held (`LockHandle.lost`), another run may own the gateway: the run
 * logs `rotation.lock-lost` and stops before its next write (Key Vault, a Secret, a restart, the
 * revoke), rolls nothing back, revokes nothing and ends `failed` with the loss's `errorName`.
 * Key Vault stays the source of truth, so the next run finishes the job as out-of-sync.
 *
 * A dry run takes no lock and changes nothing: it only reads and plans. A deployment that is paused
 * cannot be rolled, so the run fails before minting or writing anything when one it must deliver to is.
 * Step 8 also emits metrics through `log.metric`: `rotation.outcome` (1, `{ gateway, status }`) and
 * `token.days_left` (days, `{ gateway }`) for the token every deployment then runs (not on a dry run).
 */
import type { GatewayConfig } from "../config/types.js";
import { errorText, LockHeldError } from "../errors.js";
import { redactText } from "../token/redact.js";
import { daysUntil } from "../token/days.js";
import { nextExpiry, planRotation, type DeploymentState } from "./plan.js";
import {
  secretAnnotations,
  type DeploymentOutcome,
  type DeploymentTokenState,
  type KeyType,
  type RotateOptions,
  type RotationDeps,
  type RotationLogger,
  type RotationOutcome,
  type RotationPlan,
  type RotationStatus,
} from "./types.js";

const silent: RotationLogger = { info() {}, warn() {}, error() {} };

/** How long the lock is held at most: every deployment rolled and rolled back, plus a margin. */
export function lockTtlInMs(gateway: GatewayConfig): number {
  return gateway.deployments.length * 2 * (gateway.rolloutTimeoutInMs + 60_000) + 300_000;
}

/**
 * Rotates (or repairs) one gateway's token across all its deployments.
 * @param gateway - the gateway's configuration
 * @param deps - issuer, vault, clusters, lock, clock and logger
 * @param options - `force`, `dryRun` (plan only, without the lock: status `fresh` or `planned`),
 *   `revokeOldKey` (overrides the configuration), `onPlan`, `onProgress` for rollouts, `abortSignal`
 * @returns the outcome: `fresh`, `planned`, `rotated`, `delivered`, `rolled-back` or `failed`
 * @throws LockHeldError when another rotation of the gateway holds the lock; the error of reading,
 *   minting or storing when that fails (nothing was changed in any cluster then)
 */
export async function rotateGateway(
  gateway: GatewayConfig,
  deps: RotationDeps,
  options: RotateOptions = {},
): Promise<RotationOutcome> {
  const log = deps.log ?? silent;
  if (options.dryRun) return new Rotation(gateway, deps, options, log).run();
  const lock = await deps.lock.tryAcquire(gateway, {
    ttlInMs: lockTtlInMs(gateway),
    abortSignal: options.abortSignal,
  });
  if (!lock) {
    log.warn("rotation.locked", { gateway: gateway.name });
    log.metric?.("rotation.outcome", 1, { gateway: gateway.name, status: "locked" });
    throw new LockHeldError(`another rotation of gateway "${gateway.name}" is in progress; try again later`);
  }
  try {
    return await new Rotation(gateway, deps, options, log, lock.lost).run();
  } finally {
    try {
      await lock.release();
    } catch (error) {
      log.warn("rotation.lock-release-failed", { gateway: gateway.name, error: errorText(error) });
    }
  }
}

/** What is being delivered. Holds the token: never log it. */
interface Delivery {
  token: string;
  keyType?: KeyType;
  expiresOn?: Date;
  vaultVersion: string;
}

class Rotation {
  /** Every token seen in this run, to scrub from reasons and log fields. */
  private readonly secrets = new Set<string>();
  /** Given to every step: the caller's `abortSignal` and the lock's `lost`, whichever fires first. */
  private readonly signal?: AbortSignal;

  constructor(
    private readonly gateway: GatewayConfig,
    private readonly deps: RotationDeps,
    private readonly options: RotateOptions,
    private readonly log: RotationLogger,
    private readonly lost?: AbortSignal,
  ) {
    const signals = [options.abortSignal, lost].filter((x): x is AbortSignal => x !== undefined);
    this.signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async run(): Promise<RotationOutcome> {
    const abortSignal = this.signal;
    const { plan, state } = await this.step("plan", () =>
      planRotation(this.gateway, this.deps, { force: this.options.force, abortSignal }),
    );
    if (state.vault) this.secrets.add(state.vault.token);
    for (const d of state.deployments) if (d.secret.token) this.secrets.add(d.secret.token);
    this.log.info("rotation.planned", planFields(plan, this.options.dryRun === true));
    this.options.onPlan?.(plan);

    if (plan.action === "none" || this.options.dryRun) {
      const status: RotationStatus = plan.action === "none" ? "fresh" : "planned";
      return this.finish({
        gateway: plan.gateway,
        status,
        plan,
        reason: status === "planned" ? `dry run: ${plan.reason}` : plan.reason,
        keyType: plan.nextKeyType ?? plan.currentKeyType,
        expiresOn: plan.nextExpiresOn ?? plan.currentExpiresOn,
        deployments: plan.deployments.map((d) => ({ target: d.target, status: "unchanged" })),
      });
    }

    const targets =
      plan.action === "mint"
        ? state.deployments
        : state.deployments.filter((d) => !d.inSync || d.rolloutPending);
    const paused = targets.filter((d) => d.secret.paused);
    if (paused.length > 0) return this.finish(pausedOutcome(plan, state.deployments, paused));
    const delivery =
      plan.action === "mint" ? await this.mintAndStore(plan) : this.fromVault(plan, state.vault);
    if (!delivery) return this.lockLostOutcome(plan, state.deployments, new Map());
    const done = plan.action === "mint" ? "rotated" : "delivered";
    const results = new Map<DeploymentState, DeploymentOutcome>();
    let failedAt: string | undefined;
    let stoppedAt: string | undefined;
    for (const d of targets) {
      const stopped = failedAt || stoppedAt || this.lost?.aborted;
      if (!stopped && this.options.abortSignal?.aborted) stoppedAt = d.label;
      if (failedAt || stoppedAt || this.lost?.aborted) {
        results.set(d, {
          target: d.label,
          status: "unchanged",
          reason: this.lost?.aborted
            ? "not attempted: the rotation lock was lost"
            : failedAt
              ? `not attempted after ${failedAt} failed`
              : "not attempted: the run was stopped",
        });
        continue;
      }
      const result = await this.deliver(d, delivery, done);
      results.set(d, result);
      if (result.status !== done) failedAt = d.label;
    }
    if (this.lost?.aborted) return this.lockLostOutcome(plan, state.deployments, results, delivery);
    const deployments = state.deployments.map(
      (d) =>
        results.get(d) ?? {
          target: d.label,
          status: "unchanged" as const,
          reason: "already has Key Vault's token",
        },
    );

    const outcome: RotationOutcome = {
      gateway: plan.gateway,
      status: done,
      plan,
      reason: "",
      keyType: delivery.keyType,
      expiresOn: delivery.expiresOn,
      vaultVersion: delivery.vaultVersion,
      deployments,
    };
    const failures = deployments.filter((d) => d.status === "failed" || d.status === "rolled-back");
    if (failures.length > 0) {
      outcome.status = failures.some((d) => d.status === "failed") ? "failed" : "rolled-back";
      outcome.reason = `${failures.map((d) => `${d.target}: ${d.reason}`).join("; ")}; old key not revoked`;
      return this.finish(outcome);
    }
    if (stoppedAt) {
      outcome.status = "failed";
      outcome.reason = `stopped before ${stoppedAt} (${this.describe(this.options.abortSignal?.reason)}); the next run delivers Key Vault's token to the rest; old key not revoked`;
      return this.finish(outcome);
    }
    outcome.reason = `${done} ${targets.length} of ${deployments.length} deployments with the ${delivery.keyType ?? "unknown"} key`;
    const previousKeys = new Set(targets.filter((d) => d.secret.token !== undefined).map((d) => d.keyType));
    if (plan.action === "mint" && state.vault) previousKeys.add(plan.currentKeyType);
    await this.revokeIfAsked(outcome, previousKeys, delivery);
    return this.finish(outcome);
  }

  /** Mints and stores in Key Vault; undefined when the lock was lost before anything was stored. */
  private async mintAndStore(plan: RotationPlan): Promise<Delivery | undefined> {
    const keyType = plan.nextKeyType ?? "primary";
    const expiresOn = plan.nextExpiresOn ?? nextExpiry(this.now(), this.gateway.tokenLifetimeInDays);
    const abortSignal = this.signal;
    try {
      if (this.lost?.aborted) return undefined;
      const token = await this.step("mint", () =>
        this.deps.issuer.mint(this.gateway.apim, keyType, expiresOn, { abortSignal }),
      );
      this.secrets.add(token);
      if (this.lost?.aborted) return undefined;
      const stored = await this.step("store", () =>
        this.deps.vault.store(this.gateway.keyVault.secretName, token, {
          expiresOn,
          keyType,
          gateway: this.gateway.name,
          abortSignal,
        }),
      );
      return { token, keyType, expiresOn, vaultVersion: stored.version };
    } catch (error) {
      if (error instanceof StoppedByLockLoss) return undefined;
      throw error;
    }
  }

  private fromVault(plan: RotationPlan, vault: { token: string; version: string } | undefined): Delivery {
    if (!vault) throw new Error("internal: a deliver plan without a Key Vault token");
    return {
      token: vault.token,
      keyType: plan.currentKeyType,
      expiresOn: plan.currentExpiresOn,
      vaultVersion: vault.version,
    };
  }

  /** Step 5 and 6 for one deployment: write with the precondition, roll, wait; roll back on failure. */
  private async deliver(
    d: DeploymentState,
    delivery: Delivery,
    done: "rotated" | "delivered",
  ): Promise<DeploymentOutcome> {
    const { onProgress } = this.options;
    const abortSignal = this.signal;
    const annotations = {
      [secretAnnotations.keyType]: delivery.keyType ?? null,
      [secretAnnotations.expiresOn]: delivery.expiresOn?.toISOString() ?? null,
      [secretAnnotations.vaultVersion]: delivery.vaultVersion,
      [secretAnnotations.rotatedAt]: this.now().toISOString(),
    };
    let previous: DeploymentTokenState = d.secret;
    const write = async (resourceVersion: string): Promise<void> => {
      this.throwIfLockLost();
      await d.cluster.writeToken(d.target, delivery.token, { resourceVersion, annotations, abortSignal });
    };
    try {
      try {
        await write(previous.resourceVersion);
      } catch (error) {
        if (!isNamed(error, "ConflictError")) throw error;
        this.log.warn("rotation.conflict", { gateway: this.gateway.name, target: d.label });
        previous = await d.cluster.readToken(d.target, { abortSignal });
        if (previous.token) this.secrets.add(previous.token);
        await write(previous.resourceVersion);
      }
    } catch (error) {
      if (this.lost?.aborted) return this.lockLostDeployment(d, "while writing its Secret");
      return {
        target: d.label,
        status: "failed",
        reason: `could not write the Secret: ${this.describe(error)}`,
        errorName: nameOf(error),
      };
    }
    try {
      this.throwIfLockLost();
      await d.cluster.restart(d.target, { abortSignal });
      await d.cluster.waitForRollout(d.target, {
        timeoutInMs: this.gateway.rolloutTimeoutInMs,
        onProgress,
        abortSignal,
      });
    } catch (error) {
      if (this.lost?.aborted) {
        return this.lockLostDeployment(d, "after its Secret was written; not rolled back");
      }
      return this.rollBack(d, previous, delivery, this.describe(error), nameOf(error));
    }
    await this.confirmRollout(d, delivery);
    return { target: d.label, status: done };
  }

  /**
   * Records on the Secret that the rollout of this vault version finished, so that a run stopped
   * between writing the Secret and rolling is finished by the next one. A failure here only costs
   * the next run an extra restart.
   */
  private async confirmRollout(d: DeploymentState, delivery: Delivery): Promise<void> {
    try {
      const current = await d.cluster.readToken(d.target, { abortSignal: this.signal });
      if (current.token !== delivery.token || this.lost?.aborted) return;
      await d.cluster.writeToken(d.target, delivery.token, {
        resourceVersion: current.resourceVersion,
        annotations: { [secretAnnotations.rolledOutVersion]: delivery.vaultVersion },
        abortSignal: this.signal,
      });
    } catch (error) {
      this.log.warn("rotation.confirm-failed", {
        gateway: this.gateway.name,
        target: d.label,
        error: this.describe(error),
      });
    }
  }

  /** Puts the previous token (still valid: nothing is revoked after a failure) back and rolls again. */
  private async rollBack(
    d: DeploymentState,
    previous: DeploymentTokenState,
    delivery: Delivery,
    why: string,
    errorName: string,
  ): Promise<DeploymentOutcome> {
    const failed = (reason: string): DeploymentOutcome => ({
      target: d.label,
      status: "failed",
      reason,
      errorName,
    });
    if (!previous.token) return failed(`rollout failed (${why}); there was no previous token to restore`);
    this.log.warn("rotation.rolling-back", { gateway: this.gateway.name, target: d.label, error: why });
    try {
      const current = await d.cluster.readToken(d.target);
      if (current.token !== delivery.token) {
        return failed(
          `rollout failed (${why}); the Secret was changed by someone else, so it was not rolled back`,
        );
      }
      const restored = Object.fromEntries(
        Object.values(secretAnnotations).map((key) => [key, previous.annotations[key] ?? null]),
      );
      if (this.lost?.aborted)
        return this.lockLostDeployment(d, `after its rollout failed (${why}); not rolled back`);
      await d.cluster.writeToken(d.target, previous.token, {
        resourceVersion: current.resourceVersion,
        annotations: restored,
      });
      if (this.lost?.aborted) return this.lockLostDeployment(d, `while rolling back (${why})`);
      await d.cluster.restart(d.target);
      await d.cluster.waitForRollout(d.target, {
        timeoutInMs: this.gateway.rolloutTimeoutInMs,
        onProgress: this.options.onProgress,
      });
    } catch (error) {
      return failed(`rollout failed (${why}) and rolling back failed too (${this.describe(error)})`);
    }
    return {
      target: d.label,
      status: "rolled-back",
      reason: `rollout failed (${why}); previous token restored`,
      errorName,
    };
  }

  /** Step 7: regenerate the key the previous token was signed with, when asked and it is not the new key. */
  private async revokeIfAsked(
    outcome: RotationOutcome,
    previousKeys: Set<KeyType | undefined>,
    delivery: Delivery,
  ): Promise<void> {
    if (!(this.options.revokeOldKey ?? this.gateway.revokeOldKey)) return;
    const oldKey =
      delivery.keyType === "primary" ? "secondary" : delivery.keyType === "secondary" ? "primary" : undefined;
    if (!oldKey || !previousKeys.has(oldKey)) {
      outcome.reason += previousKeys.has(undefined)
        ? "; the previous token's key type is unknown, so no key was revoked"
        : "; no key to revoke";
      return;
    }
    try {
      this.throwIfLockLost();
      await this.deps.issuer.revoke(this.gateway.apim, oldKey, { abortSignal: this.signal });
      outcome.revokedKeyType = oldKey;
      outcome.reason += `; ${oldKey} key regenerated, older tokens signed with it no longer work`;
    } catch (error) {
      outcome.status = "failed";
      outcome.reason += `; but regenerating the ${oldKey} key failed: ${this.describe(error)}`;
    }
  }

  /** Throws the loss's reason when the lock was lost: checked right before each write. */
  private throwIfLockLost(): void {
    if (this.lost?.aborted) throw lossOf(this.lost);
  }

  /** A deployment the run stopped at because the lock was lost. */
  private lockLostDeployment(d: DeploymentState, when: string): DeploymentOutcome {
    const loss = this.lost ? lossOf(this.lost) : new LockHeldError("the rotation lock was lost");
    return {
      target: d.label,
      status: "failed",
      reason: `the rotation lock was lost ${when}: ${this.describe(loss)}`,
      errorName: loss.name,
    };
  }

  /**
   * The outcome once the lock was lost: logged as `rotation.lock-lost`, `failed` with the loss's
   * `errorName`; what was delivered stays, the rest is left for the next run (Key Vault holds the token).
   */
  private lockLostOutcome(
    plan: RotationPlan,
    all: DeploymentState[],
    results: Map<DeploymentState, DeploymentOutcome>,
    delivery?: Delivery,
  ): RotationOutcome {
    const loss = this.lost ? lossOf(this.lost) : new LockHeldError("the rotation lock was lost");
    const error = this.describe(loss);
    this.log.error("rotation.lock-lost", { gateway: this.gateway.name, error });
    const stored = delivery
      ? "Key Vault holds the token, the next run delivers it to the rest"
      : "no new token was delivered";
    return {
      gateway: plan.gateway,
      status: "failed",
      plan,
      reason: `stopped: the rotation lock was lost (${error}); ${stored}; nothing rolled back, old key not revoked`,
      keyType: delivery?.keyType ?? plan.currentKeyType,
      expiresOn: delivery?.expiresOn ?? plan.currentExpiresOn,
      vaultVersion: delivery?.vaultVersion,
      errorName: loss.name,
      deployments: all.map(
        (d) =>
          results.get(d) ?? {
            target: d.label,
            status: "unchanged" as const,
            reason: delivery ? "already has Key Vault's token" : "not attempted: the rotation lock was lost",
          },
      ),
    };
  }

  /** Step 8: log the outcome (without any token) and return it. */
  private finish(outcome: RotationOutcome): RotationOutcome {
    outcome.reason = this.scrub(outcome.reason);
    for (const d of outcome.deployments) if (d.reason) d.reason = this.scrub(d.reason);
    const fields = {
      gateway: outcome.gateway,
      status: outcome.status,
      decision: outcome.plan.decision,
      action: outcome.plan.action,
      reason: outcome.reason,
      keyType: outcome.keyType,
      expiresOn: outcome.expiresOn?.toISOString(),
      vaultVersion: outcome.vaultVersion,
      revokedKeyType: outcome.revokedKeyType,
      deployments: outcome.deployments.map((d) => ({ target: d.target, status: d.status, reason: d.reason })),
    };
    if (outcome.status === "failed" || outcome.status === "rolled-back")
      this.log.error("rotation.failed", fields);
    else this.log.info("rotation.completed", fields);
    this.metrics(outcome);
    return outcome;
  }

  /** `rotation.outcome`, and `token.days_left` when every deployment runs Key Vault's token. Not on a dry run. */
  private metrics(outcome: RotationOutcome): void {
    if (!this.log.metric || this.options.dryRun) return;
    const gateway = outcome.gateway;
    this.log.metric("rotation.outcome", 1, { gateway, status: outcome.status });
    const settled =
      outcome.status === "fresh" || outcome.status === "rotated" || outcome.status === "delivered";
    if (settled && outcome.expiresOn) {
      this.log.metric("token.days_left", daysUntil(outcome.expiresOn, this.now()), { gateway });
    }
  }

  /** Runs a step whose failure ends the run before any cluster changed: logged, then thrown without any token. */
  private async step<T>(stage: "plan" | "mint" | "store", action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (stage !== "plan" && this.lost?.aborted) throw new StoppedByLockLoss();
      this.log.error("rotation.failed", { gateway: this.gateway.name, stage, error: this.describe(error) });
      this.log.metric?.("rotation.outcome", 1, { gateway: this.gateway.name, status: "failed" });
      throw scrubError(error, (text) => this.scrub(text));
    }
  }

  private describe(error: unknown): string {
    return this.scrub(errorText(error));
  }

  private scrub(text: string): string {
    return redactText(text, this.secrets);
  }
}

/**
 * The outcome when a deployment to deliver to is paused: it cannot be rolled, so nothing is minted
 * or written anywhere; the paused ones fail, the rest are left for the next run.
 */
function pausedOutcome(
  plan: RotationPlan,
  deployments: DeploymentState[],
  paused: DeploymentState[],
): RotationOutcome {
  const names = paused.map((d) => d.label).join(", ");
  return {
    gateway: plan.gateway,
    status: "failed",
    plan,
    reason: `${names} ${paused.length === 1 ? "is" : "are"} paused; nothing was changed, old key not revoked`,
    keyType: plan.currentKeyType,
    expiresOn: plan.currentExpiresOn,
    deployments: deployments.map((d) =>
      paused.includes(d)
        ? {
            target: d.label,
            status: "failed",
            reason: `paused: resume it (kubectl rollout resume deployment/${d.target.deployment} -n ${d.target.namespace}) and rotate again`,
            errorName: "RolloutError",
          }
        : { target: d.label, status: "unchanged", reason: `not attempted: ${names} paused` },
    ),
  };
}

function planFields(plan: RotationPlan, dryRun: boolean): Record<string, unknown> {
  return {
    gateway: plan.gateway,
    dryRun,
    decision: plan.decision,
    action: plan.action,
    reason: plan.reason,
    keyType: plan.currentKeyType,
    expiresOn: plan.currentExpiresOn?.toISOString(),
    nextKeyType: plan.nextKeyType,
    nextExpiresOn: plan.nextExpiresOn?.toISOString(),
    deployments: plan.deployments.map((d) => ({ target: d.target, inSync: d.inSync })),
  };
}

/** Thrown by a step that failed because the lock was lost: the run ends with the lock-lost outcome. */
class StoppedByLockLoss extends Error {
  override name = "StoppedByLockLoss";
}

/** The lock's loss as an error (its reason: LockHeldError or PermissionDeniedError). */
function lossOf(lost: AbortSignal): Error {
  const reason: unknown = lost.reason;
  return reason instanceof Error
    ? reason
    : new LockHeldError(`the rotation lock was lost: ${String(reason)}`);
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}

/**
 * A fresh error with `scrub` applied to its message and its causes' (a few deep): same `.name`,
 * `permission` and `statusCode`, a one-line stack and nothing else (a response body may hold the token).
 */
function scrubError(error: unknown, scrub: (text: string) => string, depth = 0): Error {
  if (!(error instanceof Error)) return new Error(scrub(String(error)));
  const cause =
    error.cause !== undefined && depth < 3 ? scrubError(error.cause, scrub, depth + 1) : undefined;
  const fresh = new Error(scrub(error.message), cause ? { cause } : undefined);
  fresh.name = error.name;
  fresh.stack = `${fresh.name}: ${fresh.message}`;
  const { permission, statusCode } = error as { permission?: unknown; statusCode?: unknown };
  return Object.assign(
    fresh,
    permission === undefined ? {} : { permission },
    statusCode === undefined ? {} : { statusCode },
  );
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
