/**
 * Revoke (docs/rotation.md), opt-in: after every deployment runs the delivered token, and only if no
 * pod outside the configured deployments still reads the gateway's Secret, regenerate the key the
 * earlier tokens were signed with, so that no earlier copy works any more.
 *
 * Pulled deployments (pull mode) run the token once their agent reports Key Vault's version: until
 * every one has, revocation is pending, and a later run completes it ({@link pendingRevocation}).
 */
import { clusterLabel, isPulled, reportedAs } from "./target.js";
import { keyToRevoke, otherKey, type HeldKeys } from "./keys.js";
import type { Delivery } from "./mint.js";
import { reportsVersion, type DeploymentState, type PlanState } from "./plan.js";
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
  const waiting = awaitedReports(run, delivery.vaultVersion);
  if (waiting.length > 0) {
    outcome.status = "unrevoked";
    outcome.final = true;
    outcome.reason += `; revoke pending: waiting for reports from ${waiting.join(", ")}`;
    return;
  }
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

/** The pulled deployments (`<cluster>/<namespace>/<deployment>`) whose newest report does not name that Key Vault version. */
function awaitedReports(run: RotationRun, vaultVersion: string): string[] {
  return run.gateway.deployments.filter(isPulled).flatMap((target) => {
    const report = run.deps.reports?.latest(reportedAs(run.gateway.name, target));
    return reportsVersion(report, vaultVersion)
      ? []
      : [`${target.cluster.name}/${target.namespace}/${target.deployment}`];
  });
}

/** A revocation that waited for pulled deployments and can be completed now. Holds the token: never log it. */
export interface PendingRevocation {
  delivery: Delivery;
  /** The key of Key Vault's previous version, which still validates. */
  held: HeldKeys;
}

/**
 * The revocation a run that waited for pulled deployments left pending, when it can be completed
 * now: revocation is asked, the gateway has pulled deployments, every one reported Key Vault's
 * current version, and Key Vault's previous token is on the other key and still validates.
 * @param state - a `fresh` plan's state
 * @returns what {@link revokeIfAsked} needs, or undefined when there is nothing to complete
 */
export async function pendingRevocation(
  run: RotationRun,
  state: PlanState,
): Promise<PendingRevocation | undefined> {
  const { vault } = state;
  if (!run.revoking || !vault || state.pulled.length === 0) return undefined;
  if (awaitedReports(run, vault.version).length > 0) return undefined;
  const previous = await run.deps.vault.previous?.(run.gateway.keyVault.secretName, {
    abortSignal: run.signal,
  });
  if (!previous) return undefined;
  run.remember(previous.token);
  const current = vault.keyType ?? (await run.identifyKey(vault.token));
  if (!current || (await run.identifyKey(previous.token)) !== otherKey(current)) return undefined;
  return {
    delivery: {
      token: vault.token,
      keyType: current,
      expiresOn: vault.expiresOn,
      vaultVersion: vault.version,
    },
    held: new Map([[otherKey(current), ["Key Vault's previous version"]]]),
  };
}

/** Pods reading any configured deployment's Secret that no deployment in `current` owns. */
async function unknownConsumers(run: RotationRun, current: DeploymentState[]): Promise<SecretConsumer[]> {
  const key = (cluster: string, namespace: string, name: string) => `${cluster}/${namespace}/${name}`;
  const known = new Set(
    current.map((d) => key(clusterLabel(d.target.cluster), d.target.namespace, d.target.deployment)),
  );
  const found = new Map<string, SecretConsumer>();
  for (const d of run.gateway.deployments.filter((target) => !isPulled(target))) {
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
