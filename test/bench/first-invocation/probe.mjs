/**
 * One first invocation in a fresh process, as the Functions worker makes it: provide
 * `@azure/functions-core` (a minimal fake that records registrations), `require` every entry file
 * of the app (the worker loads them all at start), then call one registered handler once with the
 * trigger's input and a context. Prints `{"ok":true,"status":…,"cpuInMs":…}` (or the error) and
 * exits at once; the parent times the process.
 * Usage: node probe.mjs <JSON: {files, name, trigger: {payload} or {http: {method, url, params, headers, body}}}>
 */
/* global Buffer, Headers */
import Module, { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const registered = new Map();
const core = {
  setProgrammingModel() {},
  getProgrammingModel() {},
  registerHook: () => ({ dispose() {} }),
  log() {},
  registerFunction(metadata, callback) {
    registered.set(metadata.name, callback);
    return { dispose() {} };
  },
};
const original = Module.prototype.require;
Module.prototype.require = function (id) {
  return id === "@azure/functions-core" ? core : original.call(this, id);
};

const { files, name, trigger } = JSON.parse(process.argv[2]);
for (const file of files) require(file);
const handler = registered.get(name);
if (!handler) throw new Error(`no function ${name} was registered`);

const logged = [];
const log =
  (level) =>
  (...args) =>
    logged.push(`${level} ${args.join(" ")}`);
const context = {
  functionName: name,
  invocationId: "first-invocation",
  triggerMetadata: { dequeueCount: 1, id: "first-invocation" },
  log: log("information"),
  trace: log("trace"),
  debug: log("debug"),
  info: log("information"),
  warn: log("warning"),
  error: log("error"),
};

function httpRequest({ method, url, params = {}, headers = {}, body = "" }) {
  const bytes = Buffer.from(body, "utf8");
  return {
    method,
    url,
    params,
    query: new URL(url).searchParams,
    headers: new Headers({ "content-length": String(bytes.length), ...headers }),
    text: async () => body,
    arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  };
}

const input = trigger.http ? httpRequest(trigger.http) : trigger.payload;
Promise.resolve(handler(input, context)).then(
  (result) => {
    const failed = logged.filter((line) => line.startsWith("error "));
    const { user, system } = process.cpuUsage();
    const cpuInMs = (user + system) / 1000;
    process.stdout.write(
      JSON.stringify({ ok: failed.length === 0, status: result?.status, failed, cpuInMs }),
    );
    process.exit(0);
  },
  (error) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
    process.exit(1);
  },
);
