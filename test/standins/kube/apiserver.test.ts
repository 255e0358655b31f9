import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { startKubeStandin, type KubeStandin } from "./index.js";
import { gatewayKeyData, gatewayObjects } from "./fixtures.js";

const ns = "gateways";
const oldToken = "selfhost&202601010000&b2xkLXNpZ25hdHVyZQ==";
const newToken = "selfhost&202602010000&bmV3LXNpZ25hdHVyZQ==";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

let cluster: KubeStandin;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeEach(async () => {
  cluster = await startKubeStandin({ rolloutStepInMs: 5 });
  await cluster.apply(gatewayObjects(ns, "selfhost", oldToken));
  const config = new KubeConfig();
  config.loadFromString(cluster.kubeConfig());
  core = config.makeApiClient(CoreV1Api);
  apps = config.makeApiClient(AppsV1Api);
});

afterEach(async () => {
  await cluster.close();
});

async function status(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  return JSON.parse((error as ApiException<string>).body) as { code: number; message: string };
}

const tokenPatch = (token: string) => ({ data: { value: gatewayKeyData(token) } });

describe("Kubernetes stand-in: what a real API server does", () => {
  it("answers a dryRun=All patch as the real write would, and persists nothing", async () => {
    const before = cluster.get("Secret", ns, "selfhost-token");
    const answer = await core.patchNamespacedSecret(
      { name: "selfhost-token", namespace: ns, body: tokenPatch(newToken), dryRun: "All" },
      mergePatch,
    );
    expect(answer.data?.value).toBe(gatewayKeyData(newToken));
    expect(cluster.get("Secret", ns, "selfhost-token")).toEqual(before);
    expect(cluster.requests.at(-1)).toMatchObject({ verb: "patch", dryRun: true, status: 200 });
    const invalid = await status(
      core.patchNamespacedSecret(
        { name: "selfhost-token", namespace: ns, body: tokenPatch(newToken), dryRun: "Some" },
        mergePatch,
      ),
    );
    expect(invalid).toMatchObject({
      code: 400,
      message: expect.stringContaining('Unsupported value: "Some"'),
    });
  });

  it("refuses data changes to an immutable Secret (422) but lets its annotations change", async () => {
    const secret = cluster.get("Secret", ns, "selfhost-token");
    await cluster.apply([{ ...secret, immutable: true }]);
    const refused = await status(
      core.patchNamespacedSecret(
        { name: "selfhost-token", namespace: ns, body: tokenPatch(newToken) },
        mergePatch,
      ),
    );
    expect(refused).toEqual(
      expect.objectContaining({
        code: 422,
        message:
          'Secret "selfhost-token" is invalid: data: Forbidden: field is immutable when `immutable` is set',
      }),
    );
    const unset = await status(
      core.patchNamespacedSecret(
        { name: "selfhost-token", namespace: ns, body: { immutable: false } },
        mergePatch,
      ),
    );
    expect(unset.message).toContain("immutable: Forbidden");
    await core.patchNamespacedSecret(
      { name: "selfhost-token", namespace: ns, body: { metadata: { annotations: { a: "b" } } } },
      mergePatch,
    );
    expect(cluster.get("Secret", ns, "selfhost-token")?.metadata.annotations).toEqual({ a: "b" });
  });

  it("owns a Deployment's pods through a ReplicaSet that names the Deployment", async () => {
    const pods = await core.listNamespacedPod({ namespace: ns });
    const owner = pods.items[0]?.metadata?.ownerReferences?.[0];
    expect(owner).toMatchObject({ kind: "ReplicaSet", controller: true });
    const replicaSet = await apps.readNamespacedReplicaSet({ name: owner?.name ?? "", namespace: ns });
    expect(replicaSet.metadata?.uid).toBe(owner?.uid);
    expect(replicaSet.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "Deployment", name: "selfhost" });
  });

  it("can fail a write after it landed, and drop a connection", async () => {
    cluster.failNext({ status: 500, verb: "patch", resource: "secrets", landed: true });
    expect(
      (
        await status(
          core.patchNamespacedSecret(
            { name: "selfhost-token", namespace: ns, body: tokenPatch(newToken) },
            mergePatch,
          ),
        )
      ).code,
    ).toBe(500);
    expect(cluster.get("Secret", ns, "selfhost-token")?.data).toEqual({ value: gatewayKeyData(newToken) });
    cluster.resetNext({ verb: "get", resource: "secrets" });
    await expect(core.readNamespacedSecret({ name: "selfhost-token", namespace: ns })).rejects.toMatchObject({
      code: "ECONNRESET",
    });
  });
});
