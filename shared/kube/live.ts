/**
 * Reading a gateway Deployment and what surrounds it from a live cluster for the drift check:
 * the objects as `SourcedObject`s (Secret values replaced, never returned) and the `LiveData` only a
 * cluster has (token expiry, token hash, last rotation, pods). Key Vault's hash is added by the caller.
 */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  PolicyV1Api,
  type V1Deployment,
  type V1Pod,
} from "@kubernetes/client-node";
import { selectorMatches } from "../gateway/bundle.js";
import type { GatewayBundle, LiveData, SourcedObject } from "../gateway/types.js";
import type { DeploymentTarget } from "../config/types.js";
import {
  secretAnnotations,
  type AbortOptions,
  type DeploymentTokenState,
  type StoredToken,
} from "../rotation/types.js";
import { sha256 } from "../token/parse.js";
import { annotationsDescribeToken, secretTokenInfo } from "../token/secretInfo.js";
import type { KubeGatewayCluster } from "./cluster.js";
import type { KubeOperation } from "./errors.js";
import { readGatewayObjects, sourced, tokenLocation, tokenState, toPlain } from "./objects.js";
import { kubeCall, type RetryOptions } from "./retry.js";
import { requestOptions } from "./request.js";

export interface LiveObjects {
  /** The Deployment, then the ConfigMaps, Secrets (values redacted), Services, PDBs, HPAs and pods related to it. */
  objects: SourcedObject[];
  live: LiveData;
  /** The Deployment's bundle, built once from these objects, with `live` set. */
  bundle: GatewayBundle;
  /**
   * The token as the rotation engine reads it (`GatewayCluster.readToken`), so that one read serves
   * both; undefined when the Secret could not be found (`tokenError` says why). Never log it.
   */
  token?: DeploymentTokenState;
  tokenError?: string;
}

/** Options of {@link readLiveObjects}. */
export interface ReadLiveObjectsOptions extends AbortOptions {
  /** Timeouts and retries of each read (defaults in retry.ts). */
  retry?: RetryOptions;
}

/**
 * Reads a gateway Deployment and its related objects from the cluster. Every read is timed out and
 * retried as retry.ts says; a list that still fails is named in `live.errors`.
 * @param target - the deployment.
 * @param cluster - the cluster it runs in.
 * @returns the objects, live data and bundle; what could not be read is listed in `live.errors`.
 * @throws NotFoundError / PermissionDeniedError when the Deployment itself cannot be read,
 *   InputError when it has no gateway container.
 */
