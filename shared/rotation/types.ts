/**
 * The rotation protocol's narrow interfaces (implemented by shared/azure and shared/kube, and by
 * in-memory fakes in unit tests) and its typed plans and outcomes. Tokens pass through these
 * interfaces but never into a plan, an outcome, a log or an error.
 */
import type { ApimGatewayRef, DeploymentTarget, GatewayConfig } from "../config/types.js";
import type { KeyType, StoredToken } from "../token/types.js";

export { secretAnnotations, type KeyType, type StoredToken } from "../token/types.js";

export interface AbortOptions {
  abortSignal?: AbortSignal;
}

/** Mints, identifies and revokes gateway tokens (ARM "Gateway - Generate Token" / "List Keys" / "Regenerate Key"). */
export interface TokenIssuer {
  /** Returns the raw token value (`<gw>&<yyyyMMddHHmm>&<sig>`, without `GatewayKey `). */
  mint(gateway: ApimGatewayRef, keyType: KeyType, expiresOn: Date, options?: AbortOptions): Promise<string>;
  /** Regenerates the key, invalidating every token signed with it. */
  revoke(gateway: ApimGatewayRef, keyType: KeyType, options?: AbortOptions): Promise<void>;
  /**
   * Which current key signed the token (its signature recomputed under each key). Called only when
   * revoking, and only for a token whose key type nothing else records.
   * @returns undefined when neither current key signed it: the token no longer validates
   */
  identifyKey(gateway: ApimGatewayRef, token: string, options?: AbortOptions): Promise<KeyType | undefined>;
}

export interface StoreTokenOptions extends AbortOptions {
  expiresOn: Date;
  keyType: KeyType;
  gateway: string;
}

/** Key Vault: the source of truth. */
export interface TokenVault {
  /** The current version, or undefined when the secret does not exist yet. */
  current(secretName: string, options?: AbortOptions): Promise<StoredToken | undefined>;
  /** The version before the current one, if any (a revocation that waited for pulled deployments needs its token). */
  previous?(secretName: string, options?: AbortOptions): Promise<StoredToken | undefined>;
  /** Writes a new version with expiresOn, contentType and tags (gateway, keyType). */
  store(secretName: string, token: string, options: StoreTokenOptions): Promise<StoredToken>;
}

/** A deployment's token as read from the cluster. */
export interface DeploymentTokenState {
  secretName: string;
  secretKey: string;
  /** Token without the `GatewayKey ` prefix; undefined if the key is absent. */
  token?: string;
  resourceVersion: string;
  annotations: Record<string, string>;
  /** The Deployment is paused (`spec.paused`): it cannot be rolled, so nothing is written to it. */
  paused?: boolean;
}

/** What a Secret write returned. */
export interface WrittenToken {
  resourceVersion: string;
}

export interface PreflightOptions extends AbortOptions {
  /**
   * The target's token state as this run just read it (its plan): the Deployment and Secret are then
   * not read again, and the dry runs use its resourceVersion.
   */
  state?: DeploymentTokenState;
}

export interface WriteTokenOptions extends AbortOptions {
  /** Precondition: the Secret's resourceVersion as read. A change in between → ConflictError. */
  resourceVersion: string;
  /** Merged into the Secret's annotations (a merge patch): `null` removes one. */
  annotations: Record<string, string | null>;
}

export interface RolloutProgress {
  target: string;
  updatedReplicas: number;
  availableReplicas: number;
  desiredReplicas: number;
  message: string;
}

export interface WaitForRolloutOptions extends AbortOptions {
  timeoutInMs: number;
  onProgress?: (progress: RolloutProgress) => void;
}

export interface RestartOptions extends AbortOptions {
  /**
   * The `kubectl.kubernetes.io/restartedAt` value (RFC 3339). The engine picks it once per
   * deployment and cause, so a retried restart patch writes the same value and rolls nothing twice.
   */
  restartedAt?: string;
}

/** A pod that reads a gateway's Secret (env `secretKeyRef`, `envFrom.secretRef` or a secret volume). */
export interface SecretConsumer {
  namespace: string;
  /** The pod's name. */
  pod: string;
  /** The Deployment that owns the pod (through its ReplicaSet), when one does. */
  deployment?: string;
  /** The pod's phase (`Running`, `Pending`, ...). */
  phase?: string;
  startedAt?: Date;
}

