/**
 * The real `RotationLock`: a coordination.k8s.io/v1 Lease `gateway-guard-<gateway>` in the first
 * deployment's namespace and cluster. Taking over an expired lease is a replace with the
 * resourceVersion read, so that of two racing takers exactly one wins (the other gets 409).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { CoordinationV1Api, V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { InputError, LockHeldError } from "../errors.js";
import type { ClusterConnection, GatewayConfig } from "../config/types.js";
import type { AbortOptions, LockHandle, LockHolder, RotationLock } from "../rotation/types.js";
import type { KubeGatewayCluster } from "./cluster.js";
import type { KubeOperation } from "./errors.js";
import { requestOptions } from "./request.js";
import { kubeCall, type KubeCallOptions, type RetryOptions } from "./retry.js";

export interface LeaseRotationLockOptions {
  /** The cluster for a connection (`clusterProvider(...)` from cluster.ts). */
  clusterFor: (connection: ClusterConnection) => Pick<KubeGatewayCluster, "api">;
  /** Who holds the lock, for people reading the Lease. Default `<hostname>-<pid>`; a random suffix is added per acquisition. */
  identity?: string;
  /** Renew the lease while held, this often. Default a third of the TTL; 0 turns renewal off. */
  renewIntervalInMs?: number;
  /** Timeouts and retries of each Lease call. Default retry.ts's, with 10000 per attempt. */
  retry?: RetryOptions;
  /** The longest `release` may take; after that the Lease is left to expire on its own. Default 10000. */
  releaseTimeoutInMs?: number;
  now?: () => Date;
}

/** What names a Lease and places it: a gateway, or anything else named as a DNS subdomain (rolloutSlots.ts). */
export type LeaseSubject = Pick<GatewayConfig, "name" | "deployments">;

const leaseResource = "leases.coordination.k8s.io";
const defaultLeaseRetry: RetryOptions = { timeoutInMs: 10_000 };

/** The Lease name for a gateway: `gateway-guard-<name>`, made a valid object name. */
export function leaseName(gateway: string): string {
  const safe = gateway
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return `gateway-guard-${safe}`.slice(0, 253).replace(/[^a-z0-9]+$/, "");
}

type CallOptions = Pick<KubeCallOptions, "abortSignal" | "onRetry">;

/** One Lease and the calls on it, each timed out and retried where safe (retry.ts). */
class LeaseClient {
  constructor(
    readonly api: CoordinationV1Api,
    readonly namespace: string,
    readonly name: string,
    private readonly retry: RetryOptions,
  ) {}

  /** The Lease, or undefined when it does not exist. */
  read(options: CallOptions = {}): Promise<V1Lease | undefined> {
    const { name, namespace } = this;
    return kubeCall(
      this.operation("get"),
      (signal) => this.api.readNamespacedLease({ name, namespace }, requestOptions(signal)),
      this.#options(options),
    ).catch((error: Error) => {
      if (error.name === "NotFoundError") return undefined;
      throw error;
    });
  }

  /** Creates the Lease; tried once (a create is not safe to repeat). */
  create(body: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const { namespace } = this;
    return kubeCall(
      this.operation("create"),
      (signal) => this.api.createNamespacedLease({ namespace, body }, requestOptions(signal)),
      { ...this.#options(options), idempotent: false },
    );
  }

  /** Replaces the Lease on the resourceVersion in `body` (safe to repeat: a stale one gets 409). */
  replace(body: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const { name, namespace } = this;
    return kubeCall(
      this.operation("update"),
      (signal) => this.api.replaceNamespacedLease({ name, namespace, body }, requestOptions(signal)),
      this.#options(options),
    );
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  operation(verb: string): KubeOperation {
    return { verb, resource: leaseResource, namespace: this.namespace, name: this.name };
  }

  #options(options: CallOptions): KubeCallOptions {
    return { ...options, retry: this.retry };
  }
}

/** Mutual exclusion per gateway with a Kubernetes Lease; expires on its own if the holder dies. */
export class LeaseRotationLock implements RotationLock {
  readonly #options: LeaseRotationLockOptions;
  readonly #identity: string;

  constructor(options: LeaseRotationLockOptions) {
    this.#options = options;
    this.#identity = options.identity ?? `${hostname()}-${process.pid}`;
  }

