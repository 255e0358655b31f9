/**
 * Pre-flight of one delivery target, before anything is minted: the Deployment exists and is not
 * paused, its token Secret can be read, and server-side dry runs (`dryRun=All`) of the Secret merge
 * patch and of the restart patch pass: RBAC, immutability and admission, with nothing persisted.
 */
import type { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { PreflightError } from "../errors.js";
import type { DeploymentTarget } from "../config/types.js";
import type { DeploymentTokenState } from "../rotation/types.js";
import { kubeStatusCode } from "./errors.js";
import { readDeployment, whyMissing } from "./objects.js";
import { restartPatchBody, secretPatchBody } from "./patches.js";
import { mergePatchOptions, strategicMergePatchOptions } from "./request.js";
import { kubeCall, type KubeCallOptions } from "./retry.js";

/** The value the dry-run Secret patch writes: not a token, and never stored. */
export const preflightPlaceholder = "gateway-guard-preflight-placeholder";

export interface CheckDeliveryOptions {
  /** The token state already read (with the Deployment): skips reading the Deployment and the Secret. */
  state?: DeploymentTokenState;
  /** Reads the target's token Secret (`KubeGatewayCluster.readToken`). */
  readToken: () => Promise<DeploymentTokenState>;
  /** Abort signal and retry policy of each call. */
  call: KubeCallOptions;
}

/**
 * Checks that a token can be delivered to the target. Transient failures (5xx, timeouts) are thrown
 * as they are, so that the run can be retried later; InputError (no gateway container, a literal
 * token) too.
 * @param apis - the cluster's core and apps clients.
 * @param target - the deployment.
 * @param options - how to read the token Secret, and the call options.
 * @throws PreflightError naming the object, the verb or field, and the fix.
 */
export async function checkDelivery(
  apis: { core: CoreV1Api; apps: AppsV1Api },
  target: DeploymentTarget,
  options: CheckDeliveryOptions,
): Promise<void> {
  const { namespace, deployment: name } = target;
  const deploymentLabel = `Deployment ${namespace}/${name}`;
  const state = options.state ?? (await readState(apis, target, options));
  if (state.paused) {
    throw new PreflightError(
      `${deploymentLabel} is paused; resume it (kubectl rollout resume deployment/${name} -n ${namespace}) and rotate again`,
    );
  }
  const secretLabel = `Secret ${namespace}/${state.secretName}`;
  const secretBody = secretPatchBody({
    secretKey: state.secretKey,
    token: preflightPlaceholder,
    resourceVersion: state.resourceVersion,
    annotations: {},
  });
  await kubeCall(
    { verb: "patch", resource: "secrets", namespace, name: state.secretName },
    (signal) =>
      apis.core.patchNamespacedSecret(
        { name: state.secretName, namespace, body: secretBody, dryRun: "All" },
        mergePatchOptions(signal),
      ),
    options.call,
  ).catch((error: unknown) => {
    throw explain(secretLabel, error);
  });
  const restartBody = restartPatchBody(new Date(0).toISOString());
  await kubeCall(
    { verb: "patch", resource: "deployments.apps", namespace, name },
    (signal) =>
      apis.apps.patchNamespacedDeployment(
        { name, namespace, body: restartBody, dryRun: "All" },
        strategicMergePatchOptions(signal),
      ),
    options.call,
  ).catch((error: unknown) => {
    throw explain(deploymentLabel, error);
  });
}

/** Reads the Deployment (naming a missing one or its namespace) and then the token Secret. */
async function readState(
  apis: { core: CoreV1Api; apps: AppsV1Api },
  target: DeploymentTarget,
  options: CheckDeliveryOptions,
): Promise<DeploymentTokenState> {
  const deploymentLabel = `Deployment ${target.namespace}/${target.deployment}`;
  await readDeployment(apis.apps, target, options.call).catch(async (error: unknown) => {
    const missing = await whyMissing(apis.core, target, error, options.call);
    throw missing ? new PreflightError(missing.message, { cause: error }) : explain(deploymentLabel, error);
  });
  return options.readToken().catch((error: unknown) => {
    throw explain(`the token Secret of ${deploymentLabel}`, error);
  });
}

/**
 * A failure of one pre-flight step as a PreflightError naming the object, the verb or field and the
 * fix; transient failures, InputError and the caller's abort pass through.
 */
function explain(object: string, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const code = kubeStatusCode(error.cause);
  const detail = statusMessage(error);
  switch (error.name) {
    case "PermissionDeniedError": {
      const permission = (error as Error & { permission?: string }).permission ?? "the needed verb";
      return new PreflightError(
        `${object}: RBAC does not allow "${permission}" in its namespace; grant it to the identity running gateway-guard (infra/k8s/rbac.yaml) and rotate again`,
        { cause: error },
      );
    }
    case "NotFoundError":
      return new PreflightError(`${object}: not found (${detail}); create it, or fix the configuration`, {
        cause: error,
      });
  }
  if (code === 422 && /immutable/i.test(detail)) {
    return new PreflightError(
      `${object} is immutable (${detail}); the token cannot be written to it: delete and recreate it without \`immutable: true\`, and rotate again`,
      { cause: error },
    );
  }
  if (code === 400 || code === 422) {
    return new PreflightError(
      `${object}: the API server refused the change (HTTP ${code}: ${detail}); fix what it names (an admission policy, a webhook) and rotate again`,
      { cause: error },
    );
  }
  return error;
}

/** The API server's own message, as toKubeError kept it in the cause (`HTTP 422 Invalid: ...`). */
function statusMessage(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause.message : "";
  return cause.replace(/^HTTP \d+(?: \w+)?: /, "") || error.message;
}
