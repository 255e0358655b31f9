import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { kubeConfigYaml, startKubeStandin, type KubeStandin } from "./index.js";
import { gatewayObjects } from "./fixtures.js";

const started: KubeStandin[] = [];

async function start(options: Parameters<typeof startKubeStandin>[0] = {}): Promise<KubeStandin> {
  const standin = await startKubeStandin({ rolloutStepInMs: 5, ...options });
  started.push(standin);
  return standin;
}

function clientsFor(yaml: string, context?: string) {
  const config = new KubeConfig();
  config.loadFromString(yaml);
  if (context) config.setCurrentContext(context);
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof ApiException ? error.code : -1),
  );
}

/**
 * Restarts gw/selfhost (as `kubectl rollout restart`) while a client-node Watch follows it; resolves
 * once `seen` returns true for an event, and ends the watch.
 */
async function restartWhileWatching(
  standin: KubeStandin,
  seen: (phase: string, object: V1Deployment) => boolean,
): Promise<void> {
  const { config, apps } = clientsFor(standin.kubeConfig());
  let controller: AbortController | undefined;
  const watched = new Promise<void>((resolve, reject) => {
    void new Watch(config)
      .watch(
        "/apis/apps/v1/namespaces/gw/deployments",
        { fieldSelector: "metadata.name=selfhost" },
        (phase, object: V1Deployment) => (seen(phase, object) ? resolve() : undefined),
        (error: unknown) => (error ? reject(error as Error) : undefined),
      )
      .then((c) => (controller = c), reject);
  });
  await apps.patchNamespacedDeployment(
    {
      name: "selfhost",
      namespace: "gw",
      body: {
        spec: {
          template: {
            metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" } },
          },
        },
      },
    },
    setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
  );
  await watched;
  controller?.abort();
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

describe("Kubernetes stand-in: clusters, watches and bookkeeping", () => {
  it("serves several clusters from one kubeconfig, each with its own objects", async () => {
    const east = await start({ clusterName: "east" });
    const west = await start({ clusterName: "west" });
    await east.apply(gatewayObjects("gw", "east-gw", "t1", 1));
    const yaml = kubeConfigYaml([east.kubeConfigFacts(), west.kubeConfigFacts()]);
    expect(
      (await clientsFor(yaml, "east").apps.listNamespacedDeployment({ namespace: "gw" })).items,
    ).toHaveLength(1);
    expect(
      await codeOf(clientsFor(yaml, "west").apps.listNamespacedDeployment({ namespace: "gw" })),
    ).toBeUndefined();
    expect(
      (await clientsFor(yaml, "west").apps.listNamespacedDeployment({ namespace: "gw" })).items,
    ).toHaveLength(0);
  });

  it("streams a rollout to a client-node Watch", async () => {
    const cluster = await start({ rolloutStepInMs: 10 });
    await cluster.apply(gatewayObjects("gw", "selfhost", "t1", 2));
    const seen: string[] = [];
    await restartWhileWatching(cluster, (phase, object) => {
      seen.push(`${phase}:${object.status?.updatedReplicas ?? 0}`);
      const progressing = object.status?.conditions?.find((c) => c.type === "Progressing");
      return object.status?.observedGeneration === 2 && progressing?.reason === "NewReplicaSetAvailable";
    });
    expect(seen[0]).toMatch(/^ADDED:/);
    expect(seen).toContain("MODIFIED:1");
  });

  it("writes the completed condition in the same status that first shows the rollout done, as the real controller does", async () => {
    const cluster = await start({ rolloutStepInMs: 5 });
    await cluster.apply(gatewayObjects("gw", "selfhost", "t1", 3));
    const statuses: V1Deployment["status"][] = [];
    await restartWhileWatching(cluster, (_phase, object) => {
      if (object.status?.observedGeneration !== 2) return false;
      statuses.push(object.status);
      return object.status.conditions?.some((c) => c.reason === "NewReplicaSetAvailable") ?? false;
    });
    const firstDone = statuses.find(
      (s) => s?.updatedReplicas === 3 && s.replicas === 3 && s.availableReplicas === 3,
    );
    expect(firstDone?.conditions?.find((c) => c.type === "Progressing")?.reason).toBe(
      "NewReplicaSetAvailable",
    );
  });

  it("reports watches opening and closing, ends them on request, and serves none to a client that left", async () => {
    const cluster = await start();
    const url = `${cluster.url}/apis/apps/v1/namespaces/default/deployments?watch=true`;
    const headers = { authorization: `Bearer ${cluster.kubeConfigFacts().token}` };
    const opened = once(cluster.events, "watch-opened");
    const response = await fetch(url, { headers });
    await opened;
    const closed = once(cluster.events, "watch-closed");
    expect(cluster.endWatches()).toBe(1);
    expect(await closed).toEqual(["server"]);
    expect(await response.text()).toBe("");

    cluster.setLatency(50);
    await expect(fetch(url, { headers, signal: AbortSignal.timeout(10) })).rejects.toThrow();
    await fetch(`${cluster.url}/healthz`, { headers });
    expect(cluster.endWatches()).toBe(0);
  });

  it("snapshots env from envFrom secretRef (the newer docs layout)", async () => {
    const cluster = await start();
    const [namespace, secret, deployment] = gatewayObjects("gw", "docs", "unused", 1);
    const token = "docs&202601010000&c2ln";
    Object.assign(secret, {
      data: { "config.service.auth.key": Buffer.from(`GatewayKey ${token}`).toString("base64") },
    });
    const container = (
      deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }
    ).template.spec.containers[0];
    delete container.env;
    container.envFrom = [{ secretRef: { name: "docs-token" } }];
    await cluster.apply([namespace, secret, deployment]);
    expect(cluster.podTokens("gw", "docs")).toEqual([
      expect.objectContaining({ ready: true, env: { "config.service.auth.key": `GatewayKey ${token}` } }),
    ]);
  });

  it("keeps generation for metadata changes, raises it for spec changes, and ignores status in updates", async () => {
    const cluster = await start();
    await cluster.apply(gatewayObjects("gw", "selfhost", "t1", 1));
    const { apps } = clientsFor(cluster.kubeConfig());
    const labelled = await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: "gw", body: { metadata: { labels: { team: "edge" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    const replaced = await apps.replaceNamespacedDeployment({
      name: "selfhost",
      namespace: "gw",
      body: { ...labelled, spec: { ...labelled.spec!, replicas: 3 }, status: { replicas: 99 } },
    });
    expect(replaced.metadata?.generation).toBe(2);
    expect(replaced.status?.replicas).toBe(1);
    await cluster.onRolloutComplete("gw", "selfhost");
    expect(cluster.list("Pod", "gw")).toHaveLength(3);
  });

  it("folds Secret stringData into data and rejects data that is not base64", async () => {
    const cluster = await start({ namespaces: ["gw"] });
    const { core } = clientsFor(cluster.kubeConfig());
    const created = await core.createNamespacedSecret({
      namespace: "gw",
      body: { metadata: { name: "s" }, stringData: { value: "GatewayKey x" } },
    });
    expect(created.data).toEqual({ value: Buffer.from("GatewayKey x").toString("base64") });
    expect(created.stringData).toBeUndefined();
    expect(created.type).toBe("Opaque");
    expect(
      await codeOf(
        core.createNamespacedSecret({
          namespace: "gw",
          body: { metadata: { name: "t" }, data: { value: "not base64!" } },
        }),
      ),
    ).toBe(400);
    expect(
      await codeOf(core.createNamespacedSecret({ namespace: "missing", body: { metadata: { name: "u" } } })),
    ).toBe(404);
  });

  it("keeps a Deployment's status when apply replaces it", async () => {
    const cluster = await start();
    const objects = gatewayObjects("gw", "selfhost", "t1", 2);
    await cluster.apply(objects);
    const before = cluster.get("Deployment", "gw", "selfhost");
    await cluster.apply(objects);
    expect(cluster.get("Deployment", "gw", "selfhost")?.status).toEqual(before?.status);
    expect(cluster.list("Pod", "gw")).toHaveLength(2);
  });

  it("deletes a Deployment's pods with it, and a namespace's objects with it", async () => {
    const cluster = await start();
    await cluster.apply(gatewayObjects("gw", "selfhost", "t1", 2));
    const { apps, core } = clientsFor(cluster.kubeConfig());
    await apps.deleteNamespacedDeployment({ name: "selfhost", namespace: "gw" });
    expect(await cluster.waitForRollout("gw", "selfhost")).toBe("deleted");
    expect(cluster.list("Pod", "gw")).toHaveLength(0);
    await core.deleteNamespace({ name: "gw" });
    expect(cluster.get("Secret", "gw", "selfhost-token")).toBeUndefined();
  });

  it("words a cluster-scope denial as RBAC does and adds latency", async () => {
    const cluster = await start({ user: "system:serviceaccount:ops:rotator" });
    const { core } = clientsFor(cluster.kubeConfig());
    cluster.forbid({ verb: "list", resource: "pods" });
    const error = (await core.listPodForAllNamespaces().then(
      () => undefined,
      (e: unknown) => e,
    )) as ApiException<string>;
    expect(error).toBeInstanceOf(ApiException);
    expect(error.code).toBe(403);
    expect(JSON.parse(error.body).message).toBe(
      'pods is forbidden: User "system:serviceaccount:ops:rotator" cannot list resource "pods" in API group "" at the cluster scope',
    );
    cluster.clearFaults();
    cluster.setLatency(150);
    const before = Date.now();
    await core.listNamespace();
    expect(Date.now() - before).toBeGreaterThanOrEqual(140);
  });
});
