/**
 * A small deployment controller. A Deployment's first version gets its pods at once; after a spec
 * change (a new template: `restartedAt`, env, image; or a new replica count) it moves one step per
 * `rolloutStepInMs`: observe the generation, start a new pod, stop an old one, ... until the new
 * template runs everywhere, keeping `status` as the real controller does (`observedGeneration`,
 * `replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`, conditions `Available` and
 * `Progressing`). A rollout told to stall starts one pod that never gets ready and, after the
 * progress deadline, reports `Progressing=False` with reason `ProgressDeadlineExceeded`.
 */
import { EventEmitter } from "node:events";
import { createHash, randomUUID } from "node:crypto";
import { copyOf, kubeTime, type KubeObject } from "./objects.js";
import { secretEnvironment, type ContainerSpec } from "./podenv.js";
import { resourceNamed } from "./resources.js";
import { randomSuffix, type ObjectStore, type StoreChange } from "./store.js";

/** How one rollout ended. `deleted` when its Deployment went away first. */
export type RolloutOutcome = "complete" | "failed" | "deleted";

/** Emitted as `rollout` on {@link DeploymentController.events}. */
export interface RolloutEvent {
  namespace: string;
  name: string;
  outcome: RolloutOutcome;
  generation: number;
}

/** The Secret values one pod started with. */
export interface PodSecretSnapshot {
  pod: string;
  startedAt: string;
  ready: boolean;
  /** Env var name → value, for variables filled from Secrets only. */
  env: Record<string, string>;
}

/** Controller settings. */
export interface DeploymentControllerOptions {
  /** Time between two rollout steps. */
  rolloutStepInMs: number;
  /** Overrides every Deployment's `progressDeadlineSeconds` for stalled rollouts. */
  progressDeadlineInMs?: number;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: ContainerSpec[]; [field: string]: unknown };
}

interface DeploymentSpec {
  replicas?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  template?: PodTemplate;
  strategy?: { rollingUpdate?: { maxUnavailable?: number | string } };
}

interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

interface RolloutState {
  hash: string;
  revision: number;
  observedGeneration: number;
  rolling: boolean;
  stalled: boolean;
  startedAt: number;
  replicaSetUids: Map<string, string>;
  timer?: NodeJS.Timeout;
  deadline?: NodeJS.Timeout;
  waiters: Array<(outcome: RolloutOutcome) => void>;
  lastOutcome?: RolloutOutcome;
}

const deployments = resourceNamed("Deployment");
const pods = resourceNamed("Pod");
const replicaSets = resourceNamed("ReplicaSet");
const secrets = resourceNamed("Secret");
const hashAlphabet = "bcdfghjklmnpqrstvwxz2456789";

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The `pod-template-hash` of a template: stable for equal templates. */
export function templateHash(template: unknown): string {
  const digest = createHash("sha256").update(stableJson(template)).digest();
  return [...digest.subarray(0, 10)].map((byte) => hashAlphabet[byte % hashAlphabet.length]).join("");
}

function withoutZeros(status: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).filter(([, value]) => value !== 0));
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status?.conditions ?? []) as Condition[];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

function maxUnavailable(spec: DeploymentSpec, desired: number): number {
  const value = spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%";
  if (typeof value === "number") return value;
  const percent = /^(\d+)%$/.exec(value);
  return percent ? Math.floor((desired * Number(percent[1])) / 100) : Number(value) || 0;
}

