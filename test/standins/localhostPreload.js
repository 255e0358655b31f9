/**
 * Preloaded into child processes that talk to the stand-ins (`node --import <this file>`, through
 * NODE_OPTIONS in the fleet's env): makes `dns.lookup`, which `net.connect` uses, resolve `*.localhost`
 * to the loopback address. Test code only; see localhostLookup.js.
 */
import dns from "node:dns";
import { lookupLocalhost } from "./localhostLookup.js";

dns.lookup = /** @type {typeof dns.lookup} */ (lookupLocalhost);
