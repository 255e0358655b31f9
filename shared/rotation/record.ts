/**
 * Record (docs/rotation.md): the outcome. The engine logs step events and metrics, never a token; the
 * one final event per request (`rotation.completed`, `rotation.failed`, ...) is the caller's to log.
 * Metrics: `rotation.outcome` (1, `{ gateway, status }`) and `token.days_left` (days, `{ gateway }`)
 * for the token every deployment then runs; none on a dry run.
 */
import { daysUntil } from "../token/days.js";
import type { Deliveries } from "./deliver.js";
import type { Delivery } from "./mint.js";
import type { DeploymentState } from "./plan.js";
import type { RotationRun } from "./run.js";
import type { DeploymentOutcome, RotationOutcome, RotationPlan, RotationStatus } from "./types.js";

/** The outcome of a run that changed nothing: `fresh`, or `planned` for a dry run that would act. */
export function unchangedOutcome(plan: RotationPlan, dryRun: boolean): RotationOutcome {
  const status: RotationStatus = plan.action === "none" ? "fresh" : "planned";
  return {
    gateway: plan.gateway,
    status,
    plan,
    reason: status === "planned" && dryRun ? `dry run: ${plan.reason}` : plan.reason,
    keyType: plan.nextKeyType ?? plan.currentKeyType,
    expiresOn: plan.nextExpiresOn ?? plan.currentExpiresOn,
    final: false,
    deployments: plan.deployments.map((d) => ({ target: d.target, status: "unchanged" })),
  };
}

/** The outcome of delivering: `rotated`/`delivered`, or `failed`/`rolled-back` naming each failure. */
export function deliveredOutcome(
  run: RotationRun,
  plan: RotationPlan,
  all: DeploymentState[],
  delivery: Delivery,
  { results, stoppedBefore }: Deliveries,
): RotationOutcome {
  const done = plan.action === "mint" ? "rotated" : "delivered";
  const deployments = deploymentOutcomes(all, results, "already has Key Vault's token");
  const outcome: RotationOutcome = {
    gateway: plan.gateway,
    status: done,
    plan,
    reason: "",
    keyType: delivery.keyType,
    expiresOn: delivery.expiresOn,
    vaultVersion: delivery.vaultVersion,
    final: [...results.values()].some((r) => r.restarted),
    deployments,
  };
  const failures = deployments.filter((d) => d.status === "failed" || d.status === "rolled-back");
  if (failures.length > 0) {
    outcome.status = failures.some((d) => d.status === "failed") ? "failed" : "rolled-back";
    outcome.reason = `${failures.map((d) => `${d.target}: ${d.reason}`).join("; ")}; old key not revoked`;
  } else if (stoppedBefore) {
    outcome.status = "failed";
    outcome.reason = `stopped before ${stoppedBefore} (${run.describe(run.options.abortSignal?.reason)}); the next run delivers Key Vault's token to the rest; old key not revoked`;
  } else {
    outcome.reason = `${done} ${results.size} of ${all.length} deployments with the ${delivery.keyType ?? "unknown"} key`;
  }
  return outcome;
}

/**
 * The outcome once the lock was lost (or the run interrupted): logged as `rotation.lock-lost` (or
 * `rotation.interrupted`), `failed` with the loss's
 * `errorName`; what was delivered stays, the rest is left for the next run (Key Vault holds the token).
 */
export function lockLostOutcome(
  run: RotationRun,
  plan: RotationPlan,
  all: DeploymentState[],
  delivery?: Delivery,
  deliveries?: Deliveries,
): RotationOutcome {
  const loss = run.lossError();
  const error = run.describe(loss);
  const interrupted = run.options.interruptSignal?.aborted === true;
  run.log.error(interrupted ? "rotation.interrupted" : "rotation.lock-lost", {
    gateway: run.gateway.name,
    error,
  });
  const stored = delivery
    ? "Key Vault holds the token, the next run delivers it to the rest"
    : "no new token was delivered";
  const results = deliveries?.results ?? new Map();
  return {
    gateway: plan.gateway,
    status: "failed",
    plan,
    reason: `stopped: ${run.stoppedBecause()} (${error}); ${stored}; nothing rolled back, old key not revoked`,
    keyType: delivery?.keyType ?? plan.currentKeyType,
    expiresOn: delivery?.expiresOn ?? plan.currentExpiresOn,
    vaultVersion: delivery?.vaultVersion,
    errorName: loss.name,
    final: [...results.values()].some((r) => r.restarted),
    deployments: deploymentOutcomes(
      all,
      results,
      delivery ? "already has Key Vault's token" : `not attempted: ${run.stoppedBecause()}`,
    ),
  };
}

/** Scrubs every reason of tokens, emits the metrics and returns the outcome. */
export function finish(run: RotationRun, outcome: RotationOutcome): RotationOutcome {
  outcome.reason = run.scrub(outcome.reason);
  for (const d of outcome.deployments) if (d.reason) d.reason = run.scrub(d.reason);
  const { log } = run;
  if (!log.metric || run.options.dryRun) return outcome;
  const gateway = outcome.gateway;
  log.metric("rotation.outcome", 1, { gateway, status: outcome.status });
  const settled = ["fresh", "rotated", "delivered", "unrevoked"].includes(outcome.status);
  if (settled && outcome.expiresOn) {
    log.metric("token.days_left", daysUntil(outcome.expiresOn, run.now()), { gateway });
  }
  return outcome;
}

/** The plan as log fields (no token). */
export function planFields(plan: RotationPlan, dryRun: boolean): Record<string, unknown> {
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

function deploymentOutcomes(
  all: DeploymentState[],
  results: Deliveries["results"],
  untouched: string,
): DeploymentOutcome[] {
  return all.map(
    (d) => results.get(d)?.outcome ?? { target: d.label, status: "unchanged" as const, reason: untouched },
  );
}
