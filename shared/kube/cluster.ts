/**
 * The real `GatewayCluster`: reads and patches the gateway's token Secret, restarts the Deployment
 * as `kubectl rollout restart` does and waits for it as `kubectl rollout status` does.
 */
import {
  AppsV1Api,
  CoreV1Api,
  type ApiType,
  type KubeConfig,
  type V1Deployment,
} from "@kubernetes/client-node";
import { isTransient, RolloutError } from "../errors.js";
import type { ClusterConnection, DeploymentTarget } from "../config/types.js";
import type {
  AbortOptions,
  DeploymentTokenState,
  GatewayCluster,
  SecretConsumer,
  RolloutProgress,
  WaitForRolloutOptions,
  WriteTokenOptions,
} from "../rotation/types.js";
import { targetLabel } from "../rotation/target.js";
import { kubeConfigFor, type KubeConnectOptions } from "./connect.js";
import { kubeStatusCode, toKubeError } from "./errors.js";
import { gatewayKeyPrefix } from "../token/parse.js";
import { readGatewayObjects, tokenFromSecret, tokenLocation } from "./objects.js";
import { mergePatchOptions, requestOptions, strategicMergePatchOptions } from "./request.js";

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

export interface KubeGatewayClusterOptions {
  /** The cluster's config, or a loader called on first use (and again after a failure). */
  config: KubeConfig | (() => Promise<KubeConfig>);
  /** How often `waitForRollout` reads the Deployment. Default 1000. */
  pollIntervalInMs?: number;
  now?: () => Date;
}

/** One Kubernetes cluster, reached through @kubernetes/client-node. */
export class KubeGatewayCluster implements GatewayCluster {
  readonly #options: KubeGatewayClusterOptions;
  #config: Promise<KubeConfig> | undefined;
  readonly #apis = new Map<unknown, unknown>();
  readonly #locations = new Map<string, { secretName: string; secretKey: string }>();

  constructor(options: KubeGatewayClusterOptions) {
    this.#options = options;
  }

  /** A client-node API client for this cluster (cached per type). */
  async api<T extends ApiType>(type: new (config: never) => T): Promise<T> {
    const cached = this.#apis.get(type);
    if (cached) return cached as T;
    const config = await this.#kubeConfig();
    const client = config.makeApiClient(type as never) as T;
    this.#apis.set(type, client);
    return client;
  }

  /** The Secret, key and token (without `GatewayKey `) the Deployment's gateway container reads. */
  async readToken(target: DeploymentTarget, options: AbortOptions = {}): Promise<DeploymentTokenState> {
    const apis = { core: await this.api(CoreV1Api), apps: await this.api(AppsV1Api) };
    const objects = await readGatewayObjects(apis, target, options);
    const { secretName, secretKey } = tokenLocation(objects, target);
    this.#locations.set(locationKey(target), { secretName, secretKey });
    let secret = objects.secrets.find((s) => s.metadata?.name === secretName);
    if (!secret) {
      try {
        secret = await apis.core.readNamespacedSecret(
          { name: secretName, namespace: target.namespace },
          requestOptions(options.abortSignal),
        );
      } catch (error) {
        throw toKubeError(error, {
          verb: "get",
          resource: "secrets",
          namespace: target.namespace,
          name: secretName,
        });
      }
    }
    return {
      secretName,
      secretKey,
      token: tokenFromSecret(secret, secretKey),
      resourceVersion: secret.metadata?.resourceVersion ?? "",
      annotations: { ...secret.metadata?.annotations },
      paused: objects.deployment.spec?.paused === true,
    };
  }

  /** Merge-patches the Secret with `GatewayKey <token>` and annotations, on the resourceVersion read. */
  async writeToken(target: DeploymentTarget, token: string, options: WriteTokenOptions): Promise<void> {
    const { secretName, secretKey } = await this.#location(target, options);
    const body = {
      metadata: { resourceVersion: options.resourceVersion, annotations: options.annotations },
      data: { [secretKey]: Buffer.from(gatewayKeyPrefix + token, "utf8").toString("base64") },
    };
    const core = await this.api(CoreV1Api);
    try {
      await core.patchNamespacedSecret(
        { name: secretName, namespace: target.namespace, body },
        mergePatchOptions(options.abortSignal),
      );
    } catch (error) {
      throw toKubeError(error, {
        verb: "patch",
        resource: "secrets",
        namespace: target.namespace,
        name: secretName,
      });
    }
  }

  /** As `kubectl rollout restart`: sets the pod template's restartedAt annotation. Refuses a paused Deployment. */
  /** Not yet implemented: accepts every target. */
  async preflight(): Promise<void> {}

  /** Not yet implemented: reports no consumers. */
  async listSecretConsumers(): Promise<SecretConsumer[]> {
    return [];
  }

