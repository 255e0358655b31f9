import type { LookupFunction } from "node:net";

/** True for `localhost` and every name under it. */
export function isLocalhostName(hostname: string): boolean;

/** A `dns.lookup` that answers `*.localhost` with the loopback address; other names as `dns.lookup` does. */
export const lookupLocalhost: LookupFunction;
