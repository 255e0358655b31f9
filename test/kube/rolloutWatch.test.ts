import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster, clusterProvider } from "../../shared/kube/cluster.js";
import { watchDeployment, type WatchDeploymentOptions } from "../../shared/kube/rolloutWatch.js";
import type { RolloutProgress } from "../../shared/rotation/types.js";
import { makeTestCertificate } from "../standins/certs.js";
import { startServer } from "../standins/http.js";
import { kubeConfigYaml, startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { failure } from "../failure.js";
import { fakeToken, kubeConfigOf, portalGateway, recordedRetry, standinTarget } from "./fixtures.js";

const ns = "gateways";
const target = standinTarget(ns, "portal");
const token = fakeToken("edge", new Date("2026-01-01T00:00:00Z"), "signature");

let standin: KubeStandin;
let cluster: KubeGatewayCluster;
let waits: number[];

beforeEach(async () => {
  standin = await startKubeStandin({ rolloutStepInMs: 20, progressDeadlineInMs: 60_000, namespaces: [ns] });
  await standin.apply(portalGateway(ns, "portal", token));
  const recorded = recordedRetry();
  waits = recorded.waits;
  cluster = new KubeGatewayCluster({
    config: kubeConfigOf(standin),
    pollIntervalInMs: 10,
    retry: recorded.retry,
  });
});

afterEach(async () => {
  await standin.close();
});

/** The verbs of the Deployment calls made since `from` (an index into the request log), with their status. */
function deploymentCalls(from: number): string[] {
  return standin.requests
    .slice(from)
    .filter((r) => r.resource === "deployments")
    .map((r) => `${r.verb} ${r.status}`);
}

/** Sets a Deployment's status as given (the controller leaves it: the spec did not change). */
async function setStatus(status: object): Promise<void> {
  const deployment = standin.get("Deployment", ns, "portal") as object;
  await standin.apply([{ ...deployment, status }]);
}

const halfway = {
  observedGeneration: 1,
  replicas: 2,
  updatedReplicas: 1,
  readyReplicas: 2,
  availableReplicas: 2,
};
const complete = { ...halfway, updatedReplicas: 2 };

describe("KubeGatewayCluster.waitForRollout with a watch", () => {
  it("follows a rollout with one read and one watch, reports each new state once, and closes the watch", async () => {
    await cluster.restart(target);
    const from = standin.requests.length;
    const watchClosed = once(standin.events, "watch-closed");
    const progress: RolloutProgress[] = [];
    await cluster.waitForRollout(target, { timeoutInMs: 10_000, onProgress: (p) => progress.push(p) });
    expect(deploymentCalls(from)).toEqual(["get 200", "watch 200"]);
    expect(progress.at(-1)?.message).toBe('deployment "portal" successfully rolled out');
    expect(progress.some((p) => p.message.includes("new replicas have been updated"))).toBe(true);
    const messages = progress.map((p) => p.message);
    expect(messages.every((message, i) => message !== messages[i - 1])).toBe(true);
    expect(await watchClosed).toEqual(["client"]);
  });

  it("watches over HTTPS with the kubeconfig's CA and token", async () => {
    const secure = await startKubeStandin({ tls: await makeTestCertificate(), namespaces: [ns] });
    try {
      await secure.apply(portalGateway(ns, "portal", token));
      const secureCluster = new KubeGatewayCluster({ config: kubeConfigOf(secure) });
      await secureCluster.restart(target);
      const from = secure.requests.length;
      await secureCluster.waitForRollout(target, { timeoutInMs: 10_000 });
      const calls = secure.requests.slice(from).map((r) => `${r.verb} ${r.status}`);
      expect(calls).toEqual(["get 200", "watch 200"]);
    } finally {
      await secure.close();
    }
  });

  it("falls back to polling when the watch is refused (RBAC without watch), and tries the watch again 10 minutes later", async () => {
    let now = new Date("2026-01-01T03:00:00Z");
    cluster = new KubeGatewayCluster({
      config: kubeConfigOf(standin),
      pollIntervalInMs: 10,
      retry: recordedRetry().retry,
      now: () => now,
    });
    const allowWatch = standin.forbid({ verb: "watch", resource: "deployments" });
    await cluster.restart(target);
    const from = standin.requests.length;
    await cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    const calls = deploymentCalls(from);
    expect(calls.slice(0, 3)).toEqual(["get 200", "watch 403", "get 200"]);
    expect(calls.filter((call) => call.startsWith("watch"))).toHaveLength(1);

    await cluster.restart(target, { restartedAt: "2026-02-01T00:00:00Z" });
    const again = standin.requests.length;
    await cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    expect(deploymentCalls(again).every((call) => call === "get 200")).toBe(true);

    allowWatch();
    now = new Date(now.getTime() + 10 * 60_000);
    await cluster.restart(target, { restartedAt: "2026-03-01T00:00:00Z" });
    const later = standin.requests.length;
    await cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    expect(deploymentCalls(later)).toEqual(["get 200", "watch 200"]);
  });

  it("reads once more when the deadline passes: a rollout done by then is not failed", async () => {
    const polling = new KubeGatewayCluster({
      config: kubeConfigOf(standin),
      rolloutWatch: false,
      pollIntervalInMs: 60_000,
      retry: recordedRetry().retry,
    });
    await setStatus(halfway);
    const progress: string[] = [];
    let finished: Promise<void> | undefined;
    await polling.waitForRollout(target, {
      timeoutInMs: 300,
      onProgress: (p) => {
        progress.push(p.message);
        finished ??= setStatus(complete);
      },
    });
    await finished;
    expect(progress).toEqual([
      'Waiting for deployment "portal" rollout to finish: 1 out of 2 new replicas have been updated...',
      'deployment "portal" successfully rolled out',
    ]);
  });

  it("polls without trying a watch when rolloutWatch is false, also through clusterProvider", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gg-kube-"));
    try {
      const path = join(dir, "config");
      await standin.writeKubeConfig(path);
      const polling = clusterProvider({ rolloutWatch: false, pollIntervalInMs: 10 })({
        type: "kubeconfig",
        path,
      });
      await polling.restart(target);
      const from = standin.requests.length;
      await polling.waitForRollout(target, { timeoutInMs: 10_000 });
      const calls = deploymentCalls(from);
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.every((call) => call === "get 200")).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads again and watches again when the server ends the watch, after a short backoff", async () => {
    await setStatus(halfway);
    const from = standin.requests.length;
    const waiting = cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    await once(standin.events, "watch-opened");
    expect(standin.endWatches()).toBe(1);
    await once(standin.events, "watch-opened");
    await setStatus(complete);
    await waiting;
    expect(deploymentCalls(from)).toEqual(["get 200", "watch 200", "get 200", "watch 200"]);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(200);
    expect(waits[0]).toBeLessThanOrEqual(300);
  });

  it("reads again and watches again when the watch's connection is reset", async () => {
    await setStatus(halfway);
    standin.resetNext({ verb: "watch", resource: "deployments" });
    const from = standin.requests.length;
    const waiting = cluster.waitForRollout(target, { timeoutInMs: 10_000 });
    await once(standin.events, "watch-opened");
    await setStatus(complete);
    await waiting;
    expect(deploymentCalls(from)).toEqual(["get 200", "watch 0", "get 200", "watch 200"]);
    expect(waits).toHaveLength(1);
  });

  it("after 410 Expired (resourceVersion too old) reads again and watches from the current object", async () => {
    await setStatus(halfway);
    const churn = Array.from({ length: 1001 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `churn-${i}`, namespace: ns },
    }));
    await standin.apply(churn);
    const from = standin.requests.length;
    const progress: string[] = [];
    const waiting = cluster.waitForRollout(target, {
      timeoutInMs: 10_000,
      onProgress: (p) => progress.push(p.message),
    });
    await once(standin.events, "watch-opened");
    await setStatus(complete);
    await waiting;
    expect(deploymentCalls(from)).toEqual(["get 200", "watch 200", "get 200", "watch 200"]);
    expect(progress).toEqual([
      'Waiting for deployment "portal" rollout to finish: 1 out of 2 new replicas have been updated...',
      'deployment "portal" successfully rolled out',
    ]);
  });

  it("throws RolloutError naming the Deployment when it is deleted mid-rollout", async () => {
    await setStatus(halfway);
    const waiting = failure(cluster.waitForRollout(target, { timeoutInMs: 10_000 }));
    await once(standin.events, "watch-opened");
    standin.delete("Deployment", ns, "portal");
    const error = await waiting;
    expect(error.name).toBe("RolloutError");
    expect(error.message).toMatch(/^Deployment gateways\/portal was deleted while its rollout was followed/);
  });

  it("stops a watch in progress when aborted, and the server sees the client leave", async () => {
    await setStatus(halfway);
    const controller = new AbortController();
    const waiting = failure(
      cluster.waitForRollout(target, { timeoutInMs: 10_000, abortSignal: controller.signal }),
    );
    await once(standin.events, "watch-opened");
    const watchClosed = once(standin.events, "watch-closed");
    controller.abort(new Error("stopped by test"));
    expect((await waiting).message).toBe("stopped by test");
    expect(await watchClosed).toEqual(["client"]);
  });
});

