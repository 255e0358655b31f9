import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildBundles, findGatewayContainer, parseImage } from "../../shared/gateway/bundle.js";
import { parseManifest } from "../../shared/drift/load.js";
import type { KubeObject } from "../../shared/drift/types.js";
import { redacted } from "../../shared/token/redact.js";
import { bundleFromYaml, bundlesFromYaml } from "../drift/helpers.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/upstream/${name}`, import.meta.url), "utf8");

function deployment(containers: unknown[]): KubeObject {
  return {
    kind: "Deployment",
    metadata: { name: "d" },
    spec: { template: { spec: { containers } } },
  };
}

const names = (objects: Array<{ object: KubeObject }>): string[] =>
  objects.map((o) => o.object.metadata.name);

describe("parseImage", () => {
  it.each([
    [
      "mcr.microsoft.com/azure-api-management/gateway:2.5.0",
      "mcr.microsoft.com",
      "azure-api-management/gateway",
      "2.5.0",
      undefined,
    ],
    ["azure-api-management/gateway", undefined, "azure-api-management/gateway", undefined, undefined],
    ["nginx:1.25", undefined, "nginx", "1.25", undefined],
    ["localhost/gw:dev", "localhost", "gw", "dev", undefined],
    [
      "registry.local:5000/mirror/azure-api-management/gateway:2.5.0@sha256:abc123",
      "registry.local:5000",
      "mirror/azure-api-management/gateway",
      "2.5.0",
      "sha256:abc123",
    ],
    ["host:5000/a/b@sha256:def", "host:5000", "a/b", undefined, "sha256:def"],
  ])("%s", (ref, registry, repository, tag, digest) => {
    expect(parseImage(ref)).toEqual({
      repository,
      ...(registry ? { registry } : {}),
      ...(tag ? { tag } : {}),
      ...(digest ? { digest } : {}),
    });
  });
});

describe("findGatewayContainer", () => {
  it("finds the container by image repository, with any registry, port or digest", () => {
    expect(
      findGatewayContainer(
        deployment([
          { name: "sidecar", image: "envoyproxy/envoy:v1.30" },
          { name: "gw", image: "myacr.azurecr.io:443/mirrors/azure-api-management/gateway@sha256:0123" },
        ]),
      ),
    ).toBe(1);
  });

  it("does not take a look-alike repository", () => {
    expect(
      findGatewayContainer(deployment([{ image: "contoso/azure-api-management/gateway-tools:1.0" }])),
    ).toBe(-1);
    expect(
      findGatewayContainer(deployment([{ image: "contoso/not-azure-api-management/gateway:1.0" }])),
    ).toBe(-1);
  });

  it("falls back to the container that reads config.service.endpoint from env", () => {
    const object = deployment([
      { name: "sidecar", image: "busybox" },
      { name: "custom", image: "contoso/gw:1", env: [{ name: "config.service.endpoint", value: "x" }] },
    ]);
    expect(findGatewayContainer(object)).toBe(1);
  });

  it("falls back to the container whose envFrom ConfigMap holds config.service.endpoint (prefix applied)", () => {
    const object = deployment([
      { name: "sidecar", image: "busybox", envFrom: [{ configMapRef: { name: "other" } }] },
      {
        name: "custom",
        image: "contoso/gw:1",
        envFrom: [{ configMapRef: { name: "env" }, prefix: "config." }],
      },
    ]);
    const data: Record<string, Record<string, string>> = {
      env: { "service.endpoint": "x" },
      other: { "config.service.endpoint": "wrong container? no: other has it without prefix" },
    };
    expect(findGatewayContainer(object, (name) => data[name])).toBe(0);
    delete data.other;
    expect(findGatewayContainer(object, (name) => data[name])).toBe(1);
    expect(findGatewayContainer(object)).toBe(-1);
  });
});

