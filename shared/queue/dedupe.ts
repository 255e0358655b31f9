/**
 * Remembers recently enqueued event ids, so that an event delivered twice (Event Grid and
 * CloudEvents deliver at least once) is enqueued once.
 *
 * Scope, by choice: one Functions instance. The app has no shared store besides the queue, and a
 * duplicate that slips through on another instance is harmless: the worker's rotation plan finds
 * the gateway fresh after the first rotation and does nothing (events never force). The message's
 * request id is derived from the event id, so both copies correlate in the logs.
 */
import { createHash } from "node:crypto";

export interface RecentKeysOptions {
  /** Entries kept at most (oldest dropped first). Default 10,000. */
  maxEntries?: number;
  /** How long a key is remembered. Default 24 hours (Event Grid retries for at most 24 hours). */
  ttlInMs?: number;
  now?: () => number;
}

/**
 * A small LRU set with expiry. Keys are kept as SHA-256 digests, so memory is bounded by
 * `maxEntries` whatever the length of the ids callers pass.
 */
export class RecentKeys {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlInMs: number;
  readonly #now: () => number;

  constructor(options: RecentKeysOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlInMs = options.ttlInMs ?? 24 * 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** True when the key was remembered and has not expired. */
  has(key: string): boolean {
    const digest = digestOf(key);
    const at = this.#seen.get(digest);
    if (at === undefined) return false;
    if (this.#now() - at > this.#ttlInMs) {
      this.#seen.delete(digest);
      return false;
    }
    return true;
  }

  /** Remembers the key (refreshing its age). */
  add(key: string): void {
    const digest = digestOf(key);
    this.#seen.delete(digest);
    this.#seen.set(digest, this.#now());
    while (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next().value;
      if (oldest === undefined) break;
      this.#seen.delete(oldest);
    }
  }

  /** Forgets the key. */
  delete(key: string): void {
    this.#seen.delete(digestOf(key));
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** A fixed-size stand-in for a key of any length: 43 characters of base64url SHA-256. */
function digestOf(key: string): string {
  return createHash("sha256").update(key).digest("base64url");
}

/**
 * The request id for a gateway asked for by an event: the same event and gateway always give the
 * same id.
 * @param eventId - the event's id.
 * @param gateway - the gateway's configured name.
 * @returns `evt-` and 32 hex digits.
 */
export function requestIdForEvent(eventId: string, gateway: string): string {
  return `evt-${createHash("sha256").update(`${eventId}\n${gateway}`).digest("hex").slice(0, 32)}`;
}
