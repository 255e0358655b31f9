import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster, clusterProvider, restartedAtAnnotation } from "../../shared/kube/cluster.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import type { RolloutProgress } from "../../shared/rotation/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import {
  fakeToken,
  kubeConfigOf,
  portalGateway,
  recordedRetry,
  standinTarget,
  threeLayouts,
} from "./fixtures.js";
import { failure } from "../failure.js";

const ns = "gateways";
const oldToken = fakeToken("edge", new Date("2026-01-01T00:00:00Z"), "old-signature");
const newToken = fakeToken("edge", new Date("2026-02-01T00:00:00Z"), "new-signature");

let standin: KubeStandin;
let cluster: KubeGatewayCluster;

const target = (deployment: string, extra: Partial<DeploymentTarget> = {}): DeploymentTarget =>
  standinTarget(ns, deployment, extra);

beforeEach(async () => {
  standin = await startKubeStandin({ rolloutStepInMs: 5, progressDeadlineInMs: 300, namespaces: [ns] });
  await standin.apply(threeLayouts(ns, oldToken));
  cluster = new KubeGatewayCluster({
    config: kubeConfigOf(standin),
    pollIntervalInMs: 10,
    retry: recordedRetry().retry,
  });
});

afterEach(async () => {
  await standin.close();
});

describe("KubeGatewayCluster.readToken", () => {
  it.each([
    ["portal", "portal-token", "value"],
    ["helm", "helm-secret", "gateway-key"],
    ["docs", "apim-access-token", "config.service.auth.key"],
  ])(
    "follows the %s layout to Secret %s key %s and strips GatewayKey",
    async (name, secretName, secretKey) => {
      const state = await cluster.readToken(target(name));
      expect(state).toMatchObject({ secretName, secretKey, token: oldToken });
      expect(state.resourceVersion).toMatch(/^\d+$/);
    },
  );

  it("tells whether the Deployment is paused", async () => {
    expect((await cluster.readToken(target("docs"))).paused).toBe(false);
    const deployment = standin.get("Deployment", ns, "docs") as { spec: Record<string, unknown> };
    await standin.apply([{ ...deployment, spec: { ...deployment.spec, paused: true } }]);
    expect((await cluster.readToken(target("docs"))).paused).toBe(true);
  });

  it("finds the token key when the auth mode is kept in the same Secret", async () => {
    const docs = standin.get("Secret", ns, "apim-access-token") as unknown as {
      data: Record<string, string>;
    };
    await standin.apply([
      { ...docs, data: { ...docs.data, "config.service.auth": Buffer.from("key").toString("base64") } },
    ]);
    const state = await cluster.readToken(target("docs"));
    expect(state).toMatchObject({ secretKey: "config.service.auth.key", token: oldToken });
  });

  it("uses the Secret and key given in the target", async () => {
    await standin.apply([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "elsewhere", namespace: ns },
        data: { k: Buffer.from(newToken).toString("base64") },
      },
    ]);
    const state = await cluster.readToken(target("portal", { secretName: "elsewhere", secretKey: "k" }));
    expect(state).toMatchObject({ secretName: "elsewhere", secretKey: "k", token: newToken });
  });

  it("reports an absent key as an undefined token", async () => {
    const state = await cluster.readToken(
      target("portal", { secretName: "portal-token", secretKey: "missing" }),
    );
    expect(state.token).toBeUndefined();
  });

  it("refuses a token set as a literal env value, and a Deployment without a gateway container", async () => {
    await standin.apply([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "literal", namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "literal" } },
          template: {
            metadata: { labels: { app: "literal" } },
            spec: {
              containers: [
                {
                  name: "gw",
                  image: "mcr.microsoft.com/azure-api-management/gateway:v2",
                  env: [{ name: "config.service.auth", value: `GatewayKey ${oldToken}` }],
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "nginx", namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "nginx" } },
          template: {
            metadata: { labels: { app: "nginx" } },
            spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] },
          },
        },
      },
    ]);
    const literal = await failure(cluster.readToken(target("literal")));
    expect(literal.name).toBe("InputError");
    expect(literal.message).toMatch(/literal env value/);
    expect(literal.message).not.toContain(oldToken);
    const nginx = await failure(cluster.readToken(target("nginx")));
    expect(nginx.name).toBe("InputError");
    expect(nginx.message).toMatch(/no gateway container/);
  });

  it("names a missing Deployment and a missing Secret", async () => {
    const missing = await failure(cluster.readToken(target("absent")));
    expect(missing.name).toBe("NotFoundError");
    expect(missing.message).toMatch(/^Deployment gateways\/absent: not found; fix the deployment's name/);
    const elsewhere = await failure(cluster.readToken(target("portal", { namespace: "gateway" })));
    expect(elsewhere.name).toBe("NotFoundError");
    expect(elsewhere.message).toMatch(/^Deployment gateway\/portal: namespace not found/);
    standin.delete("Secret", ns, "helm-secret");
    const secret = await failure(cluster.readToken(target("helm")));
    expect(secret.name).toBe("NotFoundError");
    expect(secret.message).toContain("helm-secret");
  });

  it("turns an RBAC 403 into PermissionDeniedError naming verb and resource", async () => {
    standin.forbid({ verb: "get", resource: "secrets", namespace: ns });
    const error = await failure(cluster.readToken(target("portal")));
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.permission).toBe("get secrets");
    expect(error.message).toContain('"get secrets"');
  });
});

