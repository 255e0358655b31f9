/**
 * Reading a gateway Deployment with the ConfigMaps and Secrets its gateway container refers to,
 * and finding the Secret key that holds the token by following env/envFrom (shared/gateway/bundle.ts).
 */
import type { AppsV1Api, CoreV1Api, V1ConfigMap, V1Deployment, V1Secret } from "@kubernetes/client-node";
import { authModes, buildBundles, findGatewayContainer } from "../gateway/bundle.js";
import { redacted } from "../token/redact.js";
import type { GatewayBundle, KubeObject, SourcedObject } from "../gateway/types.js";
import { InputError, NotFoundError } from "../errors.js";
import type { DeploymentTarget } from "../config/types.js";
import type { DeploymentTokenState } from "../rotation/types.js";
import { stripGatewayKeyPrefix } from "../token/parse.js";
import type { KubeOperation } from "./errors.js";
import { requestOptions } from "./request.js";
import { kubeCall, type KubeCallOptions, type RetryOptions } from "./retry.js";

/** A client-node model as the plain JSON the API server sent (Dates become strings). */
export function toPlain(object: object, apiVersion: string, kind: string): KubeObject {
  const plain = JSON.parse(JSON.stringify(object)) as KubeObject;
  return { ...plain, apiVersion, kind, metadata: plain.metadata ?? { name: "" } };
}

/** A live object as a `SourcedObject` (no file, no lines). */
export function sourced(object: KubeObject): SourcedObject {
  return { object, lineOf: () => undefined };
}

export interface GatewayObjects {
  deployment: V1Deployment;
  /** ConfigMaps and Secrets referenced by the gateway container's env/envFrom that exist. */
  configMaps: V1ConfigMap[];
  secrets: V1Secret[];
  /**
   * The bundle built once from these objects and the `related` ones (Secret values redacted,
   * settings redacted, token source found).
   */
  bundle: GatewayBundle;
}

export interface ReadGatewayObjectsOptions {
  abortSignal?: AbortSignal;
  /** Reads more objects to bundle with the Deployment (Services, PDBs, HPAs), once it is read. */
  related?: (deployment: V1Deployment) => Promise<SourcedObject[]>;
  /** Timeouts and retries of each read (defaults in retry.ts). */
  retry?: RetryOptions;
}

/**
 * Reads the target's Deployment.
 * @throws NotFoundError, PermissionDeniedError, or an Error after the retries.
 */
export function readDeployment(
  apps: AppsV1Api,
  target: DeploymentTarget,
  options: KubeCallOptions = {},
): Promise<V1Deployment> {
  const { namespace, deployment: name } = target;
  return kubeCall(
    { verb: "get", resource: "deployments.apps", namespace, name },
    (signal) => apps.readNamespacedDeployment({ name, namespace }, requestOptions(signal)),
    options,
  );
}

/**
 * For a Deployment read that failed with NotFoundError: a NotFoundError that says whether the
 * namespace is missing too (when namespaces can be read), with the fix.
 * @param core - the cluster's core client.
 * @param target - the deployment.
 * @param error - what the read threw.
 * @param options - abort signal and retry policy.
 * @returns undefined when `error` is not a NotFoundError.
 */
export async function whyMissing(
  core: CoreV1Api,
  target: DeploymentTarget,
  error: unknown,
  options: KubeCallOptions = {},
): Promise<NotFoundError | undefined> {
  if (!(error instanceof Error) || error.name !== "NotFoundError") return undefined;
  const { namespace, deployment: name } = target;
  const namespaceExists = await kubeCall(
    { verb: "get", resource: "namespaces", namespace, name: namespace },
    (signal) => core.readNamespace({ name: namespace }, requestOptions(signal)),
    options,
  ).then(
    () => true,
    (failure: Error) => (failure.name === "NotFoundError" ? false : undefined),
  );
  return new NotFoundError(
    namespaceExists === false
      ? `Deployment ${namespace}/${name}: namespace not found (namespace "${namespace}" does not exist); fix the namespace of this deployment in the configuration`
      : `Deployment ${namespace}/${name}: not found; fix the deployment's name or namespace in the configuration, or deploy the gateway`,
    { cause: error },
  );
}

/**
 * Reads the target's Deployment and the ConfigMaps and Secrets its gateway container refers to.
 * @throws NotFoundError when the Deployment does not exist, InputError when it has no gateway container.
 */
