/**
 * In-memory implementations of the rotation interfaces: an issuer that really signs tokens with
 * per-gateway primary/secondary keys, as APIM does (so revocation really invalidates and keys can be
 * identified from a token), a versioned vault, clusters with Secrets, resourceVersions, pre-flight
 * failures, pods that read the Secrets and rollouts that can be told to fail, a Lease-like lock that
 * expires on the clock, rollout slots per cluster, and a logger that captures every event.
 */
import { randomBytes } from "node:crypto";
import { signingKeyOf, tokenSignature } from "../../shared/azure/tokenSignature.js";
import type { ApimGatewayRef, DeploymentTarget, GatewayConfig } from "../../shared/config/types.js";
import {
  ConflictError,
  InputError,
  LockHeldError,
  NotFoundError,
  RolloutError,
} from "../../shared/errors.js";
import { targetLabel } from "../../shared/rotation/target.js";
import type {
  DeploymentTokenState,
  GatewayCluster,
  SecretConsumer,
  KeyType,
  LockHandle,
  LockHolder,
  AcquireRolloutSlotOptions,
  RestartOptions,
  RolloutLimiter,
  RolloutSlot,
  RotationDeps,
  RotationLock,
  RotationLogger,
  StoredToken,
  StoreTokenOptions,
  TokenIssuer,
  TokenVault,
  WaitForRolloutOptions,
  WriteTokenOptions,
} from "../../shared/rotation/types.js";

export const dayInMs = 86_400_000;

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public current = new Date("2025-03-01T00:00:00Z")) {}
  now = (): Date => new Date(this.current);
  advanceDays(days: number): void {
    this.current = new Date(this.current.getTime() + days * dayInMs);
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 12);
}

/** Mints tokens signed with per-gateway keys (APIM's scheme); `revoke` regenerates a key. */
export class FakeIssuer implements TokenIssuer {
  readonly mints: Array<{ gatewayId: string; keyType: KeyType; expiresOn: Date }> = [];
  readonly revocations: Array<{ gatewayId: string; keyType: KeyType }> = [];
  /** How many times a token's key was asked for (ARM "List Keys" calls). */
  identifications = 0;
  private readonly keys = new Map<string, Record<KeyType, string>>();

  constructor(private readonly clock: FakeClock) {}

  async mint(gateway: ApimGatewayRef, keyType: KeyType, expiresOn: Date): Promise<string> {
    if (expiresOn.getTime() - this.clock.now().getTime() > 30 * dayInMs) {
      throw new InputError("expiry must be at most 30 days ahead");
    }
    this.mints.push({ gatewayId: gateway.gatewayId, keyType, expiresOn });
    const signature = tokenSignature(this.keysOf(gateway.gatewayId)[keyType], gateway.gatewayId, expiresOn);
    return `${gateway.gatewayId}&${stamp(expiresOn)}&${signature}`;
  }

  async revoke(gateway: ApimGatewayRef, keyType: KeyType): Promise<void> {
    this.revocations.push({ gatewayId: gateway.gatewayId, keyType });
    this.keysOf(gateway.gatewayId)[keyType] = randomBytes(32).toString("base64");
  }

  async identifyKey(_gateway: ApimGatewayRef, token: string): Promise<KeyType | undefined> {
    this.identifications++;
    return this.signedWith(token);
  }

  /** The key a token is signed with under the current keys, or undefined if none (revoked or forged). */
  signedWith(token: string): KeyType | undefined {
    const gatewayId = token.split("&")[0] ?? "";
    return signingKeyOf(token, this.keysOf(gatewayId));
  }

  /** True when the token is signed with a current key and has not expired. */
  isValid(token: string): boolean {
    const expiry = token.split("&")[1] ?? "";
    return this.signedWith(token) !== undefined && expiry > stamp(this.clock.now());
  }

  private keysOf(gatewayId: string): Record<KeyType, string> {
    let keys = this.keys.get(gatewayId);
    if (!keys) {
      keys = { primary: randomBytes(32).toString("base64"), secondary: randomBytes(32).toString("base64") };
      this.keys.set(gatewayId, keys);
    }
    return keys;
  }
}

/** Key Vault secrets as lists of versions; `failStore` makes the next store throw. */
export class FakeVault implements TokenVault {
  readonly versions = new Map<string, StoredToken[]>();
  failStore?: Error;

  constructor(private readonly clock: FakeClock) {}

  async current(secretName: string): Promise<StoredToken | undefined> {
    const versions = this.versions.get(secretName);
    return versions?.[versions.length - 1];
  }

