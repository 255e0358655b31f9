import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster, restartedAtAnnotation } from "../../shared/kube/cluster.js";
import { retryAfterInMs, retryDelay } from "../../shared/kube/retry.js";
import { startKubeStandin, type KubeStandin, type RolloutEvent } from "../standins/kube/index.js";
import { fakeToken, kubeConfigOf, portalGateway, recordedRetry, standinTarget } from "./fixtures.js";
import { failure } from "../failure.js";

const ns = "gateways";
const oldToken = fakeToken("edge", new Date("2026-01-01T00:00:00Z"), "old-signature");
const newToken = fakeToken("edge", new Date("2026-02-01T00:00:00Z"), "new-signature");
const target = standinTarget(ns, "portal");
const apiError = (code: number, headers: Record<string, string> = {}) => ({ code, headers, body: "" });

describe("retryDelay", () => {
  const policy = { baseDelayInMs: 200, maxDelayInMs: 30_000, random: () => 0.5 };

  it("waits for Retry-After on 429 and 503, capped at maxDelayInMs", () => {
    expect(retryDelay(apiError(429, { "retry-after": "3" }), 0, policy)).toBe(3_000);
    expect(retryDelay(apiError(503, { "retry-after": "0" }), 2, policy)).toBe(0);
    expect(retryDelay(apiError(429, { "retry-after": "3600" }), 0, policy)).toBe(30_000);
  });

  it("reads Retry-After as an HTTP date too", () => {
    const now = Date.parse("2026-12-02T03:00:00Z");
    const error = apiError(429, { "retry-after": "Wed, 02 Dec 2026 03:00:07 GMT" });
    expect(retryAfterInMs(error, () => now)).toBe(7_000);
    expect(retryAfterInMs(apiError(429, { "retry-after": "Wed, 02 Dec 2026 02:00:00 GMT" }), () => now)).toBe(
      0,
    );
    expect(retryAfterInMs(apiError(429, { "retry-after": "soon" }), () => now)).toBeUndefined();
  });

  it("backs off exponentially with jitter on 500, 502, 503, 504 and connection failures", () => {
    expect(retryDelay(apiError(500), 0, policy)).toBe(220);
    expect(retryDelay(apiError(502), 1, policy)).toBe(440);
    expect(retryDelay(apiError(503), 2, policy)).toBe(880);
    expect(retryDelay(apiError(504), 3, { ...policy, random: () => 0 })).toBe(1_600);
    expect(retryDelay(apiError(500), 20, policy)).toBe(30_000);
    expect(retryDelay(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), 0, policy)).toBe(
      220,
    );
    expect(retryDelay(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), 0, policy)).toBe(220);
  });

  it("does not retry answers that another try cannot change", () => {
    for (const code of [400, 401, 403, 404, 409, 422, 501]) {
      expect(retryDelay(apiError(code, { "retry-after": "1" }), 0, policy)).toBeUndefined();
    }
    expect(retryDelay(new Error("a bug"), 0, policy)).toBeUndefined();
  });
});

describe("Kubernetes calls over the stand-in", () => {
  let standin: KubeStandin;

  beforeEach(async () => {
    standin = await startKubeStandin({ rolloutStepInMs: 5, namespaces: [ns] });
    await standin.apply(portalGateway(ns, "portal", oldToken));
  });

  afterEach(async () => {
    await standin.close();
  });

  const clusterWith = (retry: ConstructorParameters<typeof KubeGatewayCluster>[0]["retry"]) =>
    new KubeGatewayCluster({ config: kubeConfigOf(standin), pollIntervalInMs: 10, retry });
  const statuses = (verb: string, resource: string) =>
    standin.requests.filter((r) => r.verb === verb && r.resource === resource).map((r) => r.status);

  it("waits for Retry-After after a 429 on the Secret patch, then writes once", async () => {
    const { retry, waits } = recordedRetry();
    const cluster = clusterWith(retry);
    const read = await cluster.readToken(target);
    standin.failNext({ status: 429, verb: "patch", resource: "secrets", retryAfterInSeconds: 2 });
    await cluster.writeToken(target, newToken, { resourceVersion: read.resourceVersion, annotations: {} });
    expect(waits).toEqual([2_000]);
    expect(statuses("patch", "secrets")).toEqual([429, 200]);
    expect((await cluster.readToken(target)).token).toBe(newToken);
  });

  it("retries a read after a connection reset", async () => {
    const { retry, waits } = recordedRetry();
    standin.resetNext({ verb: "get", resource: "deployments" });
    const state = await clusterWith(retry).readToken(target);
    expect(state.token).toBe(oldToken);
    expect(statuses("get", "deployments")).toEqual([0, 200]);
    expect(waits).toHaveLength(1);
  });

  it("gives each attempt a timeout, and names it when every attempt timed out", async () => {
    const { retry } = recordedRetry({ timeoutInMs: 50, maxRetries: 1 });
    standin.setLatency(2_000);
    const error = await failure(clusterWith(retry).readToken(target));
    expect(error.message).toMatch(/get deployments.apps gateways\/portal failed: no answer within 50 ms/);
    const reads = standin.requests.filter(
      (r) => r.path === `/apis/apps/v1/namespaces/${ns}/deployments/portal`,
    );
    expect(reads).toHaveLength(2);
  });

  it("stops retrying when the caller aborts", async () => {
    const controller = new AbortController();
    const cluster = clusterWith({
      delay: (_delayInMs, abortSignal) =>
        new Promise((_resolve, reject) => {
          abortSignal?.addEventListener("abort", () => reject(abortSignal.reason), { once: true });
          controller.abort(new Error("stopped by test"));
        }),
    });
    standin.failNext({ status: 503, verb: "get", resource: "deployments", count: 100 });
    const error = await failure(cluster.readToken(target, { abortSignal: controller.signal }));
    expect(error.message).toBe("stopped by test");
    expect(statuses("get", "deployments")).toEqual([503]);
  });

  it("retries a restart whose 500 came after the patch landed: the same restartedAt rolls once", async () => {
    const { retry } = recordedRetry();
    const cluster = clusterWith(retry);
    const generation = standin.get("Deployment", ns, "portal")?.metadata.generation ?? 0;
    const rollouts: RolloutEvent[] = [];
    standin.events.on("rollout", (event: RolloutEvent) => rollouts.push(event));
    standin.failNext({ status: 500, verb: "patch", resource: "deployments", landed: true });
    const restartedAt = "2026-12-02T03:00:00.000Z";
    await cluster.restart(target, { restartedAt });
    await cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    expect(await standin.waitForRollout(ns, "portal")).toBe("complete");
    const deployment = standin.get("Deployment", ns, "portal") as unknown as {
      metadata: { generation: number };
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    expect(statuses("patch", "deployments")).toEqual([500, 200]);
    expect(deployment.spec.template.metadata.annotations[restartedAtAnnotation]).toBe(restartedAt);
    expect(deployment.metadata.generation).toBe(generation + 1);
    expect(rollouts.map((r) => r.outcome)).toEqual(["complete"]);
  });

  it("cuts a read in flight at the rollout deadline", async () => {
    const cluster = clusterWith(recordedRetry().retry);
    await cluster.restart(target);
    standin.setLatency(20_000);
    const error = await failure(cluster.waitForRollout(target, { timeoutInMs: 200 }));
    expect(error.name).toBe("RolloutError");
    expect(error.message).toMatch(/did not finish within 0.2s: no state read/);
  });
});
