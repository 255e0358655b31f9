/**
 * A Kubernetes API server stand-in that the real @kubernetes/client-node and kubectl talk to over
 * plain HTTP on loopback. Each instance is one cluster.
 *
 * @example
 * const cluster = await startKubeStandin({ rolloutStepInMs: 10 });
 * const kc = new KubeConfig();
 * kc.loadFromString(cluster.kubeConfig());
 * await cluster.apply([namespace, secret, deployment]);
 * // ... run code under test against kc ...
 * await cluster.close();
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { DeploymentController, type PodSecretSnapshot, type RolloutOutcome } from "./controller.js";
import { Faults, type FailNextFault, type ForbidRule, type ResetFault } from "./faults.js";
import { kubeConfigYaml, type KubeConfigFacts } from "./kubeconfig.js";
import type { KubeObject } from "./objects.js";
import { resourceNamed, resourceOfObject } from "./resources.js";
import { handleRequest, type RequestRecord } from "./router.js";
import { parseLabelSelector } from "./selectors.js";
import { ObjectStore } from "./store.js";

export type { KubeObject } from "./objects.js";
export type { PodSecretSnapshot, RolloutEvent, RolloutOutcome } from "./controller.js";
export type { FailNextFault, ForbidRule, ResetFault } from "./faults.js";
export type { RequestRecord } from "./router.js";
export { kubeConfigYaml } from "./kubeconfig.js";

/** Options of {@link startKubeStandin}. */
export interface KubeStandinOptions {
  /** Cluster name in the kubeconfig. Default `standin-<port>`. */
  clusterName?: string;
  /** The user RBAC messages name. Default `system:serviceaccount:gateway-guard:gateway-guard`. */
  user?: string;
  /** The bearer token clients must send. Default: random. */
  token?: string;
  /** Time between two rollout steps. Default 20. */
  rolloutStepInMs?: number;
  /** Overrides `spec.progressDeadlineSeconds` for stalled rollouts (keep tests short). */
  progressDeadlineInMs?: number;
  /** Added to every API request. Default 0. */
  latencyInMs?: number;
  /** Namespaces to create besides `default` and `kube-system`. */
  namespaces?: string[];
  /**
   * Serve HTTPS with this certificate (e.g. `makeTestCertificate()` from ../certs.ts); the
   * kubeconfig then trusts `ca`. Needed for kubectl, which sends tokens only over TLS.
   */
  tls?: { key: string; cert: string; ca: string };
}

/** Options of {@link KubeStandin.kubeConfig}. */
export interface KubeConfigOptions {
  /** Context name. Default: the cluster name. */
  context?: string;
  /** Default namespace of the context. Default `default`. */
  namespace?: string;
}

/** A running stand-in cluster. */
export interface KubeStandin {
  /** `http://127.0.0.1:<port>` (`https://` with the `tls` option). */
  readonly url: string;
  readonly clusterName: string;
  readonly user: string;
  /** Every request so far (method, path, verb, resource, content type, status; never bodies). */
  readonly requests: readonly RequestRecord[];
  /** Connections accepted so far (TLS handshakes, with the `tls` option). */
  readonly connections: number;
  /**
   * Emits `rollout` with a `RolloutEvent` for every finished rollout; `watch-opened` when a watch
   * starts following changes, and `watch-closed` with `"client"` (the client left) or `"server"`
   * (its timeout, {@link endWatches} or close) when it ends.
   */
  readonly events: NodeJS.EventEmitter;
  /** Connection facts, for writing one kubeconfig for several stand-ins ({@link kubeConfigYaml}). */
  kubeConfigFacts(options?: KubeConfigOptions): KubeConfigFacts;
  /** A kubeconfig YAML with one cluster, user (token) and context, current. */
  kubeConfig(options?: KubeConfigOptions): string;
  /** Writes {@link kubeConfig} to a file. */
  writeKubeConfig(path: string, options?: KubeConfigOptions): Promise<void>;
  /**
   * Creates or replaces objects as the stand-in itself (status kept as given); namespaces are
   * created as needed; Deployments get their pods. Resolves once the controller has seen them.
   */
  apply(objects: object[]): Promise<KubeObject[]>;
  /** One object by kind (`Secret`, `secrets`, `deploy`, ...), or undefined. */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Objects of a kind, optionally in one namespace and matching a label selector. */
  list(kind: string, namespace?: string, labelSelector?: string): KubeObject[];
  /** Deletes one object. */
  delete(kind: string, namespace: string | undefined, name: string): void;
  /** Denies matching requests with an RBAC-worded 403; returns a function that lifts it. */
  forbid(rule: ForbidRule): () => void;
  /**
   * Fails the next matching requests with a status (429 and 503 carry Retry-After); with `landed`,
   * after handling them.
   */
  failNext(fault: FailNextFault): void;
  /** Drops the connection of the next matching requests without an answer (a connection reset). */
  resetNext(fault: ResetFault): void;
  /** Sets the latency added to every request. */
  setLatency(latencyInMs: number): void;
  /** Ends every open watch as the API server does when a watch's timeout passes; returns how many. */
  endWatches(): number;
  /** Lifts all denials, pending failures and latency. */
  clearFaults(): void;
  /** The next `count` rollouts (default 1) of a Deployment stall until the progress deadline. */
  stallRollouts(namespace: string, name: string, count?: number): void;
  /** Resolves when the Deployment is not rolling, with the outcome of its latest rollout. */
  waitForRollout(namespace: string, name: string): Promise<RolloutOutcome>;
  /** Like {@link waitForRollout}; rejects unless the outcome is `complete`. */
  onRolloutComplete(namespace: string, name: string): Promise<void>;
  /** The Secret-sourced env values each current pod of a Deployment started with. Never print them. */
  podTokens(namespace: string, deployment: string): PodSecretSnapshot[];
  /** Stops the server, its watches and the controller. */
  close(): Promise<void>;
}

