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
  type V1Secret,
} from "@kubernetes/client-node";
import { selectorMatches } from "../gateway/bundle.js";
import type { GatewayBundle, LiveData, SourcedObject } from "../gateway/types.js";
import type { DeploymentTarget } from "../config/types.js";
import { secretAnnotations, type AbortOptions } from "../rotation/types.js";
import { sha256 } from "../token/parse.js";
import { secretTokenInfo } from "../token/secretInfo.js";
import type { KubeGatewayCluster } from "./cluster.js";
import { toKubeError, type KubeOperation } from "./errors.js";
import { readGatewayObjects, sourced, tokenFromSecret, tokenLocation, toPlain } from "./objects.js";
import { requestOptions } from "./request.js";

export interface LiveObjects {
  /** The Deployment, then the ConfigMaps, Secrets (values redacted), Services, PDBs, HPAs and pods related to it. */
  objects: SourcedObject[];
  live: LiveData;
  /** The Deployment's bundle, built once from these objects, with `live` set. */
  bundle: GatewayBundle;
}

/**
 * Reads a gateway Deployment and its related objects from the cluster.
 * @param target - the deployment.
 * @param cluster - the cluster it runs in.
 * @returns the objects, live data and bundle; what could not be read is listed in `live.errors`.
 * @throws NotFoundError / PermissionDeniedError when the Deployment itself cannot be read,
 *   InputError when it has no gateway container.
 */
export async function readLiveObjects(
  target: DeploymentTarget,
  cluster: Pick<KubeGatewayCluster, "api">,
  options: AbortOptions = {},
): Promise<LiveObjects> {
  const { namespace } = target;
  const core = await cluster.api(CoreV1Api);
  const apps = await cluster.api(AppsV1Api);
  const policy = await cluster.api(PolicyV1Api);
  const autoscaling = await cluster.api(AutoscalingV2Api);
  const errors: string[] = [];
  const reqOptions = requestOptions(options.abortSignal);
  const listed = async <T>(operation: KubeOperation, list: () => Promise<{ items: T[] }>): Promise<T[]> => {
    try {
      return (await list()).items;
    } catch (error) {
      errors.push(toKubeError(error, operation).message);
      return [];
    }
  };

  let pods: V1Pod[] = [];
  const related = async (deployment: V1Deployment): Promise<SourcedObject[]> => {
    const [services, budgets, autoscalers, listedPods] = await Promise.all([
      listed({ verb: "list", resource: "services", namespace }, () =>
        core.listNamespacedService({ namespace }, reqOptions),
      ),
      listed({ verb: "list", resource: "poddisruptionbudgets.policy", namespace }, () =>
        policy.listNamespacedPodDisruptionBudget({ namespace }, reqOptions),
      ),
      listed({ verb: "list", resource: "horizontalpodautoscalers.autoscaling", namespace }, () =>
        autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, reqOptions),
      ),
      listed({ verb: "list", resource: "pods", namespace }, () =>
        core.listNamespacedPod(
          { namespace, labelSelector: matchLabelsSelector(deployment.spec?.selector?.matchLabels) },
          reqOptions,
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
  const gateway = await readGatewayObjects({ core, apps }, target, {
    abortSignal: options.abortSignal,
    related,
  });
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
  const live: LiveData = {
    ...tokenData(gateway, target, errors),
    pods: ownPods.map(podState),
    ...(errors.length ? { errors } : {}),
  };
  bundle.live = live;
  return { objects, live, bundle };
}

function tokenData(
  gateway: Awaited<ReturnType<typeof readGatewayObjects>>,
  target: DeploymentTarget,
  errors: string[],
): LiveData {
  let secret: V1Secret | undefined;
  let key: string;
  try {
    const location = tokenLocation(gateway, target);
    key = location.secretKey;
    secret = gateway.secrets.find((s) => s.metadata?.name === location.secretName);
    if (!secret) {
      errors.push(`Secret ${target.namespace}/${location.secretName} (token) could not be read`);
      return {};
    }
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
    return {};
  }
  const annotations = secret.metadata?.annotations ?? {};
  const token = tokenFromSecret(secret, key);
  const data: LiveData = {};
  const { expiresOn } = secretTokenInfo(annotations, token);
  if (expiresOn) data.tokenExpiresOn = expiresOn;
  if (token) data.secretTokenSha256 = sha256(token);
  else errors.push(`Secret ${target.namespace}/${secret.metadata?.name} has no key "${key}"`);
  const rotatedAt = parseDate(annotations[secretAnnotations.rotatedAt]);
  if (rotatedAt) data.lastRotatedAt = rotatedAt;
  return data;
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
