/**
 * Revoke (docs/rotation.md), opt-in: after every deployment runs the delivered token, and only if no
 * pod outside the configured deployments still reads the gateway's Secret, regenerate the key the
 * earlier tokens were signed with, so that no earlier copy works any more.
 */
import { clusterLabel } from "./target.js";
import { keyToRevoke, type HeldKeys } from "./keys.js";
import type { Delivery } from "./mint.js";
import type { DeploymentState } from "./plan.js";
import type { RotationRun } from "./run.js";
import type { RotationOutcome, SecretConsumer } from "./types.js";

/** Pods in these phases run nothing. */
const finishedPhases = new Set(["Succeeded", "Failed"]);

/**
 * Revokes the old key when asked, updating the outcome: `revokedKeyType`, or status `unrevoked`
 * with the reason (and `unknownConsumers`) when it must not or could not.
 * @param current - the configured deployments, which all run the delivered token now (rolled by this run, or already on it)
 */
export async function revokeIfAsked(
  run: RotationRun,
  outcome: RotationOutcome,
  delivery: Delivery,
  held: HeldKeys | undefined,
  current: DeploymentState[],
): Promise<void> {
  if (!run.revoking || !held) return;
  const oldKey = keyToRevoke(delivery.keyType, held);
  if (!oldKey) {
    outcome.reason += delivery.keyType
      ? `; no earlier token used the ${delivery.keyType === "primary" ? "secondary" : "primary"} key, so no key was regenerated`
      : "; the delivered token's key is unknown, so no key was regenerated";
    return;
  }
  const unrevoked = (why: string) => {
    outcome.status = "unrevoked";
    outcome.final = true;
    outcome.reason += `; the ${oldKey} key was NOT regenerated: ${why}`;
  };
  if (!run.options.allowUnknownConsumers) {
    let unknown: SecretConsumer[];
    try {
      unknown = await unknownConsumers(run, current);
    } catch (error) {
      return unrevoked(`the pods reading the gateway's Secret could not be listed (${run.describe(error)})`);
    }
    if (unknown.length > 0) {
      outcome.unknownConsumers = unknown;
      run.log.warn("rotation.revoke-blocked", {
        gateway: run.gateway.name,
        pods: unknown.map((c) => `${c.namespace}/${c.pod}`),
      });
      return unrevoked(describeUnknown(unknown));
    }
  }
  try {
    run.throwIfLockLost();
    await run.deps.issuer.revoke(run.gateway.apim, oldKey, { abortSignal: run.lost });
  } catch (error) {
    return unrevoked(`regenerating it failed: ${run.describe(error)}`);
  }
  outcome.revokedKeyType = oldKey;
  outcome.reason += `; ${oldKey} key regenerated, older tokens signed with it no longer work`;
  run.log.info("rotation.revoked", { gateway: run.gateway.name, keyType: oldKey });
}

/** Pods reading any configured deployment's Secret that no deployment in `current` owns. */
async function unknownConsumers(run: RotationRun, current: DeploymentState[]): Promise<SecretConsumer[]> {
  const key = (cluster: string, namespace: string, name: string) => `${cluster}/${namespace}/${name}`;
  const known = new Set(
    current.map((d) => key(clusterLabel(d.target.cluster), d.target.namespace, d.target.deployment)),
  );
  const found = new Map<string, SecretConsumer>();
  for (const d of run.gateway.deployments) {
    const cluster = clusterLabel(d.cluster);
    const consumers = await run.deps.clusterFor(d).listSecretConsumers(d, { abortSignal: run.lost });
    for (const c of consumers) {
      if (c.phase && finishedPhases.has(c.phase)) continue;
      if (c.deployment && known.has(key(cluster, c.namespace, c.deployment))) continue;
      found.set(key(cluster, c.namespace, c.pod), c);
    }
  }
  return [...found.values()];
}

function describeUnknown(unknown: SecretConsumer[]): string {
  const pods = unknown.map(
    (c) => `${c.namespace}/${c.pod}${c.deployment ? ` (deployment ${c.deployment})` : ""}`,
  );
  const owners = [
    ...new Set(unknown.flatMap((c) => (c.deployment ? [`${c.namespace}/${c.deployment}`] : []))),
  ];
  const roll = owners.map((o) => {
    const [namespace, name] = o.split("/");
    return `kubectl rollout restart deployment/${name} -n ${namespace}`;
  });
  return (
    `pods outside the configured deployments read the gateway's Secret and would keep a dead token: ${pods.join(", ")}. ` +
    `Add their deployment to the gateway's deployments in the configuration and run again with --force --revoke-old-key, ` +
    `or roll them onto the new token${roll.length > 0 ? ` (${roll.join("; ")})` : ""} and revoke with --allow-unknown-consumers`
  );
}
