/**
 * The real `RolloutLimiter`: `slots` Leases per cluster and namespace, `gateway-guard-rollouts.<i>`,
 * taken and renewed by the per-gateway lock's machinery (lock.ts). A slot is short and renewed while
 * held, so a crashed holder's slot frees when its Lease expires. Gateway names are DNS labels (no
 * dot), so a slot's Lease never shares a name with a gateway's lock. Same verbs as the lock: get,
 * create, update on leases.
 */
import type { DeploymentTarget } from "../config/types.js";
import { clusterLabel } from "../rotation/target.js";
import type { AcquireRolloutSlotOptions, RolloutLimiter, RolloutSlot } from "../rotation/types.js";
import { LeaseRotationLock, type LeaseRotationLockOptions, type LeaseSubject } from "./lock.js";
import { abortableDelay } from "./retry.js";

/** Rollouts at once per cluster (per namespace unless the slots' namespace is configured). */
export const defaultRolloutSlots = 2;

export interface LeaseRolloutSlotsOptions extends Pick<
  LeaseRotationLockOptions,
  "clusterFor" | "identity" | "renewIntervalInMs" | "retry" | "now"
> {
  /** Rollouts at once per scope. Default {@link defaultRolloutSlots}. */
  slots?: number;
  /**
   * The namespace of the slot Leases in each cluster. Default each deployment's own namespace: the
   * cap then holds per namespace.
   */
  namespace?: string;
  /** A slot's Lease lifetime unless renewed. Default 60000. */
  ttlInMs?: number;
  /** The first wait while every slot is taken; it doubles up to `maxWaitInMs`. Default 2000. */
  waitInMs?: number;
  /** The longest wait between two looks. Default 30000. */
  maxWaitInMs?: number;
}

/** Caps concurrent rollouts per cluster with Lease slots, across processes. */
export class LeaseRolloutSlots implements RolloutLimiter {
  readonly #lock: LeaseRotationLock;
  readonly #slots: number;
  readonly #options: LeaseRolloutSlotsOptions;

  constructor(options: LeaseRolloutSlotsOptions) {
    const { clusterFor, identity, renewIntervalInMs, retry, now } = options;
    this.#lock = new LeaseRotationLock({ clusterFor, identity, renewIntervalInMs, retry, now });
    this.#slots = options.slots ?? defaultRolloutSlots;
    this.#options = options;
  }

  /**
   * Takes the first free slot of the target's cluster and namespace; while all are taken, waits
   * with backoff (telling `onWait` each time) and looks again.
   * @throws the abort signal's reason when it fires first; a Lease call's error (e.g. a 403)
   */
  async acquire(target: DeploymentTarget, options: AcquireRolloutSlotOptions = {}): Promise<RolloutSlot> {
    const namespace = this.#options.namespace ?? target.namespace;
    const scope = `${clusterLabel(target.cluster)}/${namespace}`;
    const ttlInMs = this.#options.ttlInMs ?? 60_000;
    const maxWaitInMs = this.#options.maxWaitInMs ?? 30_000;
    let waitInMs = this.#options.waitInMs ?? 2_000;
    for (;;) {
      options.abortSignal?.throwIfAborted();
      for (let slot = 0; slot < this.#slots; slot++) {
        const subject: LeaseSubject = { name: `rollouts.${slot}`, deployments: [{ ...target, namespace }] };
        const held = await this.#lock.tryAcquire(subject, { ttlInMs, abortSignal: options.abortSignal });
        if (held) return held;
      }
      options.onWait?.({ scope, slots: this.#slots, retryInMs: waitInMs });
      await abortableDelay(waitInMs, options.abortSignal);
      waitInMs = Math.min(waitInMs * 2, maxWaitInMs);
    }
  }
}
