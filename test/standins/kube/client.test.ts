import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { startKubeStandin, type KubeStandin } from "../../../test/standins/kube/index.js";
import { gatewayKeyData, gatewayObjects } from "./fixtures.js";

const ns = "gateways";
const oldToken = "selfhost&202601010000&b2xkLXNpZ25hdHVyZQ==";
const newToken = "selfhost&202602010000&bmV3LXNpZ25hdHVyZQ==";

let cluster: KubeStandin;
let core: CoreV1Api;
let apps: AppsV1Api;
let leases: CoordinationV1Api;

beforeEach(async () => {
  cluster = await startKubeStandin({ rolloutStepInMs: 5, progressDeadlineInMs: 200 });
  await cluster.apply(gatewayObjects(ns, "selfhost", oldToken));
  const config = new KubeConfig();
  config.loadFromString(cluster.kubeConfig());
  core = config.makeApiClient(CoreV1Api);
  apps = config.makeApiClient(AppsV1Api);
  leases = config.makeApiClient(CoordinationV1Api);
});

afterEach(async () => {
  await cluster.close();
});

async function apiError(promise: Promise<unknown>): Promise<ApiException<string>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  return error as ApiException<string>;
}

function statusOf(error: ApiException<string>): { reason: string; message: string; code: number } {
  return JSON.parse(error.body) as { reason: string; message: string; code: number };
}

const restartPatch = () => ({
  spec: {
    template: {
      metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } },
    },
  },
});