/** Runs Deployments of one {@link ObjectStore}. */
export class DeploymentController {
  /** Emits `rollout` with a {@link RolloutEvent} when a rollout completes, fails or is cut short. */
  readonly events = new EventEmitter();
  private readonly states = new Map<string, RolloutState>();
  private readonly stallRequests = new Map<string, number>();
  private readonly snapshots = new Map<string, PodSecretSnapshot>();
  private readonly listener = (change: StoreChange) => queueMicrotask(() => this.onChange(change));
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: DeploymentControllerOptions,
  ) {
    this.events.setMaxListeners(0);
    store.events.on("change", this.listener);
  }

  /** Makes the next `count` rollouts of a Deployment stall (default 1; `Infinity` for all). */
  stallRollouts(namespace: string, name: string, count = 1): void {
    this.stallRequests.set(`${namespace}/${name}`, count);
  }

  /**
   * Waits until the Deployment is not rolling: the outcome of the rollout in progress, else of the
   * last one (`complete` when there was none, `deleted` when the Deployment does not exist).
   */
  async waitForRollout(namespace: string, name: string): Promise<RolloutOutcome> {
    await new Promise((resolve) => setImmediate(resolve));
    const state = this.states.get(`${namespace}/${name}`);
    if (!state) return this.store.get(deployments, namespace, name) ? "complete" : "deleted";
    if (!state.rolling) return state.lastOutcome ?? "complete";
    return new Promise((resolve) => state.waiters.push(resolve));
  }

  /** The Secret values each current pod of a Deployment started with. */
  podSecrets(namespace: string, name: string): PodSecretSnapshot[] {
    const deployment = this.store.get(deployments, namespace, name);
    if (!deployment) return [];
    return this.ownedPods(deployment).map(
      (pod) =>
        this.snapshots.get(String(pod.metadata.uid)) ?? {
          pod: pod.metadata.name,
          startedAt: String(pod.status?.startTime ?? ""),
          ready: isReady(pod),
          env: {},
        },
    );
  }

  /** Stops every timer and ignores later changes. */
  close(): void {
    this.closed = true;
    this.store.events.off("change", this.listener);
    for (const state of this.states.values()) {
      clearTimeout(state.timer);
      clearTimeout(state.deadline);
    }
  }

  private onChange(change: StoreChange): void {
    if (this.closed || change.resource !== deployments) return;
    const { namespace = "default", name } = change.object.metadata;
    const key = `${namespace}/${name}`;
    if (change.type === "DELETED") {
      this.forget(key, change.object);
      return;
    }
    const current = this.store.get(deployments, namespace, name);
    if (current) this.sync(key, current);
  }

  private forget(key: string, deployment: KubeObject): void {
    const state = this.states.get(key);
    if (!state) return;
    clearTimeout(state.timer);
    clearTimeout(state.deadline);
    this.states.delete(key);
    for (const pod of this.ownedPods(deployment)) {
      this.store.delete(pods, pod.metadata.namespace, pod.metadata.name);
    }
    for (const hash of state.replicaSetUids.keys()) {
      const rsName = `${deployment.metadata.name}-${hash}`;
      if (this.store.get(replicaSets, deployment.metadata.namespace, rsName)) {
        this.store.delete(replicaSets, deployment.metadata.namespace, rsName);
      }
    }
    this.finish(key, state, "deleted", Number(deployment.metadata.generation ?? 0));
  }

  private sync(key: string, deployment: KubeObject): void {
    const spec = (deployment.spec ?? {}) as DeploymentSpec;
    const generation = Number(deployment.metadata.generation ?? 1);
    const hash = templateHash(spec.template);
    let state = this.states.get(key);
    if (state && generation <= state.observedGeneration) return;
    if (!state) {
      state = {
        hash,
        revision: 1,
        observedGeneration: generation,
        rolling: false,
        stalled: false,
        startedAt: Date.now(),
        replicaSetUids: new Map(),
        waiters: [],
      };
      this.states.set(key, state);
      this.annotateRevision(deployment, state.revision);
      if (!spec.paused) {
        for (let i = 0; i < (spec.replicas ?? 1); i++) this.startPod(deployment, state, true);
      }
      this.writeStatus(key, state, this.completeCondition(deployment, state));
      return;
    }
    clearTimeout(state.timer);
    if (spec.paused) {
      state.observedGeneration = generation;
      this.writeStatus(key, state, {
        type: "Progressing",
        status: "Unknown",
        reason: "DeploymentPaused",
        message: "Deployment is paused",
      });
      return;
    }
    if (hash !== state.hash) {
      state.hash = hash;
      state.revision++;
      clearTimeout(state.deadline);
      state.deadline = undefined;
      state.stalled = this.consumeStall(key);
      state.startedAt = Date.now();
    }
    state.rolling = true;
    this.schedule(key, state);
  }

  private consumeStall(key: string): boolean {
    const remaining = this.stallRequests.get(key) ?? 0;
    if (remaining <= 0) return false;
    this.stallRequests.set(key, remaining - 1);
    return true;
  }

  private schedule(key: string, state: RolloutState): void {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.step(key, state), this.options.rolloutStepInMs);
  }

  private step(key: string, state: RolloutState): void {
    if (this.closed || this.states.get(key) !== state) return;
    const [namespace, name] = key.split("/");
    const deployment = this.store.get(deployments, namespace, name);
    if (!deployment) return;
    const spec = (deployment.spec ?? {}) as DeploymentSpec;
    const generation = Number(deployment.metadata.generation ?? 1);
    const desired = spec.replicas ?? 1;
    const owned = this.ownedPods(deployment);
    const fresh = owned.filter((pod) => pod.metadata.labels?.["pod-template-hash"] === state.hash);
    const old = owned.filter((pod) => pod.metadata.labels?.["pod-template-hash"] !== state.hash);
    const rsName = `${name}-${state.hash}`;
    const progressing: Condition = {
      type: "Progressing",
      status: "True",
      reason: "ReplicaSetUpdated",
      message: `ReplicaSet "${rsName}" is progressing.`,
    };
    if (state.observedGeneration < generation) {
      state.observedGeneration = generation;
      this.annotateRevision(deployment, state.revision);
      this.writeStatus(key, state, progressing);
      this.schedule(key, state);
    } else if (state.stalled) {
      if (fresh.length === 0) this.startPod(deployment, state, false);
      this.writeStatus(key, state, progressing);
      state.deadline ??= setTimeout(
        () => this.exceedDeadline(key, state, rsName),
        Math.max(0, state.startedAt + this.deadlineInMs(spec) - Date.now()),
      );
    } else if (fresh.length < desired) {
      this.startPod(deployment, state, true);
      this.writeStatus(key, state, progressing);
      this.schedule(key, state);
    } else if (old.length > 0 || fresh.length > desired) {
      const victim = old[0] ?? fresh[fresh.length - 1];
      this.store.delete(pods, namespace, victim.metadata.name);
      const victimWasOld = old.includes(victim);
      const oldLeft = old.length - (victimWasOld ? 1 : 0);
      const freshLeft = fresh.length - (victimWasOld ? 0 : 1);
      if (oldLeft === 0 && freshLeft === desired) this.complete(key, state, deployment, generation);
      else {
        this.writeStatus(key, state, progressing);
        this.schedule(key, state);
      }
    } else {
      this.complete(key, state, deployment, generation);
    }
  }

  /** As the real controller does, the status that shows every replica updated carries the completed condition too. */
  private complete(key: string, state: RolloutState, deployment: KubeObject, generation: number): void {
    this.writeStatus(key, state, this.completeCondition(deployment, state));
    this.finish(key, state, "complete", generation);
  }

  private deadlineInMs(spec: DeploymentSpec): number {
    return this.options.progressDeadlineInMs ?? (spec.progressDeadlineSeconds ?? 600) * 1000;
  }

  private exceedDeadline(key: string, state: RolloutState, rsName: string): void {
    if (this.closed || this.states.get(key) !== state || !state.rolling) return;
    this.writeStatus(key, state, {
      type: "Progressing",
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
    });
    this.finish(key, state, "failed", state.observedGeneration);
  }

  private completeCondition(deployment: KubeObject, state: RolloutState): Condition {
    return {
      type: "Progressing",
      status: "True",
      reason: "NewReplicaSetAvailable",
      message: `ReplicaSet "${deployment.metadata.name}-${state.hash}" has successfully progressed.`,
    };
  }

  private finish(key: string, state: RolloutState, outcome: RolloutOutcome, generation: number): void {
    state.rolling = false;
    state.lastOutcome = outcome;
    clearTimeout(state.timer);
    const waiters = state.waiters.splice(0);
    for (const resolve of waiters) resolve(outcome);
    const [namespace, name] = key.split("/");
    this.events.emit("rollout", { namespace, name, outcome, generation } satisfies RolloutEvent);
  }

  private ownedPods(deployment: KubeObject): KubeObject[] {
    const name = deployment.metadata.name;
    return this.store
      .list(pods, deployment.metadata.namespace)
      .filter((pod) =>
        (pod.metadata.ownerReferences ?? []).some(
          (owner) =>
            owner.kind === "ReplicaSet" &&
            owner.name === `${name}-${pod.metadata.labels?.["pod-template-hash"]}`,
        ),
      )
      .sort((a, b) =>
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
      );
  }

  private annotateRevision(deployment: KubeObject, revision: number): void {
    const current = this.store.get(deployments, deployment.metadata.namespace, deployment.metadata.name);
    if (!current) return;
    const annotations = (current.metadata.annotations ??= {});
    if (annotations["deployment.kubernetes.io/revision"] === String(revision)) return;
    annotations["deployment.kubernetes.io/revision"] = String(revision);
    delete current.metadata.resourceVersion;
    this.store.replace(deployments, current, { trusted: true });
  }

  private startPod(deployment: KubeObject, state: RolloutState, ready: boolean): void {
    const namespace = deployment.metadata.namespace ?? "default";
    const spec = (deployment.spec ?? {}) as DeploymentSpec;
    const template = copyOf(spec.template ?? {});
    const rsName = `${deployment.metadata.name}-${state.hash}`;
    const rsUid = this.replicaSetUid(deployment, state, template);
    const now = kubeTime();
    const containers = template.spec?.containers ?? [];
    const condition = (type: string, status: boolean) => ({
      type,
      status: status ? "True" : "False",
      lastProbeTime: null,
      lastTransitionTime: now,
      ...(status ? {} : { reason: "ContainersNotReady", message: "containers with unready status" }),
    });
    const pod: KubeObject = {
      metadata: {
        name: `${rsName}-${randomSuffix()}`,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), "pod-template-hash": state.hash },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: rsName,
            uid: rsUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...template.spec, nodeName: "standin-node" },
      status: {
        phase: "Running",
        conditions: [
          condition("Initialized", true),
          condition("Ready", ready),
          condition("ContainersReady", ready),
          condition("PodScheduled", true),
        ],
        hostIP: "10.0.0.1",
        podIP: `10.244.0.${Math.floor(Math.random() * 250) + 2}`,
        startTime: now,
        containerStatuses: containers.map((container) => ({
          name: container.name,
          image: container.image ?? "",
          imageID: "",
          ready,
          started: ready,
          restartCount: ready ? 0 : 3,
          state: ready
            ? { running: { startedAt: now } }
            : { waiting: { reason: "CrashLoopBackOff", message: "back-off restarting failed container" } },
        })),
      },
    };
    const created = this.store.create(pods, pod, { trusted: true });
    const env = secretEnvironment(containers, (secretName) => this.store.get(secrets, namespace, secretName));
    this.snapshots.set(String(created.metadata.uid), {
      pod: created.metadata.name,
      startedAt: now,
      ready,
      env,
    });
  }

  /**
   * The uid of the ReplicaSet `<deployment>-<hash>` for the current template, created on first use
   * with the Deployment as its controlling owner (as the real controller does).
   */
  private replicaSetUid(deployment: KubeObject, state: RolloutState, template: PodTemplate): string {
    const known = state.replicaSetUids.get(state.hash);
    if (known) return known;
    const namespace = deployment.metadata.namespace ?? "default";
    const name = `${deployment.metadata.name}-${state.hash}`;
    const labels = { ...(template.metadata?.labels ?? {}), "pod-template-hash": state.hash };
    const created =
      this.store.get(replicaSets, namespace, name) ??
      this.store.create(
        replicaSets,
        {
          metadata: {
            name,
            namespace,
            labels,
            annotations: { "deployment.kubernetes.io/revision": String(state.revision) },
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "Deployment",
                name: deployment.metadata.name,
                uid: String(deployment.metadata.uid ?? randomUUID()),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas: (deployment.spec as DeploymentSpec | undefined)?.replicas ?? 1,
            selector: { matchLabels: labels },
            template: { ...template, metadata: { ...template.metadata, labels } },
          },
        },
        { trusted: true },
      );
    const uid = String(created.metadata.uid);
    state.replicaSetUids.set(state.hash, uid);
    return uid;
  }

  private writeStatus(key: string, state: RolloutState, progressing: Condition): void {
    const [namespace, name] = key.split("/");
    const deployment = this.store.get(deployments, namespace, name);
    if (!deployment) return;
    const spec = (deployment.spec ?? {}) as DeploymentSpec;
    const desired = spec.replicas ?? 1;
    const owned = this.ownedPods(deployment);
    const ready = owned.filter(isReady).length;
    const updated = owned.filter((pod) => pod.metadata.labels?.["pod-template-hash"] === state.hash).length;
    const available = ready >= desired - maxUnavailable(spec, desired);
    const now = kubeTime();
    const previous = ((deployment.status?.conditions ?? []) as Condition[]).filter(
      (c) => c.type === "Available" || c.type === "Progressing",
    );
    const stamp = (condition: Condition): Condition => {
      const before = previous.find((c) => c.type === condition.type);
      const transitioned = !before || before.status !== condition.status;
      return {
        ...condition,
        lastUpdateTime: now,
        lastTransitionTime: transitioned ? now : (before.lastTransitionTime ?? now),
      };
    };
    const status = withoutZeros({
      observedGeneration: state.observedGeneration,
      replicas: owned.length,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, desired - ready),
    });
    status.conditions = [
      stamp({
        type: "Available",
        status: available ? "True" : "False",
        reason: available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        message: available
          ? "Deployment has minimum availability."
          : "Deployment does not have minimum availability.",
      }),
      stamp(progressing),
    ];
    this.store.replace(deployments, { ...deployment, status }, { subresource: "status" });
  }
}
