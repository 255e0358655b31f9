/**
 * Production-grade gateway objects for the stand-in fleet: a ConfigMap, the token Secret, the
 * Deployment, the instance-discovery Service and a PodDisruptionBudget, in one of the two Secret
 * layouts found in the wild (rotation.md): the portal's key `value` or the Helm chart's `gateway-key`,
 * both read by env `config.service.auth` through `secretKeyRef`.
 */
import { secretAnnotations, type KeyType } from "../../shared/rotation/types.js";
import { gatewayPodSpec } from "../drift/gatewayPod.js";
import type { KubeObject } from "./kube/index.js";

/** Where the token lives: the portal's layout or the Helm chart's. */
export type SecretLayout = "portal" | "helm";

export interface GatewayObjectsOptions {
  namespace: string;
  /** Deployment name; the other objects are named after it. */
  name: string;
  layout: SecretLayout;
  /** The raw token (without `GatewayKey `). */
  token: string;
  replicas?: number;
  /** What gateway-guard recorded on the Secret when it last wrote it. */
  recorded: { keyType: KeyType; expiresOn: Date; vaultVersion: string; rotatedAt: Date };
}

/** The Secret name and key a layout uses for a Deployment. */
export function secretLocation(
  name: string,
  layout: SecretLayout,
): { secretName: string; secretKey: string } {
  return layout === "portal"
    ? { secretName: `${name}-token`, secretKey: "value" }
    : { secretName: `${name}-key`, secretKey: "gateway-key" };
}

/**
 * The objects of one gateway deployment.
 * @returns namespace, ConfigMap, Secret, Deployment, Service and PodDisruptionBudget.
 */
export function gatewayDeploymentObjects(options: GatewayObjectsOptions): KubeObject[] {
  const { namespace, name, layout, token, recorded } = options;
  const { secretName, secretKey } = secretLocation(name, layout);
  const labels: Record<string, string> =
    layout === "portal"
      ? { app: name }
      : { "app.kubernetes.io/name": "azure-api-management-gateway", "app.kubernetes.io/instance": name };
  const discovery = `${name}-instance-discovery`;
  const podSpec = gatewayPodSpec({ labels, secretName, secretKey, configMapName: `${name}-env` });
  podSpec.containers[0].ports.splice(1, 0, { name: "https", containerPort: 8081 });
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-env`, namespace, labels },
      data: {
        "config.service.endpoint": `https://${name}.configuration.azure-api.net`,
        "neighborhood.host": discovery,
        "runtime.deployment.artifact.source": "Azure Portal",
        "runtime.deployment.mechanism": layout === "portal" ? "YAML" : "Helm",
        "telemetry.metrics.local": "statsd",
        "telemetry.metrics.local.statsd.endpoint": "statsd.monitoring:8125",
        "telemetry.logs.std.level": "warn",
      },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: secretName,
        namespace,
        labels,
        annotations: {
          [secretAnnotations.keyType]: recorded.keyType,
          [secretAnnotations.expiresOn]: recorded.expiresOn.toISOString(),
          [secretAnnotations.vaultVersion]: recorded.vaultVersion,
          [secretAnnotations.rolledOutVersion]: recorded.vaultVersion,
          [secretAnnotations.rotatedAt]: recorded.rotatedAt.toISOString(),
        },
      },
      type: "Opaque",
      data: { [secretKey]: Buffer.from(`GatewayKey ${token}`, "utf8").toString("base64") },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, labels },
      spec: {
        replicas: options.replicas ?? 3,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: { metadata: { labels }, spec: podSpec },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: discovery, namespace, labels },
      spec: {
        clusterIP: "None",
        selector: labels,
        ports: [
          { name: "rate-limit-discovery", port: 4290, targetPort: "rate-limit-dc", protocol: "UDP" },
          { name: "discovery-heartbeat", port: 4291, targetPort: "dc-heartbeat", protocol: "UDP" },
        ],
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name, namespace, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    },
  ];
}