describe("KubeGatewayCluster.writeToken", () => {
  it("merge-patches the Secret with GatewayKey <token> and annotations, for each layout", async () => {
    for (const name of ["portal", "helm", "docs"]) {
      const before = await cluster.readToken(target(name));
      const written = await cluster.writeToken(target(name), newToken, {
        resourceVersion: before.resourceVersion,
        annotations: { "gateway-guard.io/key-type": "secondary" },
      });
      const after = await cluster.readToken(target(name));
      expect(written).toEqual({ resourceVersion: after.resourceVersion });
      expect(after.token).toBe(newToken);
      expect(after.annotations["gateway-guard.io/key-type"]).toBe("secondary");
      expect(after.resourceVersion).not.toBe(before.resourceVersion);
    }
    const docs = standin.get("Secret", ns, "apim-access-token");
    expect(Object.keys(docs?.data as object).sort()).toEqual(["config.service.auth.key", "unrelated"]);
    expect(
      standin.requests
        .filter((r) => r.verb === "patch")
        .every((r) => r.contentType?.startsWith("application/merge-patch+json")),
    ).toBe(true);
  });

  it("throws ConflictError when the Secret changed since it was read, without the token", async () => {
    const read = await cluster.readToken(target("portal"));
    await cluster.writeToken(target("portal"), oldToken, {
      resourceVersion: read.resourceVersion,
      annotations: { x: "1" },
    });
    const error = await failure(
      cluster.writeToken(target("portal"), newToken, {
        resourceVersion: read.resourceVersion,
        annotations: {},
      }),
    );
    expect(error.name).toBe("ConflictError");
    expect(error.message).toContain("secrets gateways/portal-token");
    expect(JSON.stringify({ m: error.message, c: String(error.cause) })).not.toContain(newToken);
    expect((await cluster.readToken(target("portal"))).token).toBe(oldToken);
  });

  it("names the denied permission on patch", async () => {
    const read = await cluster.readToken(target("helm"));
    standin.forbid({ verb: "patch", resource: "secrets" });
    const error = await failure(
      cluster.writeToken(target("helm"), newToken, {
        resourceVersion: read.resourceVersion,
        annotations: {},
      }),
    );
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.permission).toBe("patch secrets");
    expect(error.message).not.toContain(newToken);
  });
});

