/**
 * The real `RolloutLimiter`: `slots` Leases per cluster and namespace, `gateway-guard-rollouts.<i>`,
 * taken and renewed by the per-gateway lock's machinery (lock.ts). A slot is short and renewed while
 * held, so a crashed holder's slot frees when its Lease expires. Gateway names are DNS labels (no
 * dot), so a slot's Lease never shares a name with a gateway's lock. Same verbs as the lock: get,
 * create, update on leases.
 *
 * Slots free every few seconds in a busy fleet, so a waiter looks again soon (a short wait growing
 * slowly to a few seconds, with jitter), and each look starts at a random slot, so that waiters do
 * not all read and race for the same Lease.
 *
 * Within one process (a Functions instance runs many messages at once), a released slot goes
 * straight to the longest-waiting message of the same scope, still holding its Lease: no slot sits
 * idle until a waiter looks again, and the hand-over costs no call. After `maxHandOvers` in a row
 * the Lease is released instead, so that other instances get their turn. A look skips the slots
 * this process holds, so waiters of an instance holding every slot make no call.
 */
import type { DeploymentTarget } from "../config/types.js";
import { clusterLabel } from "../rotation/target.js";
import type {
  AcquireRolloutSlotOptions,
  LockHandle,
  RolloutLimiter,
  RolloutSlot,
} from "../rotation/types.js";
import { LeaseRotationLock, type LeaseRotationLockOptions, type LeaseSubject } from "./lock.js";

/** Rollouts at once per cluster (per namespace unless the slots' namespace is configured). */
export const defaultRolloutSlots = 4;

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
  /**
   * The first wait while every slot is taken; it grows by half with each look, up to `maxWaitInMs`,
   * and each wait is drawn within 25% either side of it. Default 750.
   */
  waitInMs?: number;
  /** The longest wait between two looks, before jitter. Default 5000. */
  maxWaitInMs?: number;
  /**
   * How many times in a row a released slot may go to another waiter of this process without
   * releasing its Lease. Default 8; 0 releases every slot to the cluster.
   */
  maxHandOvers?: number;
  /** Source in [0, 1) of the first slot tried and of the jitter. Default `Math.random`. */
  random?: () => number;
}

/** A slot's Lease as this process holds it, which slot it is, and how often it has been handed over in a row. */
interface HeldSlot {
  handle: LockHandle;
  slot: number;
  handOvers: number;
}

/** A waiter of this process, parked between two looks: when it first asked, and how to hand it a slot. */
interface Parked {
  arrival: number;
  take: (held: HeldSlot) => void;
}

/** Caps concurrent rollouts per cluster with Lease slots, across processes. */
export class LeaseRolloutSlots implements RolloutLimiter {
  readonly #lock: LeaseRotationLock;
  readonly #slots: number;
  readonly #options: LeaseRolloutSlotsOptions;
  /** This process's waiters per scope, longest-waiting (lowest arrival) first. */
  readonly #parked = new Map<string, Parked[]>();
  #arrivals = 0;
  /** The slots whose Lease this process holds, per scope: a look skips them (no call). */
  readonly #heldHere = new Map<string, Set<number>>();

  constructor(options: LeaseRolloutSlotsOptions) {
    const { clusterFor, identity, renewIntervalInMs, retry, now } = options;
    this.#lock = new LeaseRotationLock({ clusterFor, identity, renewIntervalInMs, retry, now });
    this.#slots = options.slots ?? defaultRolloutSlots;
    this.#options = options;
  }

  /**
   * Takes a free slot of the target's cluster and namespace, trying them from a random one; while
   * all are taken, waits with jittered backoff (telling `onWait` each time) and looks again, unless a
   * slot released in this process is handed over first.
   * @throws the abort signal's reason when it fires first; a Lease call's error (e.g. a 403)
   */
  async acquire(target: DeploymentTarget, options: AcquireRolloutSlotOptions = {}): Promise<RolloutSlot> {
    const namespace = this.#options.namespace ?? target.namespace;
    const scope = `${clusterLabel(target.cluster)}/${namespace}`;
    const ttlInMs = this.#options.ttlInMs ?? 60_000;
    const maxWaitInMs = this.#options.maxWaitInMs ?? 5_000;
    const random = this.#options.random ?? Math.random;
    let waitInMs = this.#options.waitInMs ?? 750;
    const arrival = this.#arrivals++;
    for (;;) {
      options.abortSignal?.throwIfAborted();
      const first = Math.floor(random() * this.#slots);
      for (let i = 0; i < this.#slots; i++) {
        const slot = (first + i) % this.#slots;
        if (this.#heldHere.get(scope)?.has(slot)) continue;
        const subject: LeaseSubject = { name: `rollouts.${slot}`, deployments: [{ ...target, namespace }] };
        const handle = await this.#lock.tryAcquire(subject, { ttlInMs, abortSignal: options.abortSignal });
        if (!handle) continue;
        const heldHere = this.#heldHere.get(scope) ?? new Set();
        this.#heldHere.set(scope, heldHere.add(slot));
        return this.#slot(scope, { handle, slot, handOvers: 0 });
      }
      const retryInMs = Math.round(waitInMs * (0.75 + 0.5 * random()));
      options.onWait?.({ scope, slots: this.#slots, retryInMs });
      const handed = await this.#park(scope, arrival, retryInMs, options.abortSignal);
      if (handed) return this.#slot(scope, handed);
      waitInMs = Math.min(waitInMs * 1.5, maxWaitInMs);
    }
  }

  /** The slot as the caller holds it: its release hands the Lease over to a parked waiter, if any. */
  #slot(scope: string, held: HeldSlot): RolloutSlot {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        const next =
          held.handOvers < (this.#options.maxHandOvers ?? 8) && !held.handle.lost?.aborted
            ? this.#parked.get(scope)?.[0]
            : undefined;
        if (next) return next.take({ ...held, handOvers: held.handOvers + 1 });
        const heldHere = this.#heldHere.get(scope);
        heldHere?.delete(held.slot);
        if (heldHere?.size === 0) this.#heldHere.delete(scope);
        await held.handle.release();
      },
    };
  }

  /**
   * Waits `waitInMs` for a slot handed over in this process, in the queue at the place its first
   * arrival gives it (a waiter that looked again keeps its place).
   * @returns the slot, or undefined when the wait passed without one
   * @throws the abort signal's reason when it fires first
   */
  #park(
    scope: string,
    arrival: number,
    waitInMs: number,
    abortSignal?: AbortSignal,
  ): Promise<HeldSlot | undefined> {
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(abortSignal.reason);
      const queue = this.#parked.get(scope) ?? [];
      this.#parked.set(scope, queue);
      const leave = () => {
        clearTimeout(timer);
        abortSignal?.removeEventListener("abort", onAbort);
        const at = queue.indexOf(parked);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0) this.#parked.delete(scope);
      };
      const parked: Parked = {
        arrival,
        take: (held) => {
          leave();
          resolve(held);
        },
      };
      const onAbort = () => {
        leave();
        reject(abortSignal!.reason);
      };
      const timer = setTimeout(() => {
        leave();
        resolve(undefined);
      }, waitInMs);
      abortSignal?.addEventListener("abort", onAbort, { once: true });
      const after = queue.findIndex((other) => other.arrival > arrival);
      queue.splice(after < 0 ? queue.length : after, 0, parked);
    });
  }
}