/** One cluster as the protocol needs it. */
export interface GatewayCluster {
  readToken(target: DeploymentTarget, options?: AbortOptions): Promise<DeploymentTokenState>;
  /**
   * Pre-flight, before anything is minted: a server-side dry run (`dryRun=All`) of the Secret patch
   * and of the restart patch (RBAC, immutability, admission in one call each), and the Deployment
   * exists and is not paused.
   * @throws PreflightError naming the object and the missing verb or field; changes nothing
   */
  preflight(target: DeploymentTarget, options?: PreflightOptions): Promise<void>;
  /** Every pod in the target's namespace that reads the target's Secret, whoever owns it. */
  listSecretConsumers(target: DeploymentTarget, options?: AbortOptions): Promise<SecretConsumer[]>;
  /**
   * Patches the Secret (merge patch, resourceVersion precondition) with `GatewayKey <token>`.
   * @returns the Secret's new resourceVersion when the cluster tells it (a later write's precondition)
   */
  writeToken(
    target: DeploymentTarget,
    token: string,
    options: WriteTokenOptions,
  ): Promise<WrittenToken | void>;
  /** As `kubectl rollout restart`, with `restartedAt` when given (same value on a retry: idempotent). */
  restart(target: DeploymentTarget, options?: RestartOptions): Promise<void>;
  /** As `kubectl rollout status`; throws RolloutError on deadline or timeout. */
  waitForRollout(target: DeploymentTarget, options: WaitForRolloutOptions): Promise<void>;
}

/** A held lock. */
export interface LockHandle {
  release(): Promise<void>;
  /** Aborts (reason: LockHeldError, or PermissionDeniedError) when the lock is lost while held; stop changing things then. */
  lost?: AbortSignal;
}

/** Who holds a gateway's lock, for the "locked" message. */
export interface LockHolder {
  identity: string;
  /** Last acquisition or renewal. */
  renewedAt?: Date;
  /** When the lock expires unless renewed again. */
  expiresAt?: Date;
}

/** Mutual exclusion per gateway across processes, expiring if the holder dies. */
export interface RotationLock {
  /** Undefined when someone else holds it. */
  tryAcquire(
    gateway: GatewayConfig,
    options: { ttlInMs: number } & AbortOptions,
  ): Promise<LockHandle | undefined>;
  /** Who holds the gateway's lock now, if anyone (read after a failed `tryAcquire`). */
  holder?(gateway: GatewayConfig, options?: AbortOptions): Promise<LockHolder | undefined>;
}

/** A held rollout slot. */
export interface RolloutSlot {
  /** Frees the slot; the next waiter may take it. Calling it again does nothing. */
  release(): Promise<void>;
}

/** What a limiter says while every slot of a cluster is taken. */
export interface RolloutSlotWait {
  /** Where the slots are counted, e.g. `aks-east/apim` (cluster and namespace). */
  scope: string;
  /** How many rollouts the scope allows at once. */
  slots: number;
  /** How long until the limiter looks again. */
  retryInMs: number;
}

export interface AcquireRolloutSlotOptions extends AbortOptions {
  /** Called each time every slot is found taken, before waiting. */
  onWait?: (wait: RolloutSlotWait) => void;
}

/**
 * Caps concurrent rollouts per cluster, across processes: the engine holds a slot around each
 * deployment's delivery (Secret write, restart, rollout wait, rollback).
 */
export interface RolloutLimiter {
  /**
   * Waits until one of the target's slots is free and takes it.
   * @throws the abort signal's reason when it fires first; the adapter's error (e.g. a 403) otherwise
   */
  acquire(target: DeploymentTarget, options?: AcquireRolloutSlotOptions): Promise<RolloutSlot>;
}

/** A pulled deployment's newest accepted agent report (pull mode); never a token. */
export interface DeliveryReport {
  /** The Key Vault version the deployment runs (`in-sync`, `delivered`), or failed to roll out. */
  vaultVersion?: string;
  outcome: "in-sync" | "delivered" | "rolled-back" | "failed";
  /** When the agent's pass ended (ISO 8601). */
  at: string;
}

/** A pulled deployment, as its agent names it in reports. */
export interface ReportedDeployment {
  gateway: string;
  /** The pulled cluster's name. */
  cluster: string;
  namespace: string;
  deployment: string;
}

/** The agents' newest accepted report per pulled deployment. */
export interface DeliveryReports {
  latest(deployment: ReportedDeployment): DeliveryReport | undefined;
}

/** What the engine needs, given per call. */
export interface RotationDeps {
  issuer: TokenIssuer;
  vault: TokenVault;
  /** The cluster for a deployment target (adapters cache connections). */
  clusterFor(target: DeploymentTarget): GatewayCluster;
  lock: RotationLock;
  /** The agents' reports of pulled deployments; without it, no pulled deployment has reported. */
  reports?: DeliveryReports;
  /** Caps concurrent rollouts per cluster; no cap when absent. */
  rollouts?: RolloutLimiter;
  now?: () => Date;
  log?: RotationLogger;
}

