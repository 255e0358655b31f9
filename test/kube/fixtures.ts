/**
 * The three Secret layouts found in the wild (rotation.md), as objects for the Kubernetes stand-in:
 * portal (key `value` via `secretKeyRef`), Helm chart (key `gateway-key` via `secretKeyRef`),
 * docs (key `config.service.auth.key` via `envFrom.secretRef`, mode `key` from a ConfigMap).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { abortableDelay, type RetryOptions } from "../../shared/kube/retry.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import { gatewayDeployment, gatewayImage, gatewayKeyData } from "../standins/kube/fixtures.js";
import type { KubeStandin } from "../standins/kube/index.js";

/** A token in the documented shape (`<gw>&<yyyyMMddHHmm>&<signature>`). */
export function fakeToken(gateway: string, expiresOn: Date, signature: string): string {
  const stamp = expiresOn.toISOString().replace(/[-:T]/g, "").slice(0, 12);
  return `${gateway}&${stamp}&${Buffer.from(signature).toString("base64")}`;
}

/** The gateway's Deployment, with a log-shipper sidecar before the gateway container. */
function deployment(namespace: string, name: string, container: object, replicas = 2): object {
  const sidecar = { name: "log-shipper", image: "busybox:1.36" };
  return gatewayDeployment(namespace, name, [sidecar, { name, image: gatewayImage, ...container }], replicas);
}

/** Portal YAML: Secret `<name>-token` key `value`, env `config.service.auth` from `secretKeyRef`. */
export function portalGateway(namespace: string, name: string, token: string, replicas = 2): object[] {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-token`, namespace },
      type: "Opaque",
      data: { value: gatewayKeyData(token) },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-env`, namespace },
      data: { "config.service.endpoint": "apim.configuration.azure-api.net" },
    },
    deployment(
      namespace,
      name,
      {
        env: [
          {
            name: "config.service.auth",
            valueFrom: { secretKeyRef: { name: `${name}-token`, key: "value" } },
          },
        ],
        envFrom: [{ configMapRef: { name: `${name}-env` } }],
      },
      replicas,
    ),
  ];
}

/** Helm chart: Secret key `gateway-key`. */
export function helmGateway(namespace: string, name: string, token: string): object[] {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-secret`, namespace },
      type: "Opaque",
      data: { "gateway-key": gatewayKeyData(token) },
    },
    deployment(namespace, name, {
      env: [
        { name: "config.service.endpoint", value: "apim.configuration.azure-api.net" },
        {
          name: "config.service.auth",
          valueFrom: { secretKeyRef: { name: `${name}-secret`, key: "gateway-key" } },
        },
      ],
    }),
  ];
}

/** Docs: ConfigMap `config.service.auth: key`, Secret key `config.service.auth.key` loaded with `envFrom.secretRef`. */
export function docsGateway(namespace: string, name: string, token: string): object[] {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "apim-access-token", namespace },
      type: "Opaque",
      data: {
        "config.service.auth.key": gatewayKeyData(token),
        unrelated: Buffer.from("other").toString("base64"),
      },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "apim-gateway-env", namespace },
      data: {
        "config.service.auth": "key",
        "config.service.endpoint": "https://apim.configuration.azure-api.net",
      },
    },
    deployment(namespace, name, {
      envFrom: [{ configMapRef: { name: "apim-gateway-env" } }, { secretRef: { name: "apim-access-token" } }],
    }),
  ];
}

/** A KubeConfig for a stand-in. */
export function kubeConfigOf(cluster: KubeStandin): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(cluster.kubeConfig());
  return config;
}

/**
 * A retry policy whose waits are recorded instead of slept (a wait still ends at once when its
 * signal aborts), so that tests see what the policy asked for without waiting for it.
 * @param overrides - other retry options.
 */
export function recordedRetry(overrides: RetryOptions = {}): { retry: RetryOptions; waits: number[] } {
  const waits: number[] = [];
  const delay = (delayInMs: number, abortSignal?: AbortSignal) => {
    waits.push(delayInMs);
    return abortableDelay(0, abortSignal);
  };
  return { waits, retry: { ...overrides, delay } };
}

/** The three layouts side by side in one namespace: Deployments `portal`, `helm` and `docs`. */
export function threeLayouts(namespace: string, token: string): object[] {
  return [
    ...portalGateway(namespace, "portal", token),
    ...helmGateway(namespace, "helm", token),
    ...docsGateway(namespace, "docs", token),
  ];
}

/** A deployment target for tests that build the cluster themselves (its connection is not used). */
export function standinTarget(
  namespace: string,
  deployment: string,
  extra: Partial<DeploymentTarget> = {},
): DeploymentTarget {
  return { cluster: { type: "kubeconfig", context: "test" }, namespace, deployment, ...extra };
}