  async store(secretName: string, token: string, options: StoreTokenOptions): Promise<StoredToken> {
    if (this.failStore) {
      const error = this.failStore;
      this.failStore = undefined;
      throw error;
    }
    return this.put(secretName, { token, expiresOn: options.expiresOn, keyType: options.keyType });
  }

  /** Adds a version directly (seeding a test). */
  put(secretName: string, fields: Omit<StoredToken, "version" | "createdOn">): StoredToken {
    const versions = this.versions.get(secretName) ?? [];
    const stored: StoredToken = {
      ...fields,
      version: `v${versions.length + 1}`,
      createdOn: this.clock.now(),
    };
    versions.push(stored);
    this.versions.set(secretName, versions);
    return stored;
  }
}

interface FakeSecret {
  secretName: string;
  secretKey: string;
  token?: string;
  resourceVersion: number;
  annotations: Record<string, string>;
  /** The Deployment's `spec.paused`: `restart` refuses it, as `kubectl rollout restart` does. */
  paused?: boolean;
}

/**
 * One cluster: a Secret per deployment, rollouts that record which token the pods run. A restart
 * repeated with the same `restartedAt` (an adapter's retry) rolls nothing, as in Kubernetes; the
 * fake forgets the value when the Secret is written, since test clocks stand still between runs.
 */
export class FakeCluster implements GatewayCluster {
  readonly secrets = new Map<string, FakeSecret>();
  /** The token the running pods read at their start, per target. */
  readonly podTokens = new Map<string, string | undefined>();
  /** Targets rolled, one entry per rollout started. */
  readonly restarts: string[] = [];
  /** Target → the `restartedAt` of its last restart since the Secret was last written. */
  readonly restartedAt = new Map<string, string>();
  /** Target → what pre-flight finds wrong with it. */
  readonly preflightFailures = new Map<string, Error>();
  /** Pods outside the configured deployments that read a Secret: namespace → pods. */
  readonly otherConsumers = new Map<string, SecretConsumer[]>();
  /** Targets whose `listSecretConsumers` fails. */
  readonly consumerFailures = new Map<string, Error>();
  readonly writes: Array<{ target: string; resourceVersion: string }> = [];
  /** Target → how many of the next rollouts stall. */
  readonly stalls = new Map<string, number>();
  /** Targets whose next write meets a concurrent change (ConflictError). */
  readonly conflicts = new Set<string>();
  private readonly pending = new Set<string>();

  readonly preflights: string[] = [];

  async preflight(target: DeploymentTarget): Promise<void> {
    const label = targetLabel(target);
    this.preflights.push(label);
    const failure = this.preflightFailures.get(label);
    if (failure) throw failure;
  }

  /** The target's own pods (two, owned by it) and any other pod in its namespace that reads a Secret. */
  async listSecretConsumers(target: DeploymentTarget): Promise<SecretConsumer[]> {
    const failure = this.consumerFailures.get(targetLabel(target));
    if (failure) throw failure;
    const own = [0, 1].map((i) => ({
      namespace: target.namespace,
      pod: `${target.deployment}-7d9f-${i}`,
      deployment: target.deployment,
      phase: "Running",
    }));
    return [...own, ...(this.otherConsumers.get(target.namespace) ?? [])];
  }

  /** Adds a deployment with its Secret; the pods run the Secret's token. */
  addDeployment(
    target: DeploymentTarget,
    secret: {
      token?: string;
      annotations?: Record<string, string>;
      secretName?: string;
      secretKey?: string;
      paused?: boolean;
    } = {},
  ): void {
    const label = targetLabel(target);
    this.secrets.set(label, {
      secretName: secret.secretName ?? target.secretName ?? `${target.deployment}-token`,
      secretKey: secret.secretKey ?? target.secretKey ?? "value",
      token: secret.token,
      resourceVersion: 1,
      annotations: { ...secret.annotations },
      paused: secret.paused,
    });
    this.podTokens.set(label, secret.token);
  }

  async readToken(target: DeploymentTarget): Promise<DeploymentTokenState> {
    const secret = this.secretOf(target);
    return {
      secretName: secret.secretName,
      secretKey: secret.secretKey,
      token: secret.token,
      resourceVersion: String(secret.resourceVersion),
      annotations: { ...secret.annotations },
      ...(secret.paused ? { paused: true } : {}),
    };
  }