export async function readGatewayObjects(
  apis: { core: CoreV1Api; apps: AppsV1Api },
  target: DeploymentTarget,
  { abortSignal, related, retry }: ReadGatewayObjectsOptions = {},
): Promise<GatewayObjects> {
  const { namespace, deployment: name } = target;
  const callOptions = { abortSignal, retry };
  const deployment = await readDeployment(apis.apps, target, callOptions).catch(async (error: unknown) => {
    throw (await whyMissing(apis.core, target, error, callOptions)) ?? error;
  });
  const deploymentObject = toPlain(deployment, "apps/v1", "Deployment");
  const containers = deployment.spec?.template?.spec?.containers ?? [];

  const configMapNames = new Set<string>();
  for (const container of containers) {
    for (const from of container.envFrom ?? [])
      if (from.configMapRef?.name) configMapNames.add(from.configMapRef.name);
    for (const env of container.env ?? [])
      if (env.valueFrom?.configMapKeyRef?.name) configMapNames.add(env.valueFrom.configMapKeyRef.name);
  }
  const configMaps = await readAll(
    [...configMapNames],
    (n, signal) => apis.core.readNamespacedConfigMap({ name: n, namespace }, requestOptions(signal)),
    { verb: "get", resource: "configmaps", namespace },
    callOptions,
  );
  const configMapData = new Map(configMaps.map((c) => [c.metadata?.name ?? "", c.data ?? {}]));
  const index = findGatewayContainer(deploymentObject, (n) => configMapData.get(n));
  if (index < 0) {
    throw new InputError(
      `Deployment ${namespace}/${name} has no gateway container (image azure-api-management/gateway, or a container reading config.service.endpoint)`,
    );
  }
  const gateway = containers[index];
  const secretNames = new Set<string>();
  for (const from of gateway.envFrom ?? []) if (from.secretRef?.name) secretNames.add(from.secretRef.name);
  for (const env of gateway.env ?? [])
    if (env.valueFrom?.secretKeyRef?.name) secretNames.add(env.valueFrom.secretKeyRef.name);
  if (target.secretName) secretNames.add(target.secretName);
  const secrets = await readAll(
    [...secretNames],
    (n, signal) => apis.core.readNamespacedSecret({ name: n, namespace }, requestOptions(signal)),
    { verb: "get", resource: "secrets", namespace },
    callOptions,
  );

  const objects = [
    sourced(deploymentObject),
    ...configMaps.map((c) => sourced(toPlain(c, "v1", "ConfigMap"))),
    ...secrets.map((s) => sourced(redactSecret(s))),
    ...((await related?.(deployment)) ?? []),
  ];
  const bundle = buildBundles(objects, { partial: false }).find(
    (b) => b.deployment.object === deploymentObject,
  );
  if (!bundle) throw new InputError(`Deployment ${namespace}/${name} has no gateway container`);
  return { deployment, configMaps, secrets, bundle };
}

/**
 * A Secret as plain data with every value replaced by `<redacted>` and no last-applied-configuration.
 * An auth mode name (`key`, `workloadIdentity`, ...) is kept: it is no secret, and it tells where the token is.
 */
export function redactSecret(secret: V1Secret): KubeObject {
  const plain = toPlain(secret, "v1", "Secret");
  const annotations = { ...plain.metadata.annotations };
  delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  const hidden = Buffer.from(redacted, "utf8").toString("base64");
  const data = Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, isAuthMode(value) ? value : hidden]),
  );
  const { stringData: _stringData, ...rest } = plain;
  const { managedFields: _managedFields, ...metadata } = plain.metadata;
  return { ...rest, metadata: { ...metadata, annotations }, data };
}

function isAuthMode(base64: string): boolean {
  return authModes.has(Buffer.from(base64, "base64").toString("utf8").trim().toLowerCase());
}

/** Where the token is: the target's explicit Secret and key, else the one the deployment reads. */
export function tokenLocation(
  objects: GatewayObjects,
  target: DeploymentTarget,
): { secretName: string; secretKey: string } {
  const where = `Deployment ${target.namespace}/${target.deployment}`;
  const source = objects.bundle.token;
  if (!target.secretName && source.kind === "literal") {
    throw new InputError(
      `${where} sets config.service.auth as a literal env value; move the token to a Secret so that it can be rotated`,
    );
  }
  const secretName = target.secretName ?? source.secretName;
  if (!secretName) {
    throw new InputError(
      `${where}: no Secret holds the gateway token (expected env config.service.auth from a secretKeyRef, or envFrom a secretRef with config.service.auth or config.service.auth.key); set secretName and secretKey in the configuration`,
    );
  }
  const secretKey =
    target.secretKey ??
    (source.secretName === secretName ? source.key : undefined) ??
    keyInSecret(objects, secretName);
  if (!secretKey) {
    const exists = objects.secrets.some((s) => s.metadata?.name === secretName);
    if (!exists)
      throw new NotFoundError(`Secret ${target.namespace}/${secretName}, read by ${where}, does not exist`);
    throw new InputError(
      `${where}: cannot tell which key of Secret ${target.namespace}/${secretName} holds the token (no config.service.auth or config.service.auth.key); set secretKey in the configuration`,
    );
  }
  return { secretName, secretKey };
}

function keyInSecret(objects: GatewayObjects, secretName: string): string | undefined {
  const keys = Object.keys(objects.secrets.find((s) => s.metadata?.name === secretName)?.data ?? {});
  return keys.length === 1 ? keys[0] : undefined;
}

/**
 * The token state the rotation engine reads (`GatewayCluster.readToken`) from the objects read and
 * the token's Secret.
 * @param objects - the Deployment and what it refers to.
 * @param secret - the Secret that holds the token.
 * @param secretKey - the key that holds it.
 */
export function tokenState(
  objects: GatewayObjects,
  secret: V1Secret,
  secretKey: string,
): DeploymentTokenState {
  return {
    secretName: secret.metadata?.name ?? "",
    secretKey,
    token: tokenFromSecret(secret, secretKey),
    resourceVersion: secret.metadata?.resourceVersion ?? "",
    annotations: { ...secret.metadata?.annotations },
    paused: objects.deployment.spec?.paused === true,
  };
}

/** Decodes a Secret value and strips `GatewayKey `; undefined when the key is absent. */
export function tokenFromSecret(secret: V1Secret, key: string): string | undefined {
  const encoded = secret.data?.[key];
  if (encoded === undefined) return undefined;
  return stripGatewayKeyPrefix(Buffer.from(encoded, "base64").toString("utf8"));
}

/** Reads objects by name; those that do not exist are left out. */
async function readAll<T>(
  names: string[],
  read: (name: string, abortSignal: AbortSignal) => Promise<T>,
  operation: KubeOperation,
  options: { abortSignal?: AbortSignal; retry?: RetryOptions },
): Promise<T[]> {
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        return await kubeCall({ ...operation, name }, (signal) => read(name, signal), options);
      } catch (error) {
        if ((error as Error).name === "NotFoundError") return undefined;
        throw error;
      }
    }),
  );
  return results.filter((r): r is Awaited<T> => r !== undefined) as T[];
}