export async function readLiveObjects(
  target: DeploymentTarget,
  cluster: Pick<KubeGatewayCluster, "api">,
  options: ReadLiveObjectsOptions = {},
): Promise<LiveObjects> {
  const { namespace } = target;
  const core = await cluster.api(CoreV1Api);
  const apps = await cluster.api(AppsV1Api);
  const policy = await cluster.api(PolicyV1Api);
  const autoscaling = await cluster.api(AutoscalingV2Api);
  const errors: string[] = [];
  const listed = async <T>(
    operation: KubeOperation,
    list: (signal: AbortSignal) => Promise<{ items: T[] }>,
  ): Promise<T[]> => {
    try {
      return (await kubeCall(operation, list, options)).items;
    } catch (error) {
      if (options.abortSignal?.aborted) throw error;
      errors.push(error instanceof Error ? error.message : String(error));
      return [];
    }
  };

  let pods: V1Pod[] = [];
  const related = async (deployment: V1Deployment): Promise<SourcedObject[]> => {
    const [services, budgets, autoscalers, listedPods] = await Promise.all([
      listed({ verb: "list", resource: "services", namespace }, (signal) =>
        core.listNamespacedService({ namespace }, requestOptions(signal)),
      ),
      listed({ verb: "list", resource: "poddisruptionbudgets.policy", namespace }, (signal) =>
        policy.listNamespacedPodDisruptionBudget({ namespace }, requestOptions(signal)),
      ),
      listed({ verb: "list", resource: "horizontalpodautoscalers.autoscaling", namespace }, (signal) =>
        autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, requestOptions(signal)),
      ),
      listed({ verb: "list", resource: "pods", namespace }, (signal) =>
        core.listNamespacedPod(
          { namespace, labelSelector: matchLabelsSelector(deployment.spec?.selector?.matchLabels) },
          requestOptions(signal),
        ),
      ),
    ]);
    pods = listedPods;
    return [
      ...services.map((s) => sourced(toPlain(s, "v1", "Service"))),
      ...budgets.map((b) => sourced(toPlain(b, "policy/v1", "PodDisruptionBudget"))),
      ...autoscalers.map((h) => sourced(toPlain(h, "autoscaling/v2", "HorizontalPodAutoscaler"))),
    ];
  };
  const gateway = await readGatewayObjects({ core, apps }, target, { ...options, related });
  const { bundle } = gateway;
  const selector = gateway.deployment.spec?.selector ?? {};
  const ownPods = pods.filter((p) => selectorMatches(selector, p.metadata?.labels ?? {}));
  const objects = [
    bundle.deployment,
    ...bundle.configMaps,
    ...bundle.secrets,
    ...bundle.services,
    ...bundle.podDisruptionBudgets,
    ...bundle.horizontalPodAutoscalers,
    ...ownPods.map((p) => sourced(toPlain(p, "v1", "Pod"))),
  ];
  const found = liveTokenState(gateway, target);
  const live: LiveData = {
    ...liveTokenData(found.token),
    pods: ownPods.map(podState),
  };
  if (found.error) errors.push(found.error);
  else if (found.token?.token === undefined)
    errors.push(`Secret ${namespace}/${found.token?.secretName} has no key "${found.token?.secretKey}"`);
  if (errors.length) live.errors = errors;
  bundle.live = live;
  return { objects, live, bundle, token: found.token, tokenError: found.error };
}

/**
 * The token facts of the live data: the Secret token's expiry and hash, Key Vault's hash, and the
 * last rotation only while the Secret's annotations describe the token it holds (a hand-edited
 * Secret keeps stale ones).
 * @param state - the Secret as read, if found.
 * @param vault - Key Vault's current version, when read.
 */
export function liveTokenData(state: DeploymentTokenState | undefined, vault?: StoredToken): LiveData {
  const data: LiveData = {};
  if (vault) data.vaultTokenSha256 = sha256(vault.token);
  if (!state?.token) return data;
  const { annotations, token } = state;
  data.secretTokenSha256 = sha256(token);
  const { expiresOn } = secretTokenInfo(annotations, token, vault);
  if (expiresOn) data.tokenExpiresOn = expiresOn;
  if (!annotationsDescribeToken(annotations, token, vault)) return data;
  const rotatedAt = parseDate(annotations[secretAnnotations.rotatedAt]);
  if (rotatedAt) data.lastRotatedAt = rotatedAt;
  if (
    token === vault?.token &&
    annotations[secretAnnotations.vaultVersion] === vault.version &&
    vault.createdOn
  )
    data.tokenIssuedOn = vault.createdOn;
  return data;
}

function liveTokenState(
  gateway: Awaited<ReturnType<typeof readGatewayObjects>>,
  target: DeploymentTarget,
): { token?: DeploymentTokenState; error?: string } {
  try {
    const { secretName, secretKey } = tokenLocation(gateway, target);
    const secret = gateway.secrets.find((s) => s.metadata?.name === secretName);
    if (!secret) return { error: `Secret ${target.namespace}/${secretName} (token) could not be read` };
    return { token: tokenState(gateway, secret, secretKey) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function podState(pod: V1Pod): { name: string; ready: boolean; startedAt?: Date } {
  const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const startedAt = parseDate(pod.status?.startTime as unknown as string | Date | undefined);
  return { name: pod.metadata?.name ?? "", ready, ...(startedAt ? { startedAt } : {}) };
}

function matchLabelsSelector(labels: Record<string, string> | undefined): string | undefined {
  const entries = Object.entries(labels ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : undefined;
}

function parseDate(value: string | Date | undefined): Date | undefined {
  if (value === undefined || value === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