  async writeToken(
    target: DeploymentTarget,
    token: string,
    options: WriteTokenOptions,
  ): Promise<{ resourceVersion: string }> {
    const label = targetLabel(target);
    const secret = this.secretOf(target);
    this.writes.push({ target: label, resourceVersion: options.resourceVersion });
    if (this.conflicts.delete(label)) secret.resourceVersion++;
    if (options.resourceVersion !== String(secret.resourceVersion)) {
      throw new ConflictError(`Secret ${secret.secretName} was changed since it was read`);
    }
    secret.token = token;
    for (const [key, value] of Object.entries(options.annotations)) {
      if (value === null) delete secret.annotations[key];
      else secret.annotations[key] = value;
    }
    secret.resourceVersion++;
    this.restartedAt.delete(label);
    return { resourceVersion: String(secret.resourceVersion) };
  }

  async restart(target: DeploymentTarget, options: RestartOptions = {}): Promise<void> {
    const label = targetLabel(target);
    if (this.secretOf(target).paused) throw new RolloutError(`deployment ${label} is paused`);
    if (options.restartedAt !== undefined && this.restartedAt.get(label) === options.restartedAt) return;
    if (options.restartedAt !== undefined) this.restartedAt.set(label, options.restartedAt);
    this.restarts.push(label);
    this.pending.add(label);
  }

  async waitForRollout(target: DeploymentTarget, options: WaitForRolloutOptions): Promise<void> {
    const label = targetLabel(target);
    if (!this.pending.delete(label)) return;
    const stalls = this.stalls.get(label) ?? 0;
    if (stalls > 0) {
      this.stalls.set(label, stalls - 1);
      throw new RolloutError(`deployment ${label} exceeded its progress deadline`);
    }
    options.onProgress?.({
      target: label,
      updatedReplicas: 2,
      availableReplicas: 2,
      desiredReplicas: 2,
      message: "done",
    });
    this.podTokens.set(label, this.secretOf(target).token);
  }

  tokenOf(target: DeploymentTarget): string | undefined {
    return this.secretOf(target).token;
  }

  private secretOf(target: DeploymentTarget): FakeSecret {
    const secret = this.secrets.get(targetLabel(target));
    if (!secret) throw new NotFoundError(`deployment ${targetLabel(target)} not found`);
    return secret;
  }
}

/** A gateway's Lease as the fake lock keeps it. */
interface FakeLease extends Required<LockHolder> {
  lost: AbortController;
}

/**
 * A Lease per gateway name that expires on the clock `ttlInMs` after its last renewal (the fake
 * does not renew: a test moves the clock past it to model a crashed holder). `holdAs` models
 * another holder, `lose` a lease lost while held.
 */
export class FakeLock implements RotationLock {
  readonly held = new Map<string, FakeLease>();
  readonly acquisitions: Array<{ gateway: string; ttlInMs: number }> = [];
  readonly releases: string[] = [];
  private count = 0;

  constructor(private readonly clock: FakeClock) {}

  async tryAcquire(gateway: GatewayConfig, options: { ttlInMs: number }): Promise<LockHandle | undefined> {
    const current = this.held.get(gateway.name);
    if (current && current.expiresAt > this.clock.now()) return undefined;
    this.acquisitions.push({ gateway: gateway.name, ttlInMs: options.ttlInMs });
    const lease = this.holdAs(gateway.name, `run-${++this.count}`, options.ttlInMs);
    return {
      release: async () => {
        this.releases.push(gateway.name);
        if (this.held.get(gateway.name) === lease) this.held.delete(gateway.name);
      },
      lost: lease.lost.signal,
    };
  }

  async holder(gateway: GatewayConfig): Promise<LockHolder | undefined> {
    const lease = this.held.get(gateway.name);
    return lease && { identity: lease.identity, renewedAt: lease.renewedAt, expiresAt: lease.expiresAt };
  }

  /** Takes (or renews) the gateway's Lease for `identity` now, as another process would. */
  holdAs(gateway: string, identity: string, ttlInMs = 90_000): FakeLease {
    const renewedAt = this.clock.now();
    const lease = {
      identity,
      renewedAt,
      expiresAt: new Date(renewedAt.getTime() + ttlInMs),
      lost: new AbortController(),
    };
    this.held.set(gateway, lease);
    return lease;
  }

  /** Fires the held lock's `lost` with the reason (default: a LockHeldError), as an expired lease does. */
  lose(gateway: string, reason: Error = new LockHeldError(`Lost the rotation lock of ${gateway}`)): void {
    const lease = this.held.get(gateway);
    if (!lease) throw new Error(`lock of ${gateway} was never acquired`);
    lease.lost.abort(reason);
  }
}

/**
 * `slots` rollouts at once per cluster (kubeconfig context), in memory: `acquire` waits for a
 * release or the abort while all are taken. `timeline` records every take and release in order;
 * `failWith` makes the next `acquire` throw.
 */
