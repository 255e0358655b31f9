/**
 * The app as the Functions host loads it: the entry files package.json's `main` matches, built by
 * esbuild.config.mjs (rebuilt here from the sources, so the test never sees a stale build).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstInvocations } from "../bench/first-invocation/cases.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { installFakeCore, registrations } from "./fakeCore.js";
import { isESModule, mainEntryFiles } from "./entryFiles.js";

const root = join(import.meta.dirname, "..", "..");
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
let entryFiles: string[] = [];
const modules: Record<string, Record<string, unknown>> = {};

beforeAll(() => {
  execFileSync(process.execPath, ["esbuild.config.mjs"], { cwd: root, stdio: "pipe" });
  entryFiles = mainEntryFiles();
  installFakeCore();
  process.env.ROTATION_SCHEDULE = "0 30 2 * * *";
  const require = createRequire(import.meta.url);
  for (const file of entryFiles) modules[basename(file)] = require(file) as Record<string, unknown>;
  delete process.env.ROTATION_SCHEDULE;
}, 60_000);

function triggerOf(name: string) {
  const registration = registrations.find((r) => r.name === name);
  if (!registration) throw new Error(`${name} is not registered`);
  return Object.values(registration.bindings).find((binding) => binding.direction === "in")!;
}

describe("app registration", () => {
  it("registers exactly these functions, each from its own file, with its exported handler", () => {
    expect(registrations.map((r) => r.name).sort()).toEqual(
      [
        "driftCheck",
        "health",
        "rotationPoison",
        "rotationSchedule",
        "rotationWebhook",
        "rotationWorker",
      ].sort(),
    );
    expect(entryFiles.map((file) => basename(file)).sort()).toEqual(
      registrations.map((r) => `${r.name}.cjs`).sort(),
    );
    expect(entryFiles.filter(isESModule)).toEqual([]);
    for (const registration of registrations) {
      expect(modules[`${registration.name}.cjs`]![registration.name]).toBe(registration.callback);
    }
  });

  it.each([
    [
      "rotationWebhook",
      { type: "httpTrigger", route: "rotations", methods: ["POST", "OPTIONS"], authLevel: "function" },
    ],
    [
      "driftCheck",
      { type: "httpTrigger", route: "drift/{gateway?}", methods: ["GET", "POST"], authLevel: "function" },
    ],
    ["health", { type: "httpTrigger", route: "health", methods: ["GET"], authLevel: "anonymous" }],
    ["rotationSchedule", { type: "timerTrigger", schedule: "0 30 2 * * *", runOnStartup: false }],
    [
      "rotationWorker",
      { type: "queueTrigger", queueName: "gateway-rotations", connection: "AzureWebJobsStorage" },
    ],
    [
      "rotationPoison",
      { type: "queueTrigger", queueName: "gateway-rotations-poison", connection: "AzureWebJobsStorage" },
    ],
  ])("%s has the right trigger", (name, expected) => {
    expect(triggerOf(name)).toMatchObject(expected);
  });

  it("answers a first invocation from the bundled core, which finds the package's version", async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) => lines.push(args.join(" "));
    const context = {
      invocationId: "registration",
      error: log,
      warn: log,
      info: log,
      log,
      debug: log,
      trace: log,
    };
    const health = modules["health.cjs"]!.health as (request: unknown, context: unknown) => Promise<unknown>;
    expect(await health({}, context)).toMatchObject({ jsonBody: { version } });
  });

  it("gives every HTTP function an HTTP output", () => {
    for (const name of ["rotationWebhook", "driftCheck", "health"]) {
      const registration = registrations.find((r) => r.name === name)!;
      expect(Object.values(registration.bindings)).toContainEqual(
        expect.objectContaining({ type: "http", direction: "out" }),
      );
    }
  });

  it("registers with require() alone: no ES module, no SDK, nothing but the entry files and @azure/functions", () => {
    const hooks = `
      import { writeSync } from "node:fs";
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        writeSync(2, "RESOLVED " + result.url + "\\n");
        return result;
      }`;
    const script = `
      import { register, createRequire } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
      process.stderr.write("REGISTERING\\n");
      const require = createRequire(import.meta.url);
      for (const file of ${JSON.stringify(entryFiles)}) require(file);
      for (const id of Object.keys(require.cache)) process.stderr.write("REQUIRED " + id + "\\n");
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ROTATION_SCHEDULE: "" },
    });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stderr.split("\n");
    const registering = lines.slice(lines.indexOf("REGISTERING"));
    expect(registering.filter((line) => line.startsWith("RESOLVED "))).toEqual([]);
    const required = registering.filter((line) => line.startsWith("REQUIRED "));
    expect(required.some((line) => line.endsWith("/functions/rotationWorker.cjs"))).toBe(true);
    expect(required.some((line) => line.includes("@azure/functions/dist/azure-functions.js"))).toBe(true);
    const heavy = required.filter((line) =>
      /node_modules\/(@azure\/(storage-queue|identity|arm-apimanagement|keyvault-secrets|core-[a-z-]+)|@kubernetes|zod|yaml)\//.test(
        line,
      ),
    );
    expect(heavy).toEqual([]);
    const ours = required
      .map((line) => line.slice("REQUIRED ".length))
      .filter((file) => file.startsWith(root) && !file.includes("/node_modules/"));
    expect(ours.sort()).toEqual([...entryFiles].sort());
  });

  it("points package.json main at the CommonJS builds, which the worker loads with require()", () => {
    const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main: string };
    expect(packageJson.main).toBe("dist/app/functions/*.cjs");
  });

  it("logs config.invalid naming ROTATION_SCHEDULE and leaves the timer out when it is malformed; the rest registers", () => {
    const script = `
      const Module = require("node:module");
      const original = Module.prototype.require;
      const registered = [];
      const core = {
        setProgrammingModel() {}, getProgrammingModel() {}, log() {},
        registerHook: () => ({ dispose() {} }),
        registerFunction: (metadata) => (registered.push(metadata.name), { dispose() {} }),
      };
      Module.prototype.require = function (id) {
        return id === "@azure/functions-core" ? core : original.call(this, id);
      };
      for (const file of ${JSON.stringify(entryFiles)}) require(file);
      process.stdout.write(JSON.stringify(registered.sort()));
    `;
    const child = spawnSync(process.execPath, ["-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ROTATION_SCHEDULE: "0 3 * * *" },
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual([
      "driftCheck",
      "health",
      "rotationPoison",
      "rotationWebhook",
      "rotationWorker",
    ]);
    const line = child.stderr.split("\n").find((l) => l.startsWith("config.invalid "));
    expect(JSON.parse(line!.slice("config.invalid ".length))).toEqual({
      setting: "ROTATION_SCHEDULE",
      at: "registration",
      error: expect.stringContaining(
        'app setting ROTATION_SCHEDULE: expected an NCRONTAB expression with 6 fields ("{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 0 3 * * *"), got "0 3 * * *"',
      ),
    });
  });
});

describe("the built app's first invocations", () => {
  let fleet: Fleet;
  const probe = join(root, "test", "bench", "first-invocation", "probe.mjs");
  const manifest = readFileSync(
    join(root, "shared", "drift", "examples", "portal-generated-v2.yaml"),
    "utf8",
  );

  beforeAll(async () => {
    fleet = await startFleet({ azurite: true, identity: true });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it.each(firstInvocations(manifest).map((test) => [test.name, test] as const))(
    "%s handles its first trigger against the stand-ins, with the SDKs inside the bundle",
    async (_name, test) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [probe, JSON.stringify({ files: entryFiles, name: test.name, trigger: test.trigger })],
        {
          cwd: root,
          env: {
            ...process.env,
            ...fleet.env,
            GATEWAY_GUARD_CONFIG_FILE: fleet.configPath,
            AzureWebJobsStorage: fleet.azurite!.connectionString,
          },
        },
      );
      const result = JSON.parse(stdout) as { ok: boolean; status?: number; failed: string[] };
      expect(result.failed).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.status ?? 200).toBeLessThan(400);
    },
    30_000,
  );
});
