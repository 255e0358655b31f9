/**
 * Which pods read a Secret: env `secretKeyRef`, `envFrom.secretRef` (containers and init
 * containers), and `secret` or projected volumes; each with the Deployment that owns it through
 * its ReplicaSet.
 */
import type { AppsV1Api, CoreV1Api, V1Container, V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import type { SecretConsumer } from "../rotation/types.js";
import { requestOptions } from "./request.js";
import { kubeCall, type KubeCallOptions } from "./retry.js";

/**
 * Lists the pods of a namespace that read a Secret.
 * @param apis - the cluster's core and apps clients.
 * @param namespace - where the Secret and the pods are.
 * @param secretName - the Secret.
 * @param options - abort signal and retry policy.
 * @returns one entry per pod, sorted by name; `deployment` is absent for a pod no Deployment owns.
 */
export async function findSecretConsumers(
  apis: { core: CoreV1Api; apps: AppsV1Api },
  namespace: string,
  secretName: string,
  options: KubeCallOptions = {},
): Promise<SecretConsumer[]> {
  const pods = await kubeCall(
    { verb: "list", resource: "pods", namespace },
    (signal) => apis.core.listNamespacedPod({ namespace }, requestOptions(signal)),
    options,
  );
  const owners = new Map<string, Promise<string | undefined>>();
  const deploymentOf = (replicaSet: string, pod: V1Pod): Promise<string | undefined> => {
    let owner = owners.get(replicaSet);
    if (!owner)
      owners.set(replicaSet, (owner = replicaSetOwner(apis.apps, namespace, replicaSet, pod, options)));
    return owner;
  };
  const consumers = await Promise.all(
    pods.items
      .filter((pod) => readsSecret(pod, secretName))
      .map(async (pod): Promise<SecretConsumer> => {
        const owner = controllerOf(pod.metadata?.ownerReferences);
        const deployment = owner?.kind === "ReplicaSet" ? await deploymentOf(owner.name, pod) : undefined;
        const startedAt = pod.status?.startTime;
        return {
          namespace,
          pod: pod.metadata?.name ?? "",
          ...(deployment ? { deployment } : {}),
          ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
          ...(startedAt ? { startedAt: new Date(startedAt) } : {}),
        };
      }),
  );
  return consumers.sort((a, b) => a.pod.localeCompare(b.pod));
}

/**
 * True when a container or init container reads the Secret through env or envFrom, or a volume
 * (plain or projected) mounts it.
 */
export function readsSecret(pod: V1Pod, secretName: string): boolean {
  const spec = pod.spec;
  const containers: V1Container[] = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const inEnv = containers.some(
    (container) =>
      (container.env ?? []).some((env) => env.valueFrom?.secretKeyRef?.name === secretName) ||
      (container.envFrom ?? []).some((from) => from.secretRef?.name === secretName),
  );
  const inVolumes = (spec?.volumes ?? []).some(
    (volume) =>
      volume.secret?.secretName === secretName ||
      (volume.projected?.sources ?? []).some((source) => source.secret?.name === secretName),
  );
  return inEnv || inVolumes;
}

/**
 * The Deployment that owns a ReplicaSet: from the ReplicaSet's ownerReferences; when it cannot be
 * read (no RBAC for `get replicasets`), its name without the pod's `-<pod-template-hash>` suffix.
 */
async function replicaSetOwner(
  apps: AppsV1Api,
  namespace: string,
  replicaSet: string,
  pod: V1Pod,
  options: KubeCallOptions,
): Promise<string | undefined> {
  try {
    const read = await kubeCall(
      { verb: "get", resource: "replicasets.apps", namespace, name: replicaSet },
      (signal) => apps.readNamespacedReplicaSet({ name: replicaSet, namespace }, requestOptions(signal)),
      options,
    );
    const owner = controllerOf(read.metadata?.ownerReferences);
    return owner?.kind === "Deployment" ? owner.name : undefined;
  } catch (error) {
    const name = (error as Error).name;
    if (name !== "PermissionDeniedError" && name !== "NotFoundError") throw error;
    const hash = pod.metadata?.labels?.["pod-template-hash"];
    return hash && replicaSet.endsWith(`-${hash}`) ? replicaSet.slice(0, -hash.length - 1) : undefined;
  }
}

/** The controlling owner reference, else the first one. */
function controllerOf(owners: V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return owners?.find((o) => o.controller) ?? owners?.[0];
}
