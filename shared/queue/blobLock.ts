/**
 * The rotation lock of a gateway whose deployments are all pulled (pull mode): the service reaches
 * none of its clusters, so the lock is a lease on the blob `locks/<gateway>` in the service's
 * storage (the book's container). A lease lasts 60 s and is renewed every 20 s while held, so a
 * crashed holder blocks the gateway for at most a minute; a failed renewal aborts `lost`.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { GatewayConfig } from "../config/types.js";
import { restErrorInfo } from "../azure/restError.js";
import type { AbortOptions, LockHandle, RotationLock } from "../rotation/types.js";
import { LockHeldError } from "../errors.js";

/** A blob lease's length: Storage allows 15 to 60 s (or infinite, which a crash would never free). */
const leaseInSeconds = 60;

export interface BlobRotationLockOptions {
  /** The container of the lock blobs (the book's, created by the template or by the factory). */
  container: () => Promise<ContainerClient>;
  /** Renew this often while held. Default 20000. */
  renewIntervalInMs?: number;
}

/** Mutual exclusion per gateway across instances, through blob leases. */
export class BlobRotationLock implements RotationLock {
  readonly #options: BlobRotationLockOptions;

  constructor(options: BlobRotationLockOptions) {
    this.#options = options;
  }

  async tryAcquire(
    gateway: GatewayConfig,
    _options: { ttlInMs: number } & AbortOptions,
  ): Promise<LockHandle | undefined> {
    const blob = (await this.#options.container()).getBlockBlobClient(`locks/${gateway.name}`);
    if (!(await blob.exists())) {
      await blob.upload("", 0, { conditions: { ifNoneMatch: "*" } }).catch(ignoreStatus(409, 412));
    }
    const leases = blob.getBlobLeaseClient();
    try {
      await leases.acquireLease(leaseInSeconds);
    } catch (error) {
      if (restErrorInfo(error).statusCode === 409) return undefined;
      throw error;
    }
    const lost = new AbortController();
    const timer = setInterval(() => {
      leases.renewLease().catch((error: unknown) => {
        clearInterval(timer);
        lost.abort(
          new LockHeldError(
            `the lock of gateway "${gateway.name}" could not be renewed: ${restErrorInfo(error).message}`,
          ),
        );
      });
    }, this.#options.renewIntervalInMs ?? 20_000);
    timer.unref();
    return {
      lost: lost.signal,
      async release() {
        clearInterval(timer);
        await leases.releaseLease();
      },
    };
  }
}

function ignoreStatus(...statuses: number[]) {
  return (error: unknown) => {
    if (!statuses.includes(restErrorInfo(error).statusCode ?? 0)) throw error;
  };
}