  async restart(target: DeploymentTarget, options: AbortOptions = {}): Promise<void> {
    const apps = await this.api(AppsV1Api);
    const { namespace, deployment: name } = target;
    const deployment = await this.#readDeployment(apps, target, options.abortSignal);
    if (deployment.spec?.paused) {
      throw new RolloutError(
        `Deployment ${namespace}/${name} is paused and cannot be restarted; resume it (kubectl rollout resume deployment/${name} -n ${namespace}) and rotate again`,
      );
    }
    const restartedAt = (this.#options.now?.() ?? new Date()).toISOString();
    const body = {
      spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: restartedAt } } } },
    };
    try {
      await apps.patchNamespacedDeployment(
        { name, namespace, body },
        strategicMergePatchOptions(options.abortSignal),
      );
    } catch (error) {
      throw toKubeError(error, { verb: "patch", resource: "deployments.apps", namespace, name });
    }
  }

  /**
   * As `kubectl rollout status`: polls the Deployment until it is rolled out. A read that fails
   * transiently (429, 5xx, network) is retried until the deadline; a permanent one (403, 404) ends the wait.
   * @throws RolloutError on ProgressDeadlineExceeded or when `timeoutInMs` passes.
   */
  async waitForRollout(target: DeploymentTarget, options: WaitForRolloutOptions): Promise<void> {
    const apps = await this.api(AppsV1Api);
    const label = targetLabel(target);
    const deadline = Date.now() + options.timeoutInMs;
    const interval = this.#options.pollIntervalInMs ?? 1000;
    let last: RolloutProgress | undefined;
    let lastFailure: string | undefined;
    for (;;) {
      let deployment: V1Deployment | undefined;
      try {
        deployment = await this.#readDeployment(apps, target, options.abortSignal);
        lastFailure = undefined;
      } catch (error) {
        if (options.abortSignal?.aborted) throw options.abortSignal.reason;
        if (!isTransientRead(error)) throw error;
        lastFailure = error instanceof Error ? error.message : String(error);
      }
      if (deployment) {
        const state = rolloutState(deployment, label);
        if (state.progress.message !== last?.message) options.onProgress?.(state.progress);
        last = state.progress;
        if (state.done) return;
        if (state.failed) throw new RolloutError(state.progress.message);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const where = lastFailure
          ? `the last read failed: ${lastFailure}`
          : (last?.message ?? "no state read");
        throw new RolloutError(
          `Rollout of ${label} did not finish within ${options.timeoutInMs / 1000}s: ${where}`,
        );
      }
      await sleep(Math.min(interval, left), options.abortSignal);
    }
  }

  async #readDeployment(
    apps: AppsV1Api,
    target: DeploymentTarget,
    abortSignal?: AbortSignal,
  ): Promise<V1Deployment> {
    const { namespace, deployment: name } = target;
    try {
      return await apps.readNamespacedDeployment({ name, namespace }, requestOptions(abortSignal));
    } catch (error) {
      throw toKubeError(error, { verb: "get", resource: "deployments.apps", namespace, name });
    }
  }

  async #location(
    target: DeploymentTarget,
    options: AbortOptions,
  ): Promise<{ secretName: string; secretKey: string }> {
    if (target.secretName && target.secretKey)
      return { secretName: target.secretName, secretKey: target.secretKey };
    const known = this.#locations.get(locationKey(target));
    if (known) return known;
    const { secretName, secretKey } = await this.readToken(target, options);
    return { secretName, secretKey };
  }

  #kubeConfig(): Promise<KubeConfig> {
    const { config } = this.#options;
    if (typeof config !== "function") return Promise.resolve(config);
    this.#config ??= config().catch((error: unknown) => {
      this.#config = undefined;
      throw error;
    });
    return this.#config;
  }
}

/** Where a Deployment's rollout stands, by `kubectl rollout status` rules. */
function rolloutState(
  deployment: V1Deployment,
  label: string,
): { done: boolean; failed: boolean; progress: RolloutProgress } {
  const name = deployment.metadata?.name ?? label;
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const progress = (message: string): RolloutProgress => ({
    target: label,
    updatedReplicas: updated,
    availableReplicas: available,
    desiredReplicas: desired,
    message,
  });
  const waiting = (message: string) => ({ done: false, failed: false, progress: progress(message) });
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return waiting(`Waiting for deployment spec update to be observed...`);
  }
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return {
      done: false,
      failed: true,
      progress: progress(`deployment "${name}" exceeded its progress deadline (${label})`),
    };
  }
  if (updated < desired) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (replicas > updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    );
  }
  if (available < updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    );
  }
  return { done: true, failed: false, progress: progress(`deployment "${name}" successfully rolled out`) };
}

export interface ClusterProviderOptions extends KubeConnectOptions {
  pollIntervalInMs?: number;
  now?: () => Date;
}

/**
 * A factory that gives one `KubeGatewayCluster` per connection (cached), connecting on first use.
 * Use as `clusterFor: (target) => provider(target.cluster)`.
 */
export function clusterProvider(
  options: ClusterProviderOptions = {},
): (connection: ClusterConnection) => KubeGatewayCluster {
  const clusters = new Map<string, KubeGatewayCluster>();
  return (connection) => {
    const key = JSON.stringify(connection, Object.keys(connection).sort());
    let cluster = clusters.get(key);
    if (!cluster) {
      cluster = new KubeGatewayCluster({
        config: () => kubeConfigFor(connection, options),
        pollIntervalInMs: options.pollIntervalInMs,
        now: options.now,
      });
      clusters.set(key, cluster);
    }
    return cluster;
  };
}

/** A failed read worth repeating: throttling (429), a server error (5xx) or no answer at all. */
function isTransientRead(error: unknown): boolean {
  if (!isTransient(error)) return false;
  const code = kubeStatusCode((error as { cause?: unknown }).cause);
  return code === undefined || code === 429 || code >= 500;
}

function locationKey(target: DeploymentTarget): string {
  return `${target.namespace}/${target.deployment}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
