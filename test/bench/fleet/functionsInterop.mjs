/**
 * Lets a plain Node.js ES module (under tsx) import named exports of `@azure/functions`, as the
 * tests do under vitest: the package is a webpack bundle in which Node cannot find `HttpRequest` or
 * `InvocationContext` statically. `import "@azure/functions"` from an ES module gets a small module
 * that re-exports the CommonJS module's properties (the same instance `require` returns).
 * Preloaded into the fleet host process: `node --import tsx --import ./functionsInterop.mjs`.
 */
import { register } from "node:module";

register("./functionsInteropHooks.mjs", import.meta.url);