const applyOrder = ["Namespace", "Secret", "ConfigMap", "Service", "Lease", "Pod", "Deployment"];

/**
 * Starts a stand-in cluster on 127.0.0.1 with a free port.
 */
export async function startKubeStandin(options: KubeStandinOptions = {}): Promise<KubeStandin> {
  const store = new ObjectStore();
  const faults = new Faults();
  faults.latencyInMs = options.latencyInMs ?? 0;
  const controller = new DeploymentController(store, {
    rolloutStepInMs: options.rolloutStepInMs ?? 20,
    progressDeadlineInMs: options.progressDeadlineInMs,
  });
  const namespaces = resourceNamed("Namespace");
  for (const name of new Set(["default", "kube-system", ...(options.namespaces ?? [])])) {
    store.create(namespaces, { metadata: { name } });
  }
  const token = options.token ?? randomBytes(24).toString("base64url");
  const user = options.user ?? "system:serviceaccount:gateway-guard:gateway-guard";
  const requests: RequestRecord[] = [];
  const stop = new AbortController();
  const watches = {
    ends: new Set<() => void>(),
    onOpen: () => void controller.events.emit("watch-opened"),
    onEnd: (endedBy: "client" | "server") => void controller.events.emit("watch-closed", endedBy),
  };
  const context = { store, faults, token, user, requests, stopSignal: stop.signal, watches };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    void handleRequest(context, request, response);
  };
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let connections = 0;
  server.on(options.tls ? "secureConnection" : "connection", () => void connections++);
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const clusterName = options.clusterName ?? `standin-${port}`;

  const facts = (config: KubeConfigOptions = {}): KubeConfigFacts => ({
    server: url,
    cluster: clusterName,
    user: `${clusterName}-user`,
    token,
    context: config.context ?? clusterName,
    namespace: config.namespace ?? "default",
    ...(options.tls ? { ca: options.tls.ca } : {}),
  });

  const standin: KubeStandin = {
    url,
    clusterName,
    user,
    requests,
    get connections() {
      return connections;
    },
    events: controller.events,
    kubeConfigFacts: facts,
    kubeConfig: (config) => kubeConfigYaml([facts(config)]),
    writeKubeConfig: (path, config) => writeFile(path, kubeConfigYaml([facts(config)]), { mode: 0o600 }),
    async apply(objects) {
      const typed = (objects as KubeObject[]).map((object) => {
        const resource = resourceOfObject(object.apiVersion, object.kind);
        if (!resource) {
          throw new Error(
            `Kubernetes stand-in cannot apply ${String(object.apiVersion)} ${String(object.kind)}`,
          );
        }
        return { resource, object };
      });
      typed.sort((a, b) => applyOrder.indexOf(a.resource.kind) - applyOrder.indexOf(b.resource.kind));
      const results: KubeObject[] = [];
      for (const { resource, object } of typed) {
        const namespace = resource.namespaced ? object.metadata?.namespace || "default" : undefined;
        if (namespace && !store.get(namespaces, undefined, namespace)) {
          store.create(namespaces, { metadata: { name: namespace } });
        }
        const withNamespace = {
          ...object,
          metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) },
        };
        const existing = store.get(resource, namespace, object.metadata.name);
        results.push(
          existing
            ? store.replace(
                resource,
                { ...withNamespace, metadata: { ...withNamespace.metadata, resourceVersion: undefined } },
                { trusted: true },
              )
            : store.create(resource, withNamespace, { trusted: true }),
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
      return results;
    },
    get: (kind, namespace, name) => store.get(resourceNamed(kind), namespace, name),
    list: (kind, namespace, labelSelector) => {
      const selector = parseLabelSelector(labelSelector);
      return store.list(resourceNamed(kind), namespace, (o) => selector.matches(o.metadata.labels));
    },
    delete: (kind, namespace, name) => void store.delete(resourceNamed(kind), namespace, name),
    forbid: (rule) => faults.forbid(rule),
    failNext: (fault) => faults.failNext(fault),
    resetNext: (fault) => faults.resetNext(fault),
    setLatency: (latencyInMs) => void (faults.latencyInMs = latencyInMs),
    endWatches() {
      const ends = [...watches.ends];
      for (const end of ends) end();
      return ends.length;
    },
    clearFaults: () => faults.clear(),
    stallRollouts: (namespace, name, count) => controller.stallRollouts(namespace, name, count),
    waitForRollout: (namespace, name) => controller.waitForRollout(namespace, name),
    async onRolloutComplete(namespace, name) {
      const outcome = await controller.waitForRollout(namespace, name);
      if (outcome !== "complete") {
        throw new Error(`rollout of deployment ${namespace}/${name} ended "${outcome}", not "complete"`);
      }
    },
    podTokens: (namespace, deployment) => controller.podSecrets(namespace, deployment),
    async close() {
      controller.close();
      stop.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standin;
}
