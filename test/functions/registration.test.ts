import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { installFakeCore, registrations } from "./fakeCore.js";

const root = join(import.meta.dirname, "..", "..");
const functionFiles = readdirSync(join(root, "functions")).filter((name) => name.endsWith(".cts"));
const modules: Record<string, Record<string, unknown>> = {};

beforeAll(async () => {
  installFakeCore();
  process.env.ROTATION_SCHEDULE = "0 30 2 * * *";
  for (const file of functionFiles) {
    modules[file] = (await import(join(root, "functions", file))) as Record<string, unknown>;
  }
  delete process.env.ROTATION_SCHEDULE;
});

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
    expect(functionFiles.sort()).toEqual(registrations.map((r) => `${r.name}.cts`).sort());
    for (const registration of registrations) {
      expect(modules[`${registration.name}.cts`]![registration.name]).toBe(registration.callback);
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

  it("gives every HTTP function an HTTP output", () => {
    for (const name of ["rotationWebhook", "driftCheck", "health"]) {
      const registration = registrations.find((r) => r.name === name)!;
      expect(Object.values(registration.bindings)).toContainEqual(
        expect.objectContaining({ type: "http", direction: "out" }),
      );
    }
  });

  it("registers with require() alone: no ES module, no SDK, only the CommonJS trigger settings", () => {
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
      for (const file of ${JSON.stringify(functionFiles)}) require("./functions/" + file);
      for (const id of Object.keys(require.cache)) process.stderr.write("REQUIRED " + id + "\\n");
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ROTATION_SCHEDULE: "" },
    });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stderr.split("\n");
    const registering = lines.slice(lines.indexOf("REGISTERING"));
    expect(registering.filter((line) => line.startsWith("RESOLVED "))).toEqual([]);
    const required = registering.filter((line) => line.startsWith("REQUIRED "));
    expect(required.some((line) => line.endsWith("/functions/rotationWorker.cts"))).toBe(true);
    expect(required.some((line) => line.includes("@azure/functions/dist/azure-functions.js"))).toBe(true);
    const heavy = required.filter((line) =>
      /node_modules\/(@azure\/(storage-queue|identity|arm-apimanagement|keyvault-secrets|core-[a-z-]+)|@kubernetes|zod|yaml)\//.test(
        line,
      ),
    );
    expect(heavy).toEqual([]);
    const ours = required
      .filter((line) => line.includes(`${root}/shared/`))
      .map((line) => line.slice(line.indexOf("/shared/")));
    expect([...new Set(ours)]).toEqual(["/shared/config/triggers.cts"]);
  });

  it("points package.json main at the CommonJS builds, which the worker loads with require()", () => {
    const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { main: string };
    expect(packageJson.main).toBe("dist/functions/*.cjs");
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
      for (const file of ${JSON.stringify(functionFiles)}) require("./functions/" + file);
      process.stdout.write(JSON.stringify(registered.sort()));
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
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