/** Structured events and metrics; never a token. */
export interface RotationLogger {
  info(event: string, fields: Record<string, unknown>): void;
  warn(event: string, fields: Record<string, unknown>): void;
  error(event: string, fields: Record<string, unknown>): void;
  /**
   * A measurement to chart, e.g. `rotation.outcome` (1, `{ gateway, status }`) or
   * `token.days_left` (days, `{ gateway }`). Dimensions are low-cardinality names, never a token.
   */
  metric?(name: string, value: number, dimensions: Record<string, string>): void;
}

export type PlanDecision = "fresh" | "expiring" | "forced" | "out-of-sync";

export interface DeploymentPlan {
  /** `<context-or-server>/<namespace>/<deployment>` */
  target: string;
  inSync: boolean;
  expiresOn?: Date;
}

export interface RotationPlan {
  gateway: string;
  decision: PlanDecision;
  reason: string;
  /** `none` for fresh; `deliver` finishes an interrupted run with Key Vault's token; `mint` makes a new one. */
  action: "none" | "deliver" | "mint";
  currentKeyType?: KeyType;
  currentExpiresOn?: Date;
  /** For `mint`: the key to sign with and the expiry to ask for. */
  nextKeyType?: KeyType;
  nextExpiresOn?: Date;
  deployments: DeploymentPlan[];
}

export type DeploymentOutcomeStatus = "rotated" | "delivered" | "rolled-back" | "failed" | "unchanged";

export interface DeploymentOutcome {
  target: string;
  status: DeploymentOutcomeStatus;
  reason?: string;
  /** For `failed` and `rolled-back`: the `.name` of the error behind it, so a caller can tell a permanent failure (`isTransient`). */
  errorName?: string;
}

/**
 * `planned`: a dry run whose plan would act (mint or deliver); nothing was changed.
 * `unrevoked`: every deployment runs the new token, but the old key was NOT regenerated although
 * revocation was asked (a pod outside the configuration reads the Secret, or regenerating failed):
 * earlier tokens still work; the reason says why and what to do.
 */
export type RotationStatus =
  "fresh" | "planned" | "rotated" | "delivered" | "unrevoked" | "rolled-back" | "failed";

export interface RotationOutcome {
  gateway: string;
  status: RotationStatus;
  plan: RotationPlan;
  reason: string;
  keyType?: KeyType;
  expiresOn?: Date;
  vaultVersion?: string;
  /** The key regenerated after success, when revocation is on. */
  revokedKeyType?: KeyType;
  /** For a run stopped as a whole (the lock was lost): the `.name` of the error behind it (`isTransient`). */
  errorName?: string;
  /**
   * True when this outcome is final for the request that carried it: the caller (the queue worker)
   * must not run it again, whatever `errorName` says. Set when the run restarted a deployment (a
   * retry could restart it again: one request restarts each deployment at most once and rolls it
   * back at most once), and for `unrevoked`. The next scheduled run, or a person, takes it from there.
   * The engine always sets it; undefined counts as false.
   */
  final?: boolean;
  /** For `unrevoked` by consumers: the pods outside the configuration that read the gateway's Secret. */
  unknownConsumers?: SecretConsumer[];
  deployments: DeploymentOutcome[];
}

export interface RotateOptions extends AbortOptions {
  force?: boolean;
  dryRun?: boolean;
  /** Overrides the gateway's revokeOldKey. */
  revokeOldKey?: boolean;
  /**
   * DANGEROUS: revoke even when pods outside the configured deployments read the gateway's Secret;
   * those pods keep a token that stops working. Default false.
   */
  allowUnknownConsumers?: boolean;
  /**
   * The caller's deadline (e.g. the queue worker's). It never aborts a rollout or a rollback in
   * progress: it stops the run before the next deployment starts (status `failed`, the rest left for
   * the next run). Before anything changed, it also ends reading, pre-flight and minting.
   */
  abortSignal?: AbortSignal;
  /**
   * Interrupts the run (the CLI's Ctrl-C): the step in flight is abandoned, a rollout wait included,
   * nothing further is written, nothing rolled back or revoked, and the lock is released. Key Vault
   * keeps the token, so the next run finishes the job. Status `failed`, `errorName` the reason's.
   */
  interruptSignal?: AbortSignal;
  onProgress?: (progress: RolloutProgress) => void;
  /** Called with the plan as soon as it is made (also on a dry run), before anything changes. */
  onPlan?: (plan: RotationPlan) => void;
}
