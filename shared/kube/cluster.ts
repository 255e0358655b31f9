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
import { InputError, isTransient, RolloutError } from "../errors.js";
import type { ClusterConnection, DeploymentTarget } from "../config/types.js";
import type {
  AbortOptions,
  DeploymentTokenState,
  GatewayCluster,
  PreflightOptions,
  RestartOptions,
  RolloutProgress,
  SecretConsumer,
  WaitForRolloutOptions,
  WriteTokenOptions,
  WrittenToken,
} from "../rotation/types.js";
import { targetLabel } from "../rotation/target.js";
import { kubeConfigFor, type KubeConnectOptions } from "./connect.js";
import { findSecretConsumers } from "./consumers.js";
import { kubeStatusCode } from "./errors.js";
import { readDeployment, readGatewayObjects, tokenLocation, tokenState } from "./objects.js";
import { restartPatchBody, secretPatchBody } from "./patches.js";
import { checkDelivery } from "./preflight.js";
import { mergePatchOptions, requestOptions, strategicMergePatchOptions } from "./request.js";
import {
  abortableDelay,
  backoffInMs,
  defaultRetryOptions,
  kubeCall,
  type KubeCallOptions,
  type RetryOptions,
} from "./retry.js";
import { watchDeployment } from "./rolloutWatch.js";

export { restartedAtAnnotation } from "./patches.js";

export interface KubeGatewayClusterOptions {
  /** The cluster's config, or a loader called on first use (and again after a failure). */
  config: KubeConfig | (() => Promise<KubeConfig>);
  /**
   * Follow rollouts with a watch, as `kubectl rollout status` does (one read, then a watch). False
   * polls instead; so does a cluster that refused the watch (403, 404, 405), for the next 10 minutes.
   * Default true.
   */
  rolloutWatch?: boolean;
  /** How often `waitForRollout` reads the Deployment when it polls. Default 1000. */
  pollIntervalInMs?: number;
  /** Timeouts and retries of every call (defaults in retry.ts). */
  retry?: RetryOptions;
  now?: () => Date;
}

/** One Kubernetes cluster, reached through @kubernetes/client-node. */
export class KubeGatewayCluster implements GatewayCluster {
  readonly #options: KubeGatewayClusterOptions;
  #config: Promise<KubeConfig> | undefined;
  readonly #apis = new Map<unknown, unknown>();
  readonly #locations = new Map<string, { secretName: string; secretKey: string }>();
  /** When the cluster last refused a watch: rollouts are polled for a while after (ms since the epoch). */
  #watchRefusedAt: number | undefined;

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
    const apis = await this.#coreAndApps();
    const { namespace } = target;
    const objects = await readGatewayObjects(apis, target, this.#callOptions(options));
    const { secretName, secretKey } = tokenLocation(objects, target);
    this.#locations.set(locationKey(target), { secretName, secretKey });
    const secret =
      objects.secrets.find((s) => s.metadata?.name === secretName) ??
      (await kubeCall(
        { verb: "get", resource: "secrets", namespace, name: secretName },
        (signal) => apis.core.readNamespacedSecret({ name: secretName, namespace }, requestOptions(signal)),
        this.#callOptions(options),
      ));
    return tokenState(objects, secret, secretKey);
  }

  /** Merge-patches the Secret with `GatewayKey <token>` and annotations, on the resourceVersion read. */
  async writeToken(
    target: DeploymentTarget,
    token: string,
    options: WriteTokenOptions,
  ): Promise<WrittenToken | void> {
    const { secretName, secretKey } = await this.#location(target, options);
    const { namespace } = target;
    const body = secretPatchBody({ secretKey, token, ...options });
    const core = await this.api(CoreV1Api);
    const written = await kubeCall(
      { verb: "patch", resource: "secrets", namespace, name: secretName },
      (signal) =>
        core.patchNamespacedSecret({ name: secretName, namespace, body }, mergePatchOptions(signal)),
      this.#callOptions(options),
    );
    const resourceVersion = written.metadata?.resourceVersion;
    return resourceVersion ? { resourceVersion } : undefined;
  }

