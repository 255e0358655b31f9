import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import { gatewayDeployment, gatewayImage } from "../standins/kube/fixtures.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { fakeToken, kubeConfigOf, portalGateway, recordedRetry, standinTarget } from "./fixtures.js";

const ns = "gateways";
const token = fakeToken("edge", new Date("2026-01-01T00:00:00Z"), "signature");
const target = standinTarget(ns, "portal");

let standin: KubeStandin;
let cluster: KubeGatewayCluster;

/** A pod no controller owns, with the given spec. */
const barePod = (name: string, spec: object) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns },
  spec,
  status: { phase: "Running", startTime: "2026-12-01T10:00:00Z" },
});

beforeEach(async () => {
  standin = await startKubeStandin({ rolloutStepInMs: 5, namespaces: [ns] });
  await standin.apply([
    ...portalGateway(ns, "portal", token),
    gatewayDeployment(
      ns,
      "portal-canary",
      [
        {
          name: "gateway",
          image: gatewayImage,
          envFrom: [{ secretRef: { name: "portal-token" } }],
        },
      ],
      1,
    ),
    gatewayDeployment(ns, "unrelated", [{ name: "web", image: "nginx:1.27" }], 1),
    barePod("debug-shell", {
      containers: [{ name: "sh", image: "busybox:1.36" }],
      volumes: [{ name: "token", secret: { secretName: "portal-token" } }],
    }),
    barePod("projected-reader", {
      initContainers: [
        {
          name: "init",
          image: "busybox:1.36",
          env: [{ name: "T", valueFrom: { secretKeyRef: { name: "portal-token", key: "value" } } }],
        },
      ],
      containers: [{ name: "app", image: "busybox:1.36" }],
      volumes: [{ name: "all", projected: { sources: [{ secret: { name: "portal-token" } }] } }],
    }),
    barePod("other-secret", {
      containers: [{ name: "app", image: "busybox:1.36", envFrom: [{ secretRef: { name: "elsewhere" } }] }],
    }),
  ]);
  cluster = new KubeGatewayCluster({ config: kubeConfigOf(standin), retry: recordedRetry().retry });
});

afterEach(async () => {
  await standin.close();
});

const summary = (consumers: Awaited<ReturnType<KubeGatewayCluster["listSecretConsumers"]>>) =>
  consumers.map((c) => `${c.pod.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, "-*")} ${c.deployment ?? "-"}`).sort();

describe("KubeGatewayCluster.listSecretConsumers", () => {
  it("finds the gateway's pods, a canary Deployment sharing the Secret, and bare pods, with their owners", async () => {
    const consumers = await cluster.listSecretConsumers(target);
    expect(summary(consumers)).toEqual([
      "debug-shell -",
      "portal-* portal",
      "portal-* portal",
      "portal-canary-* portal-canary",
      "projected-reader -",
    ]);
    expect(consumers[0]).toMatchObject({
      namespace: ns,
      pod: "debug-shell",
      phase: "Running",
      startedAt: new Date("2026-12-01T10:00:00Z"),
    });
    expect(standin.requests.filter((r) => r.resource === "replicasets")).toHaveLength(2);
  });

  it("falls back to the ReplicaSet's name when ReplicaSets cannot be read", async () => {
    standin.forbid({ verb: "get", resource: "replicasets" });
    expect(summary(await cluster.listSecretConsumers(target))).toEqual([
      "debug-shell -",
      "portal-* portal",
      "portal-* portal",
      "portal-canary-* portal-canary",
      "projected-reader -",
    ]);
  });

  it("names the missing permission when pods cannot be listed", async () => {
    standin.forbid({ verb: "list", resource: "pods" });
    await expect(cluster.listSecretConsumers(target)).rejects.toMatchObject({
      name: "PermissionDeniedError",
      permission: "list pods",
    });
  });
});
