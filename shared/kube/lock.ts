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
import type { AbortOptions, LockHandle, RotationLock } from "../rotation/types.js";
import type { KubeGatewayCluster } from "./cluster.js";
import { kubeStatusCode, toKubeError } from "./errors.js";
import { requestOptions } from "./request.js";

export interface LeaseRotationLockOptions {
  /** The cluster for a connection (`clusterProvider(...)` from cluster.ts). */
  clusterFor: (connection: ClusterConnection) => Pick<KubeGatewayCluster, "api">;
  /** Who holds the lock, for people reading the Lease. Default `<hostname>-<pid>`; a random suffix is added per acquisition. */
  identity?: string;
  /** Renew the lease while held, this often. Default a third of the TTL; 0 turns renewal off. */
  renewIntervalInMs?: number;
  now?: () => Date;
}

/** The Lease name for a gateway: `gateway-guard-<name>`, made a valid object name. */
export function leaseName(gateway: string): string {
  const safe = gateway
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return `gateway-guard-${safe}`.slice(0, 253).replace(/[^a-z0-9]+$/, "");
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
    gateway: GatewayConfig,
    options: { ttlInMs: number } & AbortOptions,
  ): Promise<LockHandle | undefined> {
    const first = gateway.deployments[0];
    if (!first)
      throw new InputError(`Gateway "${gateway.name}" has no deployments to hold its rotation lock`);
    const api = await this.#options.clusterFor(first.cluster).api(CoordinationV1Api);
    const namespace = first.namespace;
    const name = leaseName(gateway.name);
    const holder = `${this.#identity}-${randomUUID().slice(0, 8)}`;
    const durationSeconds = Math.max(1, Math.ceil(options.ttlInMs / 1000));
    const now = this.#now();
    const reqOptions = requestOptions(options.abortSignal);
    const spec = {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: new V1MicroTime(now.getTime()),
      renewTime: new V1MicroTime(now.getTime()),
    };

    let existing: V1Lease | undefined;
    try {
      existing = await api.readNamespacedLease({ name, namespace }, reqOptions);
    } catch (error) {
      if (kubeStatusCode(error) !== 404)
        throw toKubeError(error, { verb: "get", resource: "leases.coordination.k8s.io", namespace, name });
    }

    let lease: V1Lease;
    if (!existing) {
      const body: V1Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "gateway-guard" } },
        spec: { ...spec, leaseTransitions: 0 },
      };
      try {
        lease = await api.createNamespacedLease({ namespace, body }, reqOptions);
      } catch (error) {
        if (kubeStatusCode(error) === 409) return undefined;
        throw toKubeError(error, { verb: "create", resource: "leases.coordination.k8s.io", namespace, name });
      }
    } else {
      if (isHeld(existing, now)) return undefined;
      const body: V1Lease = {
        ...existing,
        spec: { ...existing.spec, ...spec, leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + 1 },
      };
      try {
        lease = await api.replaceNamespacedLease({ name, namespace, body }, reqOptions);
      } catch (error) {
        if (kubeStatusCode(error) === 409) return undefined;
        throw toKubeError(error, { verb: "update", resource: "leases.coordination.k8s.io", namespace, name });
      }
    }
    return new LeaseHandle(
      api,
      lease,
      holder,
      now,
      this.#options.renewIntervalInMs ?? Math.floor(options.ttlInMs / 3),
      () => this.#now(),
    );
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** True when the lease names a holder and its renewTime + duration is still ahead. */
export function isHeld(lease: V1Lease, now: Date): boolean {
  const spec = lease.spec;
  if (!spec?.holderIdentity) return false;
  const renewed = spec.renewTime ?? spec.acquireTime;
  if (!renewed) return false;
  const renewedAt = new Date(renewed as unknown as string | Date).getTime();
  if (Number.isNaN(renewedAt)) return false;
  return renewedAt + (spec.leaseDurationSeconds ?? 0) * 1000 > now.getTime();
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
  #released = false;
  #renewing: Promise<void> | undefined;
  #lastFailure: Error | undefined;
  readonly #lost = new AbortController();
  readonly #durationInMs: number;

  constructor(
    private readonly api: CoordinationV1Api,
    lease: V1Lease,
    private readonly holder: string,
    acquiredAt: Date,
    private readonly renewIntervalInMs: number,
    private readonly now: () => Date,
  ) {
    this.#lease = lease;
    this.#durationInMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    this.#expiresAt = acquiredAt.getTime() + this.#durationInMs;
    this.#armWatchdog();
    if (renewIntervalInMs > 0) this.#schedule(renewIntervalInMs);
  }

  /** Aborts, with a LockHeldError (or PermissionDeniedError) as reason, when the lease is no longer ours. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Clears the holder (replace on the resourceVersion held), so that the next taker need not wait. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    await this.#renewing;
    const { name = "", namespace = "" } = this.#lease.metadata ?? {};
    let current: V1Lease;
    try {
      current = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (kubeStatusCode(error) === 404) return;
      throw toKubeError(error, { verb: "get", resource: "leases.coordination.k8s.io", namespace, name });
    }
    if (current.spec?.holderIdentity !== this.holder) return;
    const body: V1Lease = {
      ...current,
      spec: { ...current.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined },
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body });
    } catch (error) {
      if (kubeStatusCode(error) === 409) return;
      throw toKubeError(error, { verb: "update", resource: "leases.coordination.k8s.io", namespace, name });
    }
  }

  #schedule(delayInMs: number): void {
    if (this.#released || this.#lost.signal.aborted) return;
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
            `Lost the rotation lock: Lease ${this.#describe()} expired at ${new Date(this.#expiresAt).toISOString()} without a successful renewal${why}`,
            { cause: this.#lastFailure },
          ),
        );
      },
      Math.max(0, this.#expiresAt - this.now().getTime()),
    );
    this.#watchdog.unref();
  }

  async #renew(): Promise<void> {
    if (this.#released || this.#lost.signal.aborted) return;
    const { name = "", namespace = "" } = this.#lease.metadata ?? {};
    const renewedAt = this.now().getTime();
    const body: V1Lease = {
      ...this.#lease,
      spec: { ...this.#lease.spec, renewTime: new V1MicroTime(renewedAt) },
    };
    const operation = { verb: "update", resource: "leases.coordination.k8s.io", namespace, name };
    try {
      this.#lease = await this.api.replaceNamespacedLease({ name, namespace, body });
    } catch (error) {
      if (this.#released) return;
      const failure = toKubeError(error, operation);
      if (kubeStatusCode(error) === 409) return this.#recheck(failure);
      if (failure.name === "PermissionDeniedError") return this.#lose(failure);
      if (kubeStatusCode(error) === 404) {
        return this.#lose(
          new LockHeldError(`Lost the rotation lock: Lease ${this.#describe()} was deleted`, {
            cause: failure,
          }),
        );
      }
      return this.#retry(failure);
    }
    if (this.#released || this.#lost.signal.aborted) return;
    this.#lastFailure = undefined;
    this.#expiresAt = renewedAt + this.#durationInMs;
    this.#armWatchdog();
    this.#schedule(this.renewIntervalInMs);
  }

  /** After a 409: still ours (someone touched the Lease) → renew on the new version; else lost. */
  async #recheck(conflict: Error): Promise<void> {
    const { name = "", namespace = "" } = this.#lease.metadata ?? {};
    let current: V1Lease;
    try {
      current = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      return this.#retry(
        toKubeError(error, { verb: "get", resource: "leases.coordination.k8s.io", namespace, name }),
      );
    }
    if (current.spec?.holderIdentity === this.holder) {
      this.#lease = current;
      return this.#retry(conflict);
    }
    this.#lose(
      new LockHeldError(
        `Lost the rotation lock: Lease ${this.#describe()} is now held by ${current.spec?.holderIdentity ?? "nobody"}`,
        { cause: conflict },
      ),
    );
  }

  /** A transient failure: try again soon, as long as the lease has not expired (the watchdog signals that). */
  #retry(failure: Error): void {
    this.#lastFailure = failure;
    const left = this.#expiresAt - this.now().getTime();
    if (left <= 0) return;
    this.#schedule(Math.min(Math.max(this.renewIntervalInMs / 4, 10), 1000, left));
  }

  #lose(reason: Error): void {
    if (this.#released || this.#lost.signal.aborted) return;
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    this.#lost.abort(reason);
  }

  #describe(): string {
    const { name = "", namespace = "" } = this.#lease.metadata ?? {};
    return `${namespace}/${name}`;
  }
}