export class FakeRolloutLimiter implements RolloutLimiter {
  readonly timeline: Array<{ cluster: string; target: string; event: "acquired" | "released" }> = [];
  failWith?: Error;
  readonly #held = new Map<string, number>();
  #waiters: Array<() => void> = [];

  constructor(readonly slots = 1) {}

  async acquire(t: DeploymentTarget, options: AcquireRolloutSlotOptions = {}): Promise<RolloutSlot> {
    const cluster = contextOf(t);
    if (this.failWith) throw this.failWith;
    while ((this.#held.get(cluster) ?? 0) >= this.slots) {
      options.abortSignal?.throwIfAborted();
      options.onWait?.({ scope: cluster, slots: this.slots, retryInMs: 1000 });
      await abortable(new Promise((wake) => this.#waiters.push(wake)), options.abortSignal);
    }
    this.#held.set(cluster, (this.#held.get(cluster) ?? 0) + 1);
    this.timeline.push({ cluster, target: targetLabel(t), event: "acquired" });
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.#held.set(cluster, (this.#held.get(cluster) ?? 1) - 1);
        this.timeline.push({ cluster, target: targetLabel(t), event: "released" });
        for (const wake of this.#waiters.splice(0)) wake();
      },
    };
  }

  /** The most slots of one cluster held at once so far. */
  maxHeld(cluster: string): number {
    let held = 0;
    let max = 0;
    for (const entry of this.timeline.filter((e) => e.cluster === cluster)) {
      held += entry.event === "acquired" ? 1 : -1;
      max = Math.max(max, held);
    }
    return max;
  }
}

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function contextOf(t: DeploymentTarget): string {
  return t.cluster.type === "kubeconfig" ? (t.cluster.context ?? "default") : t.cluster.type;
}

/** Captures every log event. */
export class CaptureLogger implements RotationLogger {
  readonly events: Array<{
    level: "info" | "warn" | "error";
    event: string;
    fields: Record<string, unknown>;
  }> = [];
  info(event: string, fields: Record<string, unknown>): void {
    this.events.push({ level: "info", event, fields });
  }
  warn(event: string, fields: Record<string, unknown>): void {
    this.events.push({ level: "warn", event, fields });
  }
  error(event: string, fields: Record<string, unknown>): void {
    this.events.push({ level: "error", event, fields });
  }
  readonly metrics: Array<{ name: string; value: number; dimensions: Record<string, string> }> = [];
  metric(name: string, value: number, dimensions: Record<string, string>): void {
    this.metrics.push({ name, value, dimensions });
  }
  names(): string[] {
    return this.events.map((e) => e.event);
  }
  text(): string {
    return JSON.stringify([this.events, this.metrics]);
  }
}

/** A deployment target in a kubeconfig context. */
export function target(context: string, namespace = "gateways", deployment = "gw"): DeploymentTarget {
  return { cluster: { type: "kubeconfig", context }, namespace, deployment };
}

/** A gateway with defaults, one deployment in context `east` unless given. */
export function gatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    name: "gw1",
    apim: {
      subscriptionId: "00000000-0000-0000-0000-000000000001",
      resourceGroup: "rg",
      service: "apim",
      gatewayId: "gw1",
    },
    keyVault: { url: "https://kv.vault.azure.net", secretName: "gw1-token" },
    deployments: [target("east")],
    tokenLifetimeInDays: 29,
    renewBeforeInDays: 7,
    revokeOldKey: false,
    rolloutTimeoutInMs: 60_000,
    ...overrides,
  };
}

/** Everything a rotation needs, wired together; clusters by kubeconfig context. */
export function fakeWorld(gateway: GatewayConfig = gatewayConfig()) {
  const clock = new FakeClock();
  const issuer = new FakeIssuer(clock);
  const vault = new FakeVault(clock);
  const lock = new FakeLock(clock);
  const log = new CaptureLogger();
  const clusters = new Map<string, FakeCluster>();
  const clusterOf = (t: DeploymentTarget): FakeCluster => {
    const name = contextOf(t);
    let cluster = clusters.get(name);
    if (!cluster) {
      cluster = new FakeCluster();
      clusters.set(name, cluster);
    }
    return cluster;
  };
  for (const t of gateway.deployments) clusterOf(t).addDeployment(t);
  const deps: RotationDeps = { issuer, vault, lock, log, now: clock.now, clusterFor: clusterOf };
  return { gateway, clock, issuer, vault, lock, log, clusters, clusterOf, deps };
}
