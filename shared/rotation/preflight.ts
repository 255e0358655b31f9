/**
 * Pre-flight, before the lock and before minting: every deployment the run will deliver to must
 * accept the Secret patch and the restart (a server-side dry run in the adapter), exist and not be
 * paused. A run that cannot deliver mints nothing, stores nothing and takes no lock.
 */
import { PreflightError } from "../errors.js";
import type { DeploymentState } from "./plan.js";
import type { RotationRun } from "./run.js";

/**
 * Checks every target, all of them, and reports every one that fails.
 * @throws PreflightError naming each object and what is missing (the adapter's message)
 */
export async function preflight(run: RotationRun, targets: DeploymentState[]): Promise<void> {
  const abortSignal = run.signal;
  const check = async (d: DeploymentState) => {
    if (d.secret.paused) throw new PreflightError(pausedMessage(d));
    await d.cluster.preflight(d.target, { abortSignal, state: d.secret });
  };
  const results = await Promise.allSettled(targets.map(check));
  const failures = results.flatMap((result, i) =>
    result.status === "rejected" ? [{ label: targets[i].label, error: result.reason as unknown }] : [],
  );
  if (failures.length === 0) return;
  if (failures.every((f) => !(f.error instanceof Error) || f.error.name !== "PreflightError")) {
    throw run.scrubError(failures[0].error);
  }
  const lines = failures.map((f) => `${f.label}: ${run.describe(f.error).replace(/^PreflightError: /, "")}`);
  throw new PreflightError(
    `gateway "${run.gateway.name}" cannot be delivered to, so nothing was minted or changed: ${lines.join("; ")}`,
  );
}

function pausedMessage({ target }: DeploymentState): string {
  const { namespace, deployment } = target;
  return `Deployment ${namespace}/${deployment} is paused; resume it (kubectl rollout resume deployment/${deployment} -n ${namespace}) and rotate again`;
}