  /**
   * Pre-flight: the Deployment exists and is not paused, and server-side dry runs of the Secret
   * patch and the restart patch pass (RBAC, immutability, admission). Changes nothing. With
   * `state` (the run's own read), only the two dry runs are sent.
   * @throws PreflightError naming the object, the verb or field, and the fix.
   */
  async preflight(target: DeploymentTarget, options: PreflightOptions = {}): Promise<void> {
    await checkDelivery(await this.#coreAndApps(), target, {
      state: options.state,
      readToken: () => this.readToken(target, options),
      call: this.#callOptions(options),
    });
  }

  /** Every pod in the target's namespace that reads the target's Secret, with its owning Deployment. */
  async listSecretConsumers(target: DeploymentTarget, options: AbortOptions = {}): Promise<SecretConsumer[]> {
    const { secretName } = await this.#location(target, options);
    return findSecretConsumers(
      await this.#coreAndApps(),
      target.namespace,
      secretName,
      this.#callOptions(options),
    );
  }

  /**
   * As `kubectl rollout restart`: sets the pod template's restartedAt annotation (`restartedAt`
   * when given, so that a retried patch writes the same value and rolls nothing twice).
   * @throws RolloutError for a paused Deployment.
   */
  async restart(target: DeploymentTarget, options: RestartOptions = {}): Promise<void> {
    const apps = await this.api(AppsV1Api);
    const { namespace, deployment: name } = target;
    const deployment = await this.#readDeployment(apps, target, options);
    if (deployment.spec?.paused) {
      throw new RolloutError(
        `Deployment ${namespace}/${name} is paused and cannot be restarted; resume it (kubectl rollout resume deployment/${name} -n ${namespace}) and rotate again`,
      );
    }
    const body = restartPatchBody(options.restartedAt ?? this.#now().toISOString());
    await kubeCall(
      { verb: "patch", resource: "deployments.apps", namespace, name },
      (signal) =>
        apps.patchNamespacedDeployment({ name, namespace, body }, strategicMergePatchOptions(signal)),
      this.#callOptions(options),
    );
  }

  /**
   * As `kubectl rollout status`: reads the Deployment, then follows it with a watch from that read
   * until it is rolled out (or, when the cluster refuses the watch or `rolloutWatch` is false, polls
   * it). A watch that ends early is followed by a fresh read and a new watch. `timeoutInMs` is a
   * deadline: a read, a watch or a wait in progress is cut when it passes, and one more read
   * then decides (a rollout done by then is not failed). A read that fails
   * transiently (429, 5xx, network) is retried as retry.ts says and then tried again until the
   * deadline; a permanent one (403, 404) ends the wait.
   * @throws RolloutError on ProgressDeadlineExceeded, when the Deployment is deleted, or when
   *   `timeoutInMs` passes.
   */
  async waitForRollout(target: DeploymentTarget, options: WaitForRolloutOptions): Promise<void> {
    const apps = await this.api(AppsV1Api);
    const label = targetLabel(target);
    const deadline = AbortSignal.timeout(options.timeoutInMs);
    const abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal, deadline]) : deadline;
    const endsAt = Date.now() + options.timeoutInMs;
    let last: RolloutProgress | undefined;
    let lastFailure: string | undefined;
    const onRetry = (failure: Error) => void (lastFailure = failure.message);
    const settle = (deployment: V1Deployment): RolloutVerdict | undefined => {
      const state = rolloutState(deployment, label);
      if (state.progress.message !== last?.message) options.onProgress?.(state.progress);
      last = state.progress;
      return state.done ? "done" : state.failed ? "failed" : undefined;
    };
    const follow: FollowState = { rewatches: 0, expired: false };
    try {
      for (;;) {
        let deployment: V1Deployment | undefined;
        try {
          deployment = await this.#readDeployment(apps, target, { abortSignal, onRetry });
          lastFailure = undefined;
        } catch (error) {
          if (abortSignal.aborted || !isTransientRead(error)) throw error;
          lastFailure = (error as Error).message;
        }
        let verdict = deployment && settle(deployment);
        if (!verdict && deployment && this.#watches()) {
          const timeoutInMs = endsAt - Date.now();
          verdict = await this.#watchRollout(target, deployment, {
            settle,
            timeoutInMs,
            abortSignal,
            follow,
          });
        } else if (!verdict) {
          await abortableDelay(this.#options.pollIntervalInMs ?? 1000, abortSignal);
        }
        if (verdict === "done") return;
        if (verdict === "failed") throw new RolloutError(last?.message ?? `rollout of ${label} failed`);
      }
    } catch (error) {
      if (!deadline.aborted || options.abortSignal?.aborted) throw error;
      if (await this.#doneAtLastLook(apps, target, options)) return;
      const where = lastFailure ? `the last read failed: ${lastFailure}` : (last?.message ?? "no state read");
      throw new RolloutError(
        `Rollout of ${label} did not finish within ${options.timeoutInMs / 1000}s: ${where}`,
      );
    }
  }

  /**
   * Watches the Deployment from the version just read until the rollout settles; undefined when the
   * watch ended first (read again then), after a short backoff when it failed or ended at once. A
   * refused watch turns this cluster to polling for the next 10 minutes.
   * @throws RolloutError when the Deployment is deleted.
   */
  async #watchRollout(
    target: DeploymentTarget,
    deployment: V1Deployment,
    options: {
      settle: (deployment: V1Deployment) => RolloutVerdict | undefined;
      timeoutInMs: number;
      abortSignal: AbortSignal;
      follow: FollowState;
    },
  ): Promise<RolloutVerdict | undefined> {
    const { namespace, deployment: name } = target;
    const { follow, abortSignal } = options;
    const retry = { ...defaultRetryOptions, ...this.#options.retry };
    const startedAt = Date.now();
    const end = await watchDeployment(await this.#kubeConfig(), {
      namespace,
      name,
      resourceVersion: follow.expired ? undefined : deployment.metadata?.resourceVersion,
      settle: options.settle,
      timeoutInMs: options.timeoutInMs,
      connectTimeoutInMs: retry.timeoutInMs,
      abortSignal,
    });
    switch (end.kind) {
      case "settled":
        return end.value;
      case "deleted":
        throw new RolloutError(
          `Deployment ${namespace}/${name} was deleted while its rollout was followed (${targetLabel(target)})`,
        );
      case "refused":
        this.#watchRefusedAt = this.#now().getTime();
        await abortableDelay(this.#options.pollIntervalInMs ?? 1000, abortSignal);
        return undefined;
      case "closed": {
        follow.expired = end.expired ?? false;
        if (!end.error && Date.now() - startedAt >= minWatchInMs) {
          follow.rewatches = 0;
          return undefined;
        }
        const backoff = backoffInMs(follow.rewatches++, {
          baseDelayInMs: rewatchBackoffInMs,
          maxDelayInMs: maxRewatchBackoffInMs,
          random: retry.random,
        });
        await (retry.delay ?? abortableDelay)(backoff, abortSignal);
        return undefined;
      }
    }
  }

  /** Whether to follow a rollout with a watch now: unless turned off, or refused less than {@link watchRetryAfterInMs} ago. */
  #watches(): boolean {
    if (this.#options.rolloutWatch === false) return false;
    return (
      this.#watchRefusedAt === undefined ||
      this.#now().getTime() - this.#watchRefusedAt >= watchRetryAfterInMs
    );
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  /**
   * One more read when the deadline has passed, so that a rollout that finished just then (or whose
   * end a dead watch connection never brought) is not failed and rolled back.
   */
  async #doneAtLastLook(
    apps: AppsV1Api,
    target: DeploymentTarget,
    options: WaitForRolloutOptions,
  ): Promise<boolean> {
    const abortSignal = AbortSignal.timeout(lastLookTimeoutInMs);
    const deployment = await this.#readDeployment(apps, target, { abortSignal }).catch(() => undefined);
    const state = deployment && rolloutState(deployment, targetLabel(target));
    if (state?.done) options.onProgress?.(state.progress);
    return state?.done ?? false;
  }

  #readDeployment(
    apps: AppsV1Api,
    target: DeploymentTarget,
    options: Pick<KubeCallOptions, "abortSignal" | "onRetry">,
  ): Promise<V1Deployment> {
    return readDeployment(apps, target, { ...this.#callOptions(options), onRetry: options.onRetry });
  }

  async #coreAndApps(): Promise<{ core: CoreV1Api; apps: AppsV1Api }> {
    return { core: await this.api(CoreV1Api), apps: await this.api(AppsV1Api) };
  }

  #callOptions(options: AbortOptions): KubeCallOptions {
    return { abortSignal: options.abortSignal, retry: this.#options.retry };
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
  /** See {@link KubeGatewayClusterOptions.rolloutWatch}. Default true. */
  rolloutWatch?: boolean;
  pollIntervalInMs?: number;
  retry?: RetryOptions;
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
    if (connection.type === "pulled") {
      throw new InputError(
        `cluster ${connection.name} is pulled (delivery: pull): the service never calls it; its agent delivers and reports`,
      );
    }
    const key = JSON.stringify(connection, Object.keys(connection).sort());
    let cluster = clusters.get(key);
    if (!cluster) {
      cluster = new KubeGatewayCluster({
        config: () => kubeConfigFor(connection, options),
        rolloutWatch: options.rolloutWatch,
        pollIntervalInMs: options.pollIntervalInMs,
        retry: options.retry,
        now: options.now,
      });
      clusters.set(key, cluster);
    }
    return cluster;
  };
}

/** How a rollout ended, as `kubectl rollout status` tells. */
type RolloutVerdict = "done" | "failed";

/** What one `waitForRollout` carries from one watch to the next. */
interface FollowState {
  /** Watches in a row that failed or ended at once (the backoff's exponent). */
  rewatches: number;
  /** The last watch's resourceVersion was too old (410): watch from the current object. */
  expired: boolean;
}

/** After a refused watch, rollouts are polled this long before a watch is tried again (RBAC may have been fixed). */
const watchRetryAfterInMs = 10 * 60_000;

/** How long the read after the deadline may take. */
const lastLookTimeoutInMs = 5000;

/** A watch that ends sooner than this (or fails) is followed by a backoff before the next read. */
const minWatchInMs = 1000;
const rewatchBackoffInMs = 250;
const maxRewatchBackoffInMs = 5000;

/** A failed read worth repeating: throttling (429), a server error (5xx) or no answer at all. */
function isTransientRead(error: unknown): boolean {
  if (!isTransient(error)) return false;
  const code = kubeStatusCode((error as { cause?: unknown }).cause);
  return code === undefined || code === 429 || code >= 500;
}

function locationKey(target: DeploymentTarget): string {
  return `${target.namespace}/${target.deployment}`;
}
