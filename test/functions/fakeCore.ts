/**
 * A stand-in for `@azure/functions-core`, the module the Functions Node.js worker provides to
 * `@azure/functions` at run time. Like the worker, it answers `require("@azure/functions-core")`,
 * so that `app.http`/`app.timer`/`app.storageQueue` register for real and the registered binding
 * metadata (as the host would receive it) can be inspected. Install it before the first registration.
 */
import { createRequire } from "node:module";

/** One registered function as the worker receives it. */
export interface Registration {
  name: string;
  bindings: Record<string, Record<string, unknown>>;
  callback: (...args: unknown[]) => unknown;
}

/** Registered functions, in order. */
export const registrations: Registration[] = [];

const fakeCore = {
  setProgrammingModel: () => undefined,
  getProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => undefined }),
  log: () => undefined,
  registerFunction(
    metadata: { name: string; bindings: Registration["bindings"] },
    callback: Registration["callback"],
  ) {
    registrations.push({ name: metadata.name, bindings: metadata.bindings, callback });
    return { dispose: () => undefined };
  },
};

let installed = false;

/** Makes `require("@azure/functions-core")` return the fake, as the worker does. */
export function installFakeCore(): void {
  if (installed) return;
  installed = true;
  const Module = createRequire(import.meta.url)("node:module") as {
    prototype: { require: (id: string) => unknown };
  };
  const original = Module.prototype.require;
  Module.prototype.require = function (this: unknown, id: string) {
    if (id === "@azure/functions-core") return fakeCore;
    return original.call(this, id);
  };
}
