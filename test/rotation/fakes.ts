/**
 * In-memory implementations of the rotation interfaces: an issuer that really signs tokens with
 * per-gateway primary/secondary keys (so revocation really invalidates), a versioned vault,
 * clusters with Secrets, resourceVersions and rollouts that can be told to fail, a lock, and a
 * logger that captures every event.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
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

/** Mints tokens signed (HMAC) with per-gateway keys; `revoke` regenerates a key. */
export class FakeIssuer implements TokenIssuer {
  readonly mints: Array<{ gatewayId: string; keyType: KeyType; expiresOn: Date }> = [];
  readonly revocations: Array<{ gatewayId: string; keyType: KeyType }> = [];
  private readonly keys = new Map<string, Record<KeyType, Buffer>>();

  constructor(private readonly clock: FakeClock) {}

  async mint(gateway: ApimGatewayRef, keyType: KeyType, expiresOn: Date): Promise<string> {
    if (expiresOn.getTime() - this.clock.now().getTime() > 30 * dayInMs) {
      throw new InputError("expiry must be at most 30 days ahead");
    }
    this.mints.push({ gatewayId: gateway.gatewayId, keyType, expiresOn });
    const body = `${gateway.gatewayId}&${stamp(expiresOn)}`;
    return `${body}&${this.sign(gateway.gatewayId, keyType, body).toString("base64")}`;
  }

  async revoke(gateway: ApimGatewayRef, keyType: KeyType): Promise<void> {
    this.revocations.push({ gatewayId: gateway.gatewayId, keyType });
    this.keysOf(gateway.gatewayId)[keyType] = randomBytes(32);
  }

  /** The key a token is signed with under the current keys, or undefined if none (revoked or forged). */
  signedWith(token: string): KeyType | undefined {
    const [gatewayId, expiry, signature] = token.split("&");
    if (!gatewayId || !expiry || !signature) return undefined;
    const given = Buffer.from(signature, "base64");
    return (["primary", "secondary"] as const).find((keyType) => {
      const expected = this.sign(gatewayId, keyType, `${gatewayId}&${expiry}`);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  /** True when the token is signed with a current key and has not expired. */
  isValid(token: string): boolean {
    const expiry = token.split("&")[1] ?? "";
    return this.signedWith(token) !== undefined && expiry > stamp(this.clock.now());
  }

  private sign(gatewayId: string, keyType: KeyType, body: string): Buffer {
    return createHmac("sha256", this.keysOf(gatewayId)[keyType]).update(body).digest();
  }

  private keysOf(gatewayId: string): Record<KeyType, Buffer> {
    let keys = this.keys.get(gatewayId);
    if (!keys) {
      keys = { primary: randomBytes(32), secondary: randomBytes(32) };
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

/** One cluster: a Secret per deployment, rollouts that record which token the pods run. */
export class FakeCluster implements GatewayCluster {
  readonly secrets = new Map<string, FakeSecret>();
  /** The token the running pods read at their start, per target. */
  readonly podTokens = new Map<string, string | undefined>();
  readonly restarts: string[] = [];
  readonly writes: Array<{ target: string; resourceVersion: string }> = [];
  /** Target → how many of the next rollouts stall. */
  readonly stalls = new Map<string, number>();
  /** Targets whose next write meets a concurrent change (ConflictError). */
  readonly conflicts = new Set<string>();
  private readonly pending = new Set<string>();

  async preflight(_target?: DeploymentTarget): Promise<void> {}

  async listSecretConsumers(_target?: DeploymentTarget): Promise<SecretConsumer[]> {
    return [];
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

  async writeToken(target: DeploymentTarget, token: string, options: WriteTokenOptions): Promise<void> {
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
  }

  async restart(target: DeploymentTarget): Promise<void> {
    const label = targetLabel(target);
    if (this.secretOf(target).paused) throw new RolloutError(`deployment ${label} is paused`);
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

/** A lock per gateway name; `held.add` simulates another holder, `lose` a lease lost while held. */
export class FakeLock implements RotationLock {
  readonly held = new Set<string>();
  readonly acquisitions: Array<{ gateway: string; ttlInMs: number }> = [];
  private readonly losses = new Map<string, AbortController>();

  async tryAcquire(gateway: GatewayConfig, options: { ttlInMs: number }): Promise<LockHandle | undefined> {
    if (this.held.has(gateway.name)) return undefined;
    this.held.add(gateway.name);
    this.acquisitions.push({ gateway: gateway.name, ttlInMs: options.ttlInMs });
    const lost = new AbortController();
    this.losses.set(gateway.name, lost);
    return { release: async () => void this.held.delete(gateway.name), lost: lost.signal };
  }

  /** Fires the held lock's `lost` with the reason (default: a LockHeldError), as an expired lease does. */
  lose(gateway: string, reason: Error = new LockHeldError(`Lost the rotation lock of ${gateway}`)): void {
    const lost = this.losses.get(gateway);
    if (!lost) throw new Error(`lock of ${gateway} was never acquired`);
    lost.abort(reason);
  }
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
  const lock = new FakeLock();
  const log = new CaptureLogger();
  const clusters = new Map<string, FakeCluster>();
  const clusterOf = (t: DeploymentTarget): FakeCluster => {
    const name = t.cluster.type === "kubeconfig" ? (t.cluster.context ?? "default") : t.cluster.type;
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