  /**
   * Takes the gateway's lease if it is free, released or expired.
   * @returns a handle, or undefined when someone else holds an unexpired lease.
   */
  async tryAcquire(
    gateway: LeaseSubject,
    options: { ttlInMs: number } & AbortOptions,
  ): Promise<LockHandle | undefined> {
    const lease = await this.#lease(gateway);
    const holder = `${this.#identity}-${randomUUID().slice(0, 8)}`;
    const durationSeconds = Math.max(1, Math.ceil(options.ttlInMs / 1000));
    const now = this.#now();
    const spec = {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: new V1MicroTime(now.getTime()),
      renewTime: new V1MicroTime(now.getTime()),
    };

    const existing = await lease.read(options);
    let taken: V1Lease | undefined;
    if (!existing) {
      const body: V1Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: lease.name,
          namespace: lease.namespace,
          labels: { "app.kubernetes.io/managed-by": "gateway-guard" },
        },
        spec: { ...spec, leaseTransitions: 0 },
      };
      taken = await lease.create(body, options).catch(undefinedOnConflict);
    } else {
      if (isHeld(existing, now)) return undefined;
      const body: V1Lease = {
        ...existing,
        spec: { ...existing.spec, ...spec, leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + 1 },
      };
      taken = await lease.replace(body, options).catch(async (error: Error) => {
        if (error.name !== "ConflictError") throw error;
        const current = await lease.read(options);
        return current?.spec?.holderIdentity === holder ? current : undefined;
      });
    }
    if (!taken) return undefined;
    return new LeaseHandle(lease, taken, {
      holder,
      acquiredAt: now,
      renewIntervalInMs: this.#options.renewIntervalInMs ?? Math.floor(options.ttlInMs / 3),
      releaseTimeoutInMs: this.#options.releaseTimeoutInMs ?? 10_000,
      now: () => this.#now(),
    });
  }

  /**
   * Who holds the gateway's lease now: the holder's identity, its last renewal and when the lease
   * expires unless renewed again.
   * @returns undefined when the lease is free, released or expired.
   */
  async holder(gateway: GatewayConfig, options: AbortOptions = {}): Promise<LockHolder | undefined> {
    const existing = await (await this.#lease(gateway)).read(options);
    if (!existing || !isHeld(existing, this.#now())) return undefined;
    const spec = existing.spec ?? {};
    const renewedAt = leaseTime(spec.renewTime ?? spec.acquireTime);
    return {
      identity: spec.holderIdentity ?? "",
      ...(renewedAt !== undefined
        ? {
            renewedAt: new Date(renewedAt),
            expiresAt: new Date(renewedAt + (spec.leaseDurationSeconds ?? 0) * 1000),
          }
        : {}),
    };
  }

  async #lease(gateway: LeaseSubject): Promise<LeaseClient> {
    const first = gateway.deployments.find((d) => d.cluster.type !== "pulled");
    if (!first)
      throw new InputError(
        `Gateway "${gateway.name}" has no pushed deployment to hold its rotation lock (a pulled cluster is never called)`,
      );
    const api = await this.#options.clusterFor(first.cluster).api(CoordinationV1Api);
    const retry = { ...defaultLeaseRetry, ...this.#options.retry };
    return new LeaseClient(api, first.namespace, leaseName(gateway.name), retry);
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

function undefinedOnConflict(error: Error): undefined {
  if (error.name === "ConflictError") return undefined;
  throw error;
}

/** A Lease time (MicroTime, as client-node gives it: a Date or a string) in ms, or undefined. */
function leaseTime(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const time = new Date(value as string | Date).getTime();
  return Number.isNaN(time) ? undefined : time;
}

/** True when the lease names a holder and its renewTime + duration is still ahead. */
export function isHeld(lease: V1Lease, now: Date): boolean {
  const spec = lease.spec;
  if (!spec?.holderIdentity) return false;
  const renewedAt = leaseTime(spec.renewTime ?? spec.acquireTime);
  if (renewedAt === undefined) return false;
  return renewedAt + (spec.leaseDurationSeconds ?? 0) * 1000 > now.getTime();
}

interface LeaseHandleOptions {
  /** Our `holderIdentity`. */
  holder: string;
  acquiredAt: Date;
  renewIntervalInMs: number;
  releaseTimeoutInMs: number;
  now: () => Date;
}

/**
 * A held Lease. Renews every `renewIntervalInMs`; a transient failure is retried until the lease
 * would expire. `lost` aborts when the lease is lost: renewal did not succeed before it expired,
 * another holder took it, or renewal is forbidden.
 */
class LeaseHandle implements LockHandle {
  #lease: V1Lease;
  #expiresAt: number;
  #timer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #lastFailure: Error | undefined;
  readonly #lost = new AbortController();
  /** Aborted on release or loss: cuts a renewal in flight. */
  readonly #stopped = new AbortController();
  readonly #durationInMs: number;

  constructor(
    private readonly client: LeaseClient,
    lease: V1Lease,
    private readonly options: LeaseHandleOptions,
  ) {
    this.#lease = lease;
    this.#durationInMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    this.#expiresAt = options.acquiredAt.getTime() + this.#durationInMs;
    this.#armWatchdog();
    if (options.renewIntervalInMs > 0) this.#schedule(options.renewIntervalInMs);
  }

  /** Aborts, with a LockHeldError (or PermissionDeniedError) as reason, when the lease is no longer ours. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /**
   * Clears the holder (replace on the resourceVersion held), so that the next taker need not wait.
   * Takes at most `releaseTimeoutInMs`; after that the lease is left to expire on its own.
   */
  async release(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    this.#stop();
    await this.#renewing;
    const abortSignal = AbortSignal.timeout(this.options.releaseTimeoutInMs);
    try {
      const current = await this.client.read({ abortSignal });
      if (current?.spec?.holderIdentity !== this.options.holder) return;
      const body: V1Lease = {
        ...current,
        spec: { ...current.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined },
      };
      await this.client.replace(body, { abortSignal }).catch(undefinedOnConflict);
    } catch (error) {
      if (!abortSignal.aborted) throw error;
      throw new Error(
        `Could not release Lease ${this.client.describe()} within ${this.options.releaseTimeoutInMs / 1000}s; it expires on its own at ${new Date(this.#expiresAt).toISOString()}`,
        { cause: error },
      );
    }
  }

  #stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    this.#stopped.abort();
  }

  #schedule(delayInMs: number): void {
    if (this.#stopped.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
    }, delayInMs);
    this.#timer.unref();
  }

  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(
      () => {
        const why = this.#lastFailure ? `: ${this.#lastFailure.message}` : "";
        this.#lose(
          new LockHeldError(
            `Lost the rotation lock: Lease ${this.client.describe()} expired at ${new Date(this.#expiresAt).toISOString()} without a successful renewal${why}`,
            { cause: this.#lastFailure },
          ),
        );
      },
      Math.max(0, this.#expiresAt - this.options.now().getTime()),
    );
    this.#watchdog.unref();
  }

  async #renew(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    const renewedAt = this.options.now().getTime();
    const body: V1Lease = {
      ...this.#lease,
      spec: { ...this.#lease.spec, renewTime: new V1MicroTime(renewedAt) },
    };
    try {
      this.#lease = await this.client.replace(body, {
        abortSignal: this.#stopped.signal,
        onRetry: (failure) => void (this.#lastFailure = failure),
      });
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      const failure = error as Error;
      if (failure.name === "ConflictError") return this.#recheck(failure);
      if (failure.name === "PermissionDeniedError") return this.#lose(failure);
      if (failure.name === "NotFoundError") {
        return this.#lose(
          new LockHeldError(`Lost the rotation lock: Lease ${this.client.describe()} was deleted`, {
            cause: failure,
          }),
        );
      }
      return this.#retry(failure);
    }
    if (this.#stopped.signal.aborted) return;
    this.#lastFailure = undefined;
    this.#expiresAt = renewedAt + this.#durationInMs;
    this.#armWatchdog();
    this.#schedule(this.options.renewIntervalInMs);
  }

  /** After a 409: still ours (someone touched the Lease) → renew on the new version; else lost. */
  async #recheck(conflict: Error): Promise<void> {
    let current: V1Lease | undefined;
    try {
      current = await this.client.read({ abortSignal: this.#stopped.signal });
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      return this.#retry(error as Error);
    }
    if (current && current.spec?.holderIdentity === this.options.holder) {
      this.#lease = current;
      return this.#retry(conflict);
    }
    this.#lose(
      new LockHeldError(
        `Lost the rotation lock: Lease ${this.client.describe()} is now held by ${current?.spec?.holderIdentity ?? "nobody"}`,
        { cause: conflict },
      ),
    );
  }

  /** A transient failure: try again soon, as long as the lease has not expired (the watchdog signals that). */
  #retry(failure: Error): void {
    this.#lastFailure = failure;
    const left = this.#expiresAt - this.options.now().getTime();
    if (left <= 0) return;
    this.#schedule(Math.min(Math.max(this.options.renewIntervalInMs / 4, 10), 1000, left));
  }

  #lose(reason: Error): void {
    if (this.#stopped.signal.aborted) return;
    this.#stop();
    this.#lost.abort(reason);
  }
}