describe("KubeGatewayCluster.restart and waitForRollout", () => {
  it("rolls the Deployment as kubectl does; new pods start with the new token; progress is reported", async () => {
    const read = await cluster.readToken(target("portal"));
    await cluster.writeToken(target("portal"), newToken, {
      resourceVersion: read.resourceVersion,
      annotations: {},
    });
    await cluster.restart(target("portal"));
    const deployment = standin.get("Deployment", ns, "portal") as unknown as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    expect(deployment.spec.template.metadata.annotations[restartedAtAnnotation]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    );
    expect(
      standin.requests.some(
        (r) => r.verb === "patch" && r.contentType?.startsWith("application/strategic-merge-patch+json"),
      ),
    ).toBe(true);

    const progress: RolloutProgress[] = [];
    await cluster.waitForRollout(target("portal"), {
      timeoutInMs: 10_000,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.at(-1)).toMatchObject({
      target: "test/gateways/portal",
      message: 'deployment "portal" successfully rolled out',
      desiredReplicas: 2,
    });
    expect(progress.length).toBeGreaterThan(1);
    const pods = standin.podTokens(ns, "portal");
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.ready && p.env["config.service.auth"] === `GatewayKey ${newToken}`)).toBe(
      true,
    );
  });

  it("throws RolloutError when the rollout exceeds its progress deadline, seen on the watch", async () => {
    standin.stallRollouts(ns, "helm");
    await cluster.restart(target("helm"));
    const from = standin.requests.length;
    const error = await failure(cluster.waitForRollout(target("helm"), { timeoutInMs: 10_000 }));
    expect(error.name).toBe("RolloutError");
    expect(error.message).toMatch(/exceeded its progress deadline/);
    const calls = standin.requests.slice(from).filter((r) => r.resource === "deployments");
    expect(calls.map((r) => r.verb)).toEqual(["get", "watch"]);
  });

  it("throws RolloutError when our own timeout passes first", async () => {
    const slow = await startKubeStandin({
      rolloutStepInMs: 5,
      progressDeadlineInMs: 60_000,
      namespaces: [ns],
    });
    try {
      await slow.apply(portalGateway(ns, "portal", oldToken));
      const slowCluster = new KubeGatewayCluster({
        config: kubeConfigOf(slow),
        pollIntervalInMs: 10,
      });
      slow.stallRollouts(ns, "portal");
      await slowCluster.restart(target("portal"));
      const watchClosed = once(slow.events, "watch-closed");
      const started = Date.now();
      const error = await failure(slowCluster.waitForRollout(target("portal"), { timeoutInMs: 300 }));
      expect(error.name).toBe("RolloutError");
      expect(error.message).toMatch(
        /did not finish within 0.3s: Waiting for deployment "portal" rollout to finish/,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await watchClosed).toEqual(["client"]);
    } finally {
      await slow.close();
    }
  });

  it.each([503, 429, 500])(
    "keeps waiting through a transient %i while reading the Deployment",
    async (status) => {
      await cluster.restart(target("portal"));
      standin.failNext({ status, verb: "get", resource: "deployments", count: 3 });
      const progress: RolloutProgress[] = [];
      await cluster.waitForRollout(target("portal"), {
        timeoutInMs: 10_000,
        onProgress: (p) => progress.push(p),
      });
      expect(progress.at(-1)?.message).toBe('deployment "portal" successfully rolled out');
    },
  );

  it("ends the wait at the deadline when reads keep failing, naming the last failure", async () => {
    await cluster.restart(target("portal"));
    standin.failNext({ status: 503, verb: "get", resource: "deployments", count: 1_000 });
    const started = Date.now();
    const error = await failure(cluster.waitForRollout(target("portal"), { timeoutInMs: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(error.name).toBe("RolloutError");
    expect(error.message).toMatch(/did not finish within 0.3s.*HTTP 503/);
  });

  it("ends the wait at once on a permanent error (403)", async () => {
    await cluster.restart(target("portal"));
    standin.forbid({ verb: "get", resource: "deployments" });
    const error = await failure(cluster.waitForRollout(target("portal"), { timeoutInMs: 60_000 }));
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.message).toContain('"get deployments.apps"');
  });

  it("refuses to restart a paused Deployment", async () => {
    const deployment = standin.get("Deployment", ns, "docs") as { spec: Record<string, unknown> };
    await standin.apply([{ ...deployment, spec: { ...deployment.spec, paused: true } }]);
    const error = await failure(cluster.restart(target("docs")));
    expect(error.name).toBe("RolloutError");
    expect(error.message).toMatch(/paused.*kubectl rollout resume deployment\/docs -n gateways/);
  });

  it("names the denied permission when the restart patch is forbidden", async () => {
    standin.forbid({ verb: "patch", resource: "deployments" });
    const error = await failure(cluster.restart(target("portal")));
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.permission).toBe("patch deployments.apps");
  });

  it("stops waiting when aborted", async () => {
    standin.stallRollouts(ns, "portal");
    await cluster.restart(target("portal"));
    const controller = new AbortController();
    const waiting = failure(
      cluster.waitForRollout(target("portal"), { timeoutInMs: 10_000, abortSignal: controller.signal }),
    );
    controller.abort(new Error("stopped by test"));
    expect((await waiting).message).toMatch(/stopped by test/);
  });
});

describe("clusterProvider", () => {
  it("connects through a kubeconfig file and context, once per connection", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gg-kube-"));
    try {
      const path = join(dir, "config");
      await standin.writeKubeConfig(path, { context: "edge" });
      const provider = clusterProvider({ pollIntervalInMs: 10 });
      const connection = { type: "kubeconfig" as const, path, context: "edge" };
      const first = provider(connection);
      expect(provider({ ...connection })).toBe(first);
      const state = await first.readToken({ cluster: connection, namespace: ns, deployment: "docs" });
      expect(state.token).toBe(oldToken);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