describe("Kubernetes stand-in with @kubernetes/client-node", () => {
  it("reads a Secret seeded with apply", async () => {
    const secret = await core.readNamespacedSecret({ name: "selfhost-token", namespace: ns });
    expect(secret.data?.value).toBe(gatewayKeyData(oldToken));
    expect(secret.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(secret.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it("refuses a wrong bearer token with 401", async () => {
    const config = new KubeConfig();
    config.loadFromString(cluster.kubeConfig().replace(/token: .*/, "token: wrong"));
    const error = await apiError(config.makeApiClient(CoreV1Api).listNamespace());
    expect(error.code).toBe(401);
  });

  it("merge-patches a Secret with a resourceVersion precondition and answers 409 when stale", async () => {
    const before = await core.readNamespacedSecret({ name: "selfhost-token", namespace: ns });
    const rv = before.metadata?.resourceVersion ?? "";
    const patched = await core.patchNamespacedSecret(
      {
        name: "selfhost-token",
        namespace: ns,
        body: { metadata: { resourceVersion: rv }, data: { value: gatewayKeyData(newToken) } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(patched.data?.value).toBe(gatewayKeyData(newToken));
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(rv));

    const error = await apiError(
      core.patchNamespacedSecret(
        {
          name: "selfhost-token",
          namespace: ns,
          body: { metadata: { resourceVersion: rv }, data: { value: "eA==" } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(error.code).toBe(409);
    expect(error.body).not.toContain(gatewayKeyData(newToken));
    expect(statusOf(error)).toMatchObject({
      reason: "Conflict",
      message: expect.stringContaining('Operation cannot be fulfilled on secrets "selfhost-token"'),
    });
    expect(cluster.get("Secret", ns, "selfhost-token")?.data).toEqual({ value: gatewayKeyData(newToken) });
  });

  it("leaves the resourceVersion alone on a patch that changes nothing", async () => {
    const before = cluster.get("Secret", ns, "selfhost-token");
    const after = await core.patchNamespacedSecret(
      { name: "selfhost-token", namespace: ns, body: { data: { value: gatewayKeyData(oldToken) } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(after.metadata?.resourceVersion).toBe(before?.metadata.resourceVersion);
  });

  it("answers an object body sent without a patch content type as the API server does", async () => {
    const body = { data: { value: gatewayKeyData(newToken) } };
    const defaulted = await apiError(
      core.patchNamespacedSecret({ name: "selfhost-token", namespace: ns, body }),
    );
    expect(defaulted.code).toBe(400);
    expect(statusOf(defaulted).message).toBe(
      "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
    );

    const plainJson = await apiError(
      core.patchNamespacedSecret(
        { name: "selfhost-token", namespace: ns, body },
        setHeaderOptions("Content-Type", "application/json"),
      ),
    );
    expect(plainJson.code).toBe(415);
    expect(statusOf(plainJson).reason).toBe("UnsupportedMediaType");
    expect(cluster.requests.at(-1)).toMatchObject({
      verb: "patch",
      contentType: "application/json",
      status: 415,
    });
  });

  it("applies a JSON patch (RFC 6902) and fails its test operation with 422", async () => {
    const patched = await core.patchNamespacedSecret(
      {
        name: "selfhost-token",
        namespace: ns,
        body: [{ op: "add", path: "/metadata/annotations", value: { "gateway-guard/key-type": "primary" } }],
      },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    expect(patched.metadata?.annotations).toEqual({ "gateway-guard/key-type": "primary" });
    const error = await apiError(
      core.patchNamespacedSecret(
        {
          name: "selfhost-token",
          namespace: ns,
          body: [{ op: "test", path: "/type", value: "kubernetes.io/tls" }],
        },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      ),
    );
    expect(error.code).toBe(422);
  });

  it("rolls a Deployment after a rollout restart; every new pod starts with the new Secret value", async () => {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=selfhost" });
    const oldPods = pods.items.map((p) => p.metadata?.name);
    expect(oldPods).toHaveLength(2);
    expect(cluster.podTokens(ns, "selfhost").map((p) => p.env["config.service.auth"])).toEqual([
      `GatewayKey ${oldToken}`,
      `GatewayKey ${oldToken}`,
    ]);

    await core.patchNamespacedSecret(
      { name: "selfhost-token", namespace: ns, body: { data: { value: gatewayKeyData(newToken) } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const patched = await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: ns, body: restartPatch() },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.spec?.template.spec?.containers).toHaveLength(1);
    expect(patched.status?.observedGeneration).toBe(1);

    await cluster.onRolloutComplete(ns, "selfhost");

    const done = await apps.readNamespacedDeployment({ name: "selfhost", namespace: ns });
    expect(done.status).toMatchObject({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(done.status?.conditions?.find((c) => c.type === "Progressing")?.reason).toBe(
      "NewReplicaSetAvailable",
    );
    expect(done.metadata?.annotations?.["deployment.kubernetes.io/revision"]).toBe("2");
    const after = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=selfhost" });
    expect(after.items).toHaveLength(2);
    for (const pod of after.items) {
      expect(oldPods).not.toContain(pod.metadata?.name);
      expect(pod.status?.startTime).toBeInstanceOf(Date);
      expect(pod.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
    }
    const snapshots = cluster.podTokens(ns, "selfhost");
    expect(snapshots).toHaveLength(2);
    expect(snapshots.every((p) => p.ready && p.env["config.service.auth"] === `GatewayKey ${newToken}`)).toBe(
      true,
    );
  });

  it("reports ProgressDeadlineExceeded for a stalled rollout and recovers on the next one", async () => {
    cluster.stallRollouts(ns, "selfhost");
    await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: ns, body: restartPatch() },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(await cluster.waitForRollout(ns, "selfhost")).toBe("failed");
    const stalled = await apps.readNamespacedDeployment({ name: "selfhost", namespace: ns });
    const progressing = stalled.status?.conditions?.find((c) => c.type === "Progressing");
    expect(progressing).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
    expect(stalled.status).toMatchObject({ replicas: 3, updatedReplicas: 1, availableReplicas: 2 });
    await expect(cluster.onRolloutComplete(ns, "selfhost")).rejects.toThrow(/failed/);

    await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: ns, body: restartPatch() },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    await cluster.onRolloutComplete(ns, "selfhost");
    expect(cluster.podTokens(ns, "selfhost").every((p) => p.ready)).toBe(true);
    expect(cluster.list("Pod", ns)).toHaveLength(2);
  });

  it("does not roll a paused Deployment", async () => {
    await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: ns, body: { spec: { paused: true } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    const before = cluster.list("Pod", ns).map((p) => p.metadata.name);
    await apps.patchNamespacedDeployment(
      { name: "selfhost", namespace: ns, body: restartPatch() },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(await cluster.waitForRollout(ns, "selfhost")).toBe("complete");
    const deployment = cluster.get("Deployment", ns, "selfhost");
    expect(deployment?.status?.observedGeneration).toBe(3);
    expect(cluster.list("Pod", ns).map((p) => p.metadata.name)).toEqual(before);
  });

  it("denies a forbidden verb with an RBAC-worded 403 and allows the rest", async () => {
    const lift = cluster.forbid({ verb: "patch", resource: "secrets", namespace: ns });
    const error = await apiError(
      core.patchNamespacedSecret(
        { name: "selfhost-token", namespace: ns, body: { data: { value: gatewayKeyData(newToken) } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(error.code).toBe(403);
    expect(statusOf(error)).toMatchObject({
      reason: "Forbidden",
      message: `secrets "selfhost-token" is forbidden: User "${cluster.user}" cannot patch resource "secrets" in API group "" in the namespace "${ns}"`,
    });
    await core.readNamespacedSecret({ name: "selfhost-token", namespace: ns });
    lift();
    await core.patchNamespacedSecret(
      { name: "selfhost-token", namespace: ns, body: { data: { value: gatewayKeyData(newToken) } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  });

  it("fails the next requests with an injected status and Retry-After", async () => {
    cluster.failNext({ status: 429, count: 2, retryAfterInSeconds: 3, resource: "secrets" });
    const first = await apiError(core.readNamespacedSecret({ name: "selfhost-token", namespace: ns }));
    expect(first.code).toBe(429);
    expect(first.headers["retry-after"]).toBe("3");
    await apiError(core.readNamespacedSecret({ name: "selfhost-token", namespace: ns }));
    await core.readNamespacedSecret({ name: "selfhost-token", namespace: ns });
  });

  it("creates and replaces Leases with MicroTime, and answers 409 to a stale replace", async () => {
    const microTime = (date: Date) => date.toISOString().replace("Z", "000Z");
    const spec = { holderIdentity: "worker-1", leaseDurationSeconds: 30, acquireTime: microTime(new Date()) };
    const created = await leases.createNamespacedLease({
      namespace: ns,
      body: {
        metadata: { name: "gateway-selfhost" },
        spec: { ...spec, renewTime: spec.acquireTime } as never,
      },
    });
    expect(String(created.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    expect(cluster.get("Lease", ns, "gateway-selfhost")?.spec?.acquireTime).toBe(spec.acquireTime);

    const renewed = await leases.replaceNamespacedLease({
      name: "gateway-selfhost",
      namespace: ns,
      body: { ...created, spec: { ...spec, renewTime: microTime(new Date()) } as never },
    });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const stale = await apiError(
      leases.replaceNamespacedLease({
        name: "gateway-selfhost",
        namespace: ns,
        body: {
          ...created,
          spec: { ...spec, holderIdentity: "worker-2", renewTime: microTime(new Date()) } as never,
        },
      }),
    );
    expect(stale.code).toBe(409);

    const millis = await apiError(
      leases.createNamespacedLease({
        namespace: ns,
        body: { metadata: { name: "other" }, spec: { holderIdentity: "x", acquireTime: new Date() } },
      }),
    );
    expect(millis.code).toBe(400);
    expect(statusOf(millis).message).toContain('as "2006-01-02T15:04:05.000000Z07:00"');
  });

  it("lists pods by label selector, in a namespace and in all namespaces", async () => {
    await cluster.apply(gatewayObjects("other", "edge", oldToken, 1));
    const mine = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=selfhost" });
    expect(mine.items).toHaveLength(2);
    const none = await core.listNamespacedPod({ namespace: ns, labelSelector: "app in (edge)" });
    expect(none.items).toHaveLength(0);
    const all = await core.listPodForAllNamespaces({ labelSelector: "app" });
    expect(all.items.map((p) => p.metadata?.namespace).sort()).toEqual(["gateways", "gateways", "other"]);
  });

  it("answers 404 NotFound and 409 AlreadyExists with Status bodies", async () => {
    const missing = await apiError(apps.readNamespacedDeployment({ name: "nope", namespace: ns }));
    expect(missing.code).toBe(404);
    expect(statusOf(missing).message).toBe('deployments.apps "nope" not found');
    const deployment = cluster.get("Deployment", ns, "selfhost") as unknown as V1Deployment;
    const exists = await apiError(apps.createNamespacedDeployment({ namespace: ns, body: deployment }));
    expect(exists.code).toBe(409);
    expect(statusOf(exists).reason).toBe("AlreadyExists");
  });
});
