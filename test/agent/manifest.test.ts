/**
 * infra/k8s/agent.yaml: it parses, its Role grants only what the agent calls and names the objects
 * where Kubernetes allows, its ConfigMap is a valid agent configuration that matches the Role, the
 * CronJob runs one pass at a time within the Lease's lifetime, and the project's own baseline rules
 * that apply to any pod (namespace, pinned image, restricted security context) pass on it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../shared/agent/config.js";
import { parseManifest } from "../../shared/drift/load.js";
import { findRule } from "../../shared/drift/rules/index.js";
import type { GatewayBundle, KubeObject } from "../../shared/gateway/types.js";
import { leaseName } from "../../shared/kube/lock.js";
import { lockTtlInMs } from "../../shared/rotation/rotate.js";

const file = fileURLToPath(new URL("../../infra/k8s/agent.yaml", import.meta.url));
const objects = parseManifest(readFileSync(file, "utf8"), file);

function only(kind: string): KubeObject {
  const found = objects.filter((o) => o.object.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0].object;
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const role = only("Role") as KubeObject & { rules: PolicyRule[] };
interface Container {
  image: string;
  args: string[];
  volumeMounts: unknown[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
}

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    serviceAccountName: string;
    terminationGracePeriodSeconds: number;
    securityContext: { seccompProfile?: unknown };
    containers: Container[];
  };
}

interface CronJobSpec {
  concurrencyPolicy: string;
  jobTemplate: { spec: { activeDeadlineSeconds: number; template: PodTemplate } };
}

const cronJob = only("CronJob") as KubeObject & { spec: CronJobSpec };
const jobSpec = cronJob.spec.jobTemplate.spec;
const podSpec = jobSpec.template.spec;
const [container] = podSpec.containers;
const configMap = only("ConfigMap") as KubeObject & { data: Record<string, string> };
const config = parseAgentConfig(
  (await import("yaml")).parse(configMap.data["agent.yaml"]),
  "agent.yaml in the ConfigMap",
);

describe("infra/k8s/agent.yaml", () => {
  it("holds a ServiceAccount for workload identity, a Role, its RoleBinding, a ConfigMap and a CronJob, all in the gateway's namespace", () => {
    expect(objects.map((o) => o.object.kind)).toEqual([
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "ConfigMap",
      "CronJob",
    ]);
    for (const o of objects) expect(o.object.metadata.namespace).toBe("apim-gateway");
    expect(only("ServiceAccount").metadata.annotations).toHaveProperty("azure.workload.identity/client-id");
    expect(jobSpec.template.metadata.labels).toMatchObject({ "azure.workload.identity/use": "true" });
    expect(podSpec.serviceAccountName).toBe(only("ServiceAccount").metadata.name);
    expect((only("RoleBinding") as KubeObject & { subjects: unknown[] }).subjects).toEqual([
      { kind: "ServiceAccount", name: "gateway-guard-agent", namespace: "apim-gateway" },
    ]);
  });

  it("grants exactly the verbs the agent uses, each narrowed by name except creating the Lease", () => {
    const granted = role.rules.flatMap((rule) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.map((verb) => {
          const names = rule.resourceNames ? ` ${rule.resourceNames.join(",")}` : "";
          return `${verb} ${resource}${rule.apiGroups[0] ? `.${rule.apiGroups[0]}` : ""}${names}`;
        }),
      ),
    );
    const [gateway] = config.gateways;
    const [target] = gateway.deployments;
    expect(granted.sort()).toEqual(
      [
        `get deployments.apps ${target.deployment}`,
        `patch deployments.apps ${target.deployment}`,
        `watch deployments.apps ${target.deployment}`,
        `get secrets ${target.secretName}`,
        `patch secrets ${target.secretName}`,
        "get configmaps apim-gateway-env",
        `get leases.coordination.k8s.io ${leaseName(gateway.name)}`,
        `update leases.coordination.k8s.io ${leaseName(gateway.name)}`,
        "create leases.coordination.k8s.io",
      ].sort(),
    );
  });

  it("configures the agent for its cluster's own queue and the gateway's namespace", () => {
    expect(config.cluster).toBe("onprem-paris");
    expect(config.reportQueueUrl).toMatch(/\/gateway-guard-reports-onprem-paris$/);
    expect(config.gateways[0].deployments[0]).toMatchObject({
      cluster: { type: "inCluster" },
      namespace: "apim-gateway",
    });
  });

  it("runs one pass at a time, within the Lease's lifetime, and lets a rollout finish on SIGTERM", () => {
    expect(cronJob.spec.concurrencyPolicy).toBe("Forbid");
    expect(container.args).toEqual(["agent", "--once", "--config", "/etc/gateway-guard/agent.yaml"]);
    expect(container.volumeMounts).toContainEqual({
      name: "config",
      mountPath: "/etc/gateway-guard",
      readOnly: true,
    });
    const [gateway] = config.gateways;
    expect(jobSpec.activeDeadlineSeconds * 1000).toBeGreaterThanOrEqual(lockTtlInMs(gateway));
    expect(podSpec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(gateway.rolloutTimeoutInMs);
  });

  it("pins the image, sets requests and limits, and a restricted security context", () => {
    expect(container.image).toMatch(/^ghcr\.io\/[^:]+:\d+\.\d+\.\d+$/);
    expect(Object.keys(container.resources.requests).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(container.resources.limits).sort()).toEqual(["cpu", "memory"]);
    expect(podSpec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });

  it("passes the baseline rules that apply to any pod: namespace, image-tag-pinned, security-context", () => {
    const source = objects.find((o) => o.object.kind === "CronJob");
    if (!source) throw new Error("no CronJob");
    const bundle: GatewayBundle = {
      deployment: {
        ...source,
        object: { ...cronJob, kind: "Deployment", spec: { template: jobSpec.template } },
      },
      containerIndex: 0,
      configMaps: [],
      secrets: [],
      persistentVolumeClaims: [],
      podDisruptionBudgets: [],
      horizontalPodAutoscalers: [],
      scaledObjects: [],
      services: [],
      partial: true,
      settings: new Map(),
      token: { kind: "none" },
    };
    for (const id of ["namespace", "image-tag-pinned", "security-context"]) {
      const rule = findRule(id);
      if (!rule) throw new Error(`no rule ${id}`);
      const results = rule.check(bundle, { settings: rule.defaults ?? {}, now: new Date() });
      expect(results.map((r) => `${id}: ${r.status} ${r.message}`)).toEqual([
        expect.stringMatching(new RegExp(`^${id}: pass `)),
      ]);
    }
  });
});
