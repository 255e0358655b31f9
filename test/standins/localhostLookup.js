/**
 * Resolves `*.localhost` names to the loopback address, which glibc's resolver does not do (ENOTFOUND),
 * so that the Key Vault stand-in can be addressed as `gateway-guard.vault.localhost` and pass the SDK's
 * challenge resource verification. Every other name goes to the original `dns.lookup`. Test code only:
 * in-process clients pass it as `tlsOptions.lookup` (the SDK's https.Agent hands it to `net.connect`);
 * child processes preload localhostPreload.js, which installs it as `dns.lookup`.
 */
import dns from "node:dns";

const originalLookup = dns.lookup;

/**
 * True for `localhost` and every name under it.
 * @param {string} hostname
 * @returns {boolean}
 */
export function isLocalhostName(hostname) {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/**
 * A `dns.lookup` that answers `*.localhost` with 127.0.0.1 (or ::1 when only IPv6 is asked for).
 * @param {string} hostname
 * @param {number | import("node:dns").LookupOptions | Function} options
 * @param {Function} [callback]
 */
export function lookupLocalhost(hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  const opts = typeof options === "function" ? {} : options;
  if (!done || !isLocalhostName(hostname) || hostname.toLowerCase() === "localhost") {
    return originalLookup.call(dns, hostname, /** @type {any} */ (options), /** @type {any} */ (callback));
  }
  const family = typeof opts === "number" ? opts : (opts?.family ?? 0);
  const address =
    family === 6 || family === "IPv6" ? { address: "::1", family: 6 } : { address: "127.0.0.1", family: 4 };
  const all = typeof opts === "object" && opts !== null && opts.all === true;
  process.nextTick(() => (all ? done(null, [address]) : done(null, address.address, address.family)));
}