describe("buildBundles", () => {
  it("bundles the portal manifest: ConfigMap, Services, token from secretKeyRef", () => {
    const bundle = bundleFromYaml(fixture("portal-generated-v2.yaml"), "portal.yaml");
    expect(bundle.deployment.object.metadata.name).toBe("selfhost");
    expect(bundle.deployment.file).toBe("portal.yaml");
    expect(bundle.deployment.line).toBe(22);
    expect(bundle.containerIndex).toBe(0);
    expect(bundle.partial).toBe(true);
    expect(names(bundle.configMaps)).toEqual(["selfhost-env"]);
    expect(bundle.secrets).toEqual([]);
    expect(names(bundle.services)).toEqual(["selfhost-live-traffic", "selfhost-instance-discovery"]);
    expect(bundle.token).toEqual({
      kind: "secretKeyRef",
      secretName: "selfhost-token",
      key: "value",
      path: ["spec", "template", "spec", "containers", 0, "env", 0],
    });
    const endpoint = bundle.settings.get("config.service.endpoint");
    expect(endpoint).toMatchObject({
      value: "<apim-name>.configuration.azure-api.net",
      from: "configmap",
      object: "ConfigMap/default/selfhost-env",
      path: ["data", "config.service.endpoint"],
    });
    expect(endpoint?.source?.lineOf(endpoint.path)).toBe(16);
    expect(bundle.settings.get("config.service.auth")).toMatchObject({
      value: undefined,
      from: "env-secret",
      object: "Secret/default/selfhost-token",
      path: ["spec", "template", "spec", "containers", 0, "env", 0],
    });
  });

  it("finds the token in the docs layout: envFrom secretRef with key config.service.auth.key (stringData)", () => {
    const bundle = bundleFromYaml(fixture("docs-token-auth.yaml"));
    expect(names(bundle.secrets)).toEqual(["apim-access-token"]);
    expect(bundle.token).toEqual({
      kind: "secretRef",
      secretName: "apim-access-token",
      key: "config.service.auth.key",
      path: ["spec", "template", "spec", "containers", 0, "envFrom", 1],
    });
    expect(bundle.settings.get("config.service.auth")?.value).toBe("key");
    const key = bundle.settings.get("config.service.auth.key");
    expect(key).toMatchObject({
      value: redacted,
      from: "secret",
      path: ["stringData", "config.service.auth.key"],
    });
    expect(JSON.stringify([...bundle.settings.values()].map((s) => s.value))).not.toContain(
      "<configuration-token>",
    );
  });

  it("reports no token for workload identity", () => {
    const bundle = bundleFromYaml(fixture("docs-workload-identity.yaml"));
    expect(bundle.token).toEqual({ kind: "none" });
    expect(bundle.settings.get("config.service.auth")?.value).toBe("workloadIdentity");
  });

  it("bundles the configuration-backup example with its PVC, Secret and Service", () => {
    const bundle = bundleFromYaml(fixture("example-configuration-backup.yaml"));
    expect(names(bundle.persistentVolumeClaims)).toEqual(["private-gateway-pvc"]);
    expect(names(bundle.secrets)).toEqual(["private-gateway-token"]);
    expect(names(bundle.services)).toEqual(["private-gateway"]);
    expect(bundle.settings.get("config.service.auth")).toMatchObject({
      value: redacted,
      from: "env-secret",
      path: ["stringData", "value"],
    });
  });

  it("chooses the gateway container of a custom image by the ConfigMap it reads (same namespace only)", () => {
    const yaml = (configMapNamespace: string) => `
kind: ConfigMap
metadata: {name: gw-env, namespace: ${configMapNamespace}}
data: {config.service.endpoint: x.configuration.azure-api.net}
---
kind: Deployment
metadata: {name: gw, namespace: edge}
spec:
  template:
    spec:
      containers:
      - {name: proxy, image: envoyproxy/envoy:v1.30}
      - name: gateway
        image: contoso.azurecr.io/custom-gateway:1.0.0
        envFrom: [{configMapRef: {name: gw-env}}]
`;
    const bundle = bundleFromYaml(yaml("edge"));
    expect(bundle.containerIndex).toBe(1);
    expect(bundle.settings.get("config.service.endpoint")?.object).toBe("ConfigMap/edge/gw-env");
    expect(bundlesFromYaml(yaml("other"))).toEqual([]);
  });

  it("skips deployments without a gateway container and returns [] when none", () => {
    expect(
      bundlesFromYaml(`kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: web, image: nginx:1.25}]}}}
`),
    ).toEqual([]);
  });

  it("merges envFrom (later wins, prefix applied) then env (env wins), decoding Secret data", () => {
    const yaml = `
kind: ConfigMap
metadata: {name: base, namespace: gw}
data:
  telemetry.logs.std.level: info
  service.endpoint: from-prefixed-configmap
---
kind: ConfigMap
metadata: {name: override, namespace: gw}
data:
  telemetry.logs.std.level: warn
  neighborhood.host: first
---
kind: Secret
metadata: {name: sec, namespace: gw}
data:
  neighborhood.host: ${Buffer.from("from-secret").toString("base64")}
  extra: ${Buffer.from("data-value").toString("base64")}
stringData:
  extra: string-data-wins
---
kind: ConfigMap
metadata: {name: base, namespace: other}
data:
  telemetry.logs.std.level: debug
---
kind: Deployment
metadata: {name: gw, namespace: gw}
spec:
  template:
    spec:
      containers:
      - name: gw
        image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        envFrom:
        - configMapRef: {name: base}
        - configMapRef: {name: base}
          prefix: config.
        - configMapRef: {name: override}
        - secretRef: {name: sec}
        env:
        - name: telemetry.logs.std.level
          value: error
        - name: from.ref
          valueFrom:
            configMapKeyRef: {name: override, key: neighborhood.host}
        - name: pod.name
          valueFrom:
            fieldRef: {fieldPath: metadata.name}
`;
    const bundle = bundleFromYaml(yaml);
    const value = (key: string) => bundle.settings.get(key)?.value;
    expect(value("telemetry.logs.std.level")).toBe("error");
    expect(bundle.settings.get("telemetry.logs.std.level")?.from).toBe("env");
    expect(value("config.service.endpoint")).toBe("from-prefixed-configmap");
    expect(value("neighborhood.host")).toBe(redacted);
    expect(bundle.settings.get("neighborhood.host")).toMatchObject({
      from: "secret",
      object: "Secret/gw/sec",
    });
    expect(value("extra")).toBe(redacted);
    expect(bundle.settings.get("extra")?.path).toEqual(["stringData", "extra"]);
    expect(value("from.ref")).toBe("first");
    expect(bundle.settings.get("from.ref")).toMatchObject({
      from: "configmap",
      path: ["data", "neighborhood.host"],
    });
    expect(value("pod.name")).toBeUndefined();
    expect(names(bundle.configMaps)).toEqual(["base", "override"]);
    expect(bundle.configMaps.every((c) => c.object.metadata.namespace === "gw")).toBe(true);
  });

  it("finds the token through an envFrom Secret key config.service.auth after its prefix", () => {
    const bundle = bundleFromYaml(`
kind: Secret
metadata: {name: tok}
stringData: {service.auth: "GatewayKey gw&202601010000&c2ln"}
---
kind: Deployment
metadata: {name: gw}
spec:
  template:
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        envFrom:
        - secretRef: {name: tok}
          prefix: config.
`);
    expect(bundle.token).toMatchObject({ kind: "secretRef", secretName: "tok", key: "service.auth" });
    expect(bundle.settings.get("config.service.auth")?.value).toBe(redacted);
  });

  it("keeps no Secret value but an auth mode name in the settings", () => {
    const bundle = bundleFromYaml(`
kind: Secret
metadata: {name: tok}
data: {other: c2VjcmV0LXZhbHVl, mode: a2V5}
stringData: {config.service.auth.key: "GatewayKey gw&202601010000&c2ln", plain: hidden-words}
---
kind: Deployment
metadata: {name: gw}
spec:
  template:
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        envFrom:
        - secretRef: {name: tok}
        env:
        - name: config.service.auth
          valueFrom: {secretKeyRef: {name: tok, key: mode}}
`);
    const value = (name: string): string | undefined => bundle.settings.get(name)?.value;
    expect(value("other")).toBe(redacted);
    expect(value("plain")).toBe(redacted);
    expect(value("config.service.auth.key")).toBe(redacted);
    expect(value("config.service.auth")).toBe("key");
    const values = JSON.stringify([...bundle.settings.values()].map((s) => s.value));
    expect(values).not.toContain("secret-value");
    expect(values).not.toContain("hidden-words");
  });

  it("reports a literal token without keeping its value", () => {
    const bundle = bundleFromYaml(`
kind: Deployment
metadata: {name: gw}
spec:
  template:
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        env:
        - name: config.service.auth
          value: "GatewayKey gw&202601010000&c2VjcmV0"
`);
    expect(bundle.token).toEqual({
      kind: "literal",
      path: ["spec", "template", "spec", "containers", 0, "env", 0],
    });
    expect(bundle.settings.get("config.service.auth")?.value).toBe(redacted);
    expect(JSON.stringify([...bundle.settings.values()].map((s) => s.value))).not.toContain("c2VjcmV0");
  });

  it("names an envFrom Secret the input does not hold as the token source, without a key", () => {
    const bundle = bundleFromYaml(`
kind: Deployment
metadata: {name: gw}
spec:
  template:
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        envFrom:
        - secretRef: {name: elsewhere}
`);
    expect(bundle.token).toEqual({
      kind: "secretRef",
      secretName: "elsewhere",
      path: ["spec", "template", "spec", "containers", 0, "envFrom", 0],
    });
  });

  it("matches PDBs, Services, HPAs and ScaledObjects in the same namespace only (missing namespace = default)", () => {
    const yaml = `
kind: Deployment
metadata: {name: gw}
spec:
  template:
    metadata:
      labels: {app: gw, tier: edge}
    spec:
      volumes:
      - name: cfg
        persistentVolumeClaim: {claimName: gw-pvc}
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
---
kind: PersistentVolumeClaim
metadata: {name: gw-pvc, namespace: default}
---
kind: PersistentVolumeClaim
metadata: {name: unrelated}
---
kind: PodDisruptionBudget
metadata: {name: by-labels}
spec: {selector: {matchLabels: {app: gw}}}
---
kind: PodDisruptionBudget
metadata: {name: by-expression}
spec:
  selector:
    matchExpressions:
    - {key: tier, operator: In, values: [edge, core]}
    - {key: canary, operator: DoesNotExist}
---
kind: PodDisruptionBudget
metadata: {name: not-in}
spec:
  selector:
    matchExpressions:
    - {key: tier, operator: NotIn, values: [edge]}
---
kind: PodDisruptionBudget
metadata: {name: other-labels}
spec: {selector: {matchLabels: {app: gw, tier: core}}}
---
kind: PodDisruptionBudget
metadata: {name: other-namespace, namespace: prod}
spec: {selector: {matchLabels: {app: gw}}}
---
kind: Service
metadata: {name: svc}
spec: {selector: {app: gw}}
---
kind: Service
metadata: {name: no-selector}
spec: {ports: [{port: 80}]}
---
kind: Service
metadata: {name: other-svc}
spec: {selector: {app: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
  minReplicas: 3
---
kind: HorizontalPodAutoscaler
metadata: {name: hpa-other}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
---
kind: ScaledObject
metadata: {name: keda}
spec:
  scaleTargetRef: {name: gw}
`;
    const bundle = bundleFromYaml(yaml);
    expect(names(bundle.podDisruptionBudgets).sort()).toEqual(["by-expression", "by-labels"]);
    expect(names(bundle.services)).toEqual(["svc"]);
    expect(names(bundle.horizontalPodAutoscalers)).toEqual(["hpa"]);
    expect(names(bundle.scaledObjects)).toEqual(["keda"]);
    expect(names(bundle.persistentVolumeClaims)).toEqual(["gw-pvc"]);
  });

  it("keeps each deployment's related objects apart, across many deployments", () => {
    const docs: string[] = [];
    for (let i = 0; i < 50; i++) {
      docs.push(`kind: Deployment
metadata: {name: gw${i}, namespace: ns${i % 5}}
spec:
  template:
    metadata: {labels: {app: gw${i}}}
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.${i}
        envFrom: [{configMapRef: {name: env${i}}}]
---
kind: ConfigMap
metadata: {name: env${i}, namespace: ns${i % 5}}
data: {config.service.endpoint: "gw${i}.configuration.azure-api.net"}
---
kind: PodDisruptionBudget
metadata: {name: pdb${i}, namespace: ns${i % 5}}
spec: {selector: {matchLabels: {app: gw${i}}}}`);
    }
    const bundles = buildBundles(parseManifest(docs.join("\n---\n"), "many.yaml"));
    expect(bundles).toHaveLength(50);
    bundles.forEach((bundle, i) => {
      expect(names(bundle.podDisruptionBudgets)).toEqual([`pdb${i}`]);
      expect(bundle.settings.get("config.service.endpoint")?.value).toBe(
        `gw${i}.configuration.azure-api.net`,
      );
    });
  });

  it("finds selectors by all their labels when many objects share some of them", () => {
    const docs: string[] = [];
    for (let i = 0; i < 30; i++) {
      docs.push(`kind: Deployment
metadata: {name: gw${i}, namespace: apim}
spec:
  template:
    metadata: {labels: {app: gateway, tier: edge, instance: gw${i}}}
    spec:
      containers: [{image: mcr.microsoft.com/azure-api-management/gateway:2.5.0}]
---
kind: Service
metadata: {name: svc${i}, namespace: apim}
spec: {selector: {tier: edge, app: gateway, instance: gw${i}}}`);
    }
    docs.push(`kind: Service
metadata: {name: all, namespace: apim}
spec: {selector: {app: gateway}}
---
kind: Service
metadata: {name: other, namespace: apim}
spec: {selector: {app: gateway, tier: core}}
---
kind: PodDisruptionBudget
metadata: {name: by-expression, namespace: apim}
spec: {selector: {matchExpressions: [{key: instance, operator: In, values: [gw3, gw4]}]}}`);
    const bundles = buildBundles(parseManifest(docs.join("\n---\n"), "shared.yaml"));
    expect(bundles).toHaveLength(30);
    bundles.forEach((bundle, i) => {
      expect(names(bundle.services).sort()).toEqual(["all", `svc${i}`].sort());
      expect(names(bundle.podDisruptionBudgets)).toEqual(i === 3 || i === 4 ? ["by-expression"] : []);
    });
  });

  it("lets a live caller say the input is complete", () => {
    const [bundle] = buildBundles(parseManifest(fixture("portal-generated-v2.yaml"), "p.yaml"), {
      partial: false,
    });
    expect(bundle.partial).toBe(false);
  });
});
