/**
 * A minimal valid gateway for rule tests: a ConfigMap, a Deployment, a headless discovery Service and a PDB
 * that pass every error and warning rule that the input can decide. Each test changes only what it checks.
 */
import { stringify } from "yaml";
import type { GatewayBundle, LiveData, Rule, RuleResult } from "../../../shared/drift/types.js";
import { gatewayPodSpec } from "../gatewayPod.js";
import { bundleFromYaml } from "../helpers.js";

/** Plain, freely mutable manifest data (tests only). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = any;

/** The objects of the base gateway, each optional so a test can drop it. */
export interface GatewayParts {
  configMap?: Doc;
  deployment: Doc;
  service?: Doc;
  pdb?: Doc;
  /** More objects (HPA, PVC, Secret, ...), appended in order. */
  extra: Doc[];
}

/** The base objects, fresh for each call. */
export function baseParts(): GatewayParts {
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "gw-env", namespace: "apim" },
      data: {
        "config.service.endpoint": "https://contoso.configuration.azure-api.net",
        "neighborhood.host": "gw-instance-discovery",
        "telemetry.metrics.local": "statsd",
        "telemetry.metrics.local.statsd.endpoint": "statsd.monitoring:8125",
        "telemetry.logs.std.level": "warn",
      },
    },
    deployment: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "gw", namespace: "apim" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "gw" } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: { metadata: { labels: { app: "gw" } }, spec: basePodSpec() },
      },
    },
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "gw-instance-discovery", namespace: "apim" },
      spec: {
        clusterIP: "None",
        selector: { app: "gw" },
        ports: [
          { name: "rate-limit-discovery", port: 4290, targetPort: "rate-limit-dc", protocol: "UDP" },
          { name: "discovery-heartbeat", port: 4291, targetPort: "dc-heartbeat", protocol: "UDP" },
        ],
      },
    },
    pdb: {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "gw", namespace: "apim" },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: "gw" } } },
    },
    extra: [],
  };
}

/** The shared gateway pod, with its configuration backup volume. */
function basePodSpec(): Doc {
  const spec: Doc = gatewayPodSpec({
    labels: { app: "gw" },
    secretName: "gw-token",
    secretKey: "value",
    configMapName: "gw-env",
  });
  spec.containers[0].volumeMounts = [{ name: "config-backup", mountPath: "/apim/config" }];
  spec.volumes = [{ name: "config-backup", persistentVolumeClaim: { claimName: "gw-config" } }];
  return spec;
}

/** An HPA targeting the base Deployment. */
export function hpa(minReplicas?: number, maxReplicas = 10): Doc {
  const spec: Doc = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "gw" },
    maxReplicas,
  };
  if (minReplicas !== undefined) spec.minReplicas = minReplicas;
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "gw", namespace: "apim" },
    spec,
  };
}

/** The gateway container of the base Deployment. */
export function container(parts: GatewayParts): Doc {
  return parts.deployment.spec.template.spec.containers[0];
}

/** The pod spec of the base Deployment. */
export function pod(parts: GatewayParts): Doc {
  return parts.deployment.spec.template.spec;
}

/** The base gateway as multi-document YAML, after `change`. */
export function gatewayYaml(change?: (parts: GatewayParts) => void): string {
  const parts = baseParts();
  change?.(parts);
  const docs = [parts.configMap, parts.deployment, parts.service, parts.pdb, ...parts.extra].filter(
    (d) => d !== undefined,
  );
  return docs.map((doc) => stringify(doc)).join("---\n");
}

export interface GatewayOptions {
  /** Checked as a live input (related objects fetched) instead of a manifest. */
  partial?: boolean;
  live?: LiveData;
}

/** The base gateway's bundle, after `change`. */
export function gateway(change?: (parts: GatewayParts) => void, options: GatewayOptions = {}): GatewayBundle {
  const bundle = bundleFromYaml(gatewayYaml(change), "gateway.yaml", { partial: options.partial ?? true });
  if (options.live) bundle.live = options.live;
  return bundle;
}

/** Runs a rule with its defaults (overridden by `settings`) at `now`. */
export function run(
  rule: Rule,
  bundle: GatewayBundle,
  settings: Record<string, unknown> = {},
  now = new Date("2026-03-01T00:00:00Z"),
): RuleResult[] {
  return rule.check(bundle, { settings: { ...rule.defaults, ...settings }, now });
}

/** Runs a rule that returns exactly one result and returns it. */
export function one(
  rule: Rule,
  bundle: GatewayBundle,
  settings?: Record<string, unknown>,
  now?: Date,
): RuleResult {
  const results = run(rule, bundle, settings, now);
  if (results.length !== 1) throw new Error(`${rule.id}: expected one result, got ${results.length}`);
  return results[0];
}

/** Statuses of a rule's results, in order. */
export function statuses(rule: Rule, bundle: GatewayBundle, settings?: Record<string, unknown>): string[] {
  return run(rule, bundle, settings).map((r) => r.status);
}