/**
 * A server that takes requests and never answers (or, with `headers`, answers 200 and then sends
 * nothing, never ending the response); `request` resolves with the first request.
 */
async function silentServer(options: { headers?: boolean } = {}): Promise<{
  config: KubeConfig;
  request: Promise<IncomingMessage>;
  close: () => Promise<void>;
}> {
  const server = createServer((_incoming, response) => {
    if (!options.headers) return;
    response.writeHead(200, { "content-type": "application/json" });
    response.flushHeaders();
  });
  const request = once(server, "request").then(([incoming]) => incoming as IncomingMessage);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const config = configFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { config, request, close };
}

function configFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(
    kubeConfigYaml([{ server, cluster: "c", user: "u", token: "t", context: "c", namespace: "default" }]),
  );
  return config;
}

function watchOptions<T>(settle: (deployment: V1Deployment) => T | undefined): WatchDeploymentOptions<T> {
  return {
    namespace: ns,
    name: "portal",
    resourceVersion: "42",
    settle,
    timeoutInMs: 90_500,
    connectTimeoutInMs: 30_000,
    abortSignal: new AbortController().signal,
  };
}

describe("watchDeployment", () => {
  it("asks for one Deployment from a resourceVersion and ignores events without a Deployment", async () => {
    const lines = [
      "not json",
      JSON.stringify({ type: "MODIFIED" }),
      JSON.stringify({ type: "MODIFIED", object: "text" }),
      JSON.stringify({ type: "MODIFIED", object: [1] }),
      JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "50" } } }),
      JSON.stringify({ type: "MODIFIED", object: { metadata: { name: "portal", resourceVersion: "51" } } }),
    ];
    let query: URLSearchParams | undefined;
    const server = await startServer((request) => {
      query = request.query;
      return { status: 200, body: `${lines.join("\n")}\n` };
    });
    try {
      const seen: V1Deployment[] = [];
      const end = await watchDeployment(
        configFor(server.url),
        watchOptions((deployment) => {
          seen.push(deployment);
          return deployment.metadata?.resourceVersion === "51" ? "seen" : undefined;
        }),
      );
      expect(end).toEqual({ kind: "settled", value: "seen" });
      expect(seen).toHaveLength(1);
      expect(Object.fromEntries(query ?? [])).toEqual({
        watch: "true",
        fieldSelector: "metadata.name=portal",
        resourceVersion: "42",
        timeoutSeconds: "60",
        allowWatchBookmarks: "true",
      });
    } finally {
      await server.close();
    }
  });

  it("ends as closed with an error when the server does not answer within the connect timeout", async () => {
    const silent = await silentServer();
    try {
      const watching = watchDeployment(silent.config, {
        ...watchOptions(() => undefined),
        connectTimeoutInMs: 50,
      });
      const request = await silent.request;
      const end = await watching;
      expect(end).toMatchObject({ kind: "closed", error: { message: expect.stringMatching(/timeout/) } });
      if (!request.socket.destroyed) await once(request.socket, "close");
    } finally {
      await silent.close();
    }
  });

  it("ends as closed with an error, closing the connection, when the server answers and then neither sends nor ends past its own timeout", async () => {
    const silent = await silentServer({ headers: true });
    try {
      const watching = watchDeployment(silent.config, {
        ...watchOptions(() => undefined),
        timeoutInMs: 1000,
        graceInMs: 20,
      });
      const request = await silent.request;
      expect(await watching).toMatchObject({
        kind: "closed",
        error: { message: "watch failed: the server did not end it within 1.02s" },
      });
      if (!request.socket.destroyed) await once(request.socket, "close");
    } finally {
      await silent.close();
    }
  });

  it("rejects with the abort reason and closes the connection when aborted before the answer", async () => {
    const silent = await silentServer();
    try {
      const controller = new AbortController();
      const watching = failure(
        watchDeployment(silent.config, { ...watchOptions(() => undefined), abortSignal: controller.signal }),
      );
      const request = await silent.request;
      const closed = once(request.socket, "close");
      controller.abort(new Error("stopped by test"));
      expect((await watching).message).toBe("stopped by test");
      await closed;
    } finally {
      await silent.close();
    }
  });
});
