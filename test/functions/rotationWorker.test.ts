import { afterEach, describe, expect, it, vi } from "vitest";
import { rotationWorker } from "../../functions/rotationWorker.cjs";
import { rotationPoison } from "../../functions/rotationPoison.cjs";
import { useAppServices, type AppServices } from "../../shared/app/services.js";
import { LockHeldError, PermissionDeniedError } from "../../shared/errors.js";
import type { GatewayConfig } from "../../shared/config/types.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationOutcome } from "../../shared/rotation/types.js";
import { fakeWorld, gatewayConfig } from "../rotation/fakes.js";
import { finalEventNames } from "../../shared/app/events.js";
import { maxDequeueCount } from "../../shared/app/worker.js";
import { captureContext, testServices, type CapturedLog } from "./helpers.js";

/** The final events a delivery logged, in order. */
function finalEvents(log: CapturedLog): string[] {
  return log.lines
    .map((line) => line.text.slice(0, line.text.indexOf(" ")))
    .filter((event) => (finalEventNames as readonly string[]).includes(event));
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());

const message = { v: 1, gateway: "contoso-eu", reason: "webhook", force: true, requestId: "req-1" };

function outcome(gateway: GatewayConfig, status: RotationOutcome["status"] = "rotated"): RotationOutcome {
  return {
    gateway: gateway.name,
    status,
    final: status === "rolled-back",
    reason: status === "rotated" ? "forced" : "rollout stalled; previous token restored",
    keyType: "secondary",
    expiresOn: new Date("2026-12-25T00:00:00Z"),
    plan: { gateway: gateway.name, decision: "forced", reason: "forced", action: "mint", deployments: [] },
    deployments: [
      { target: "ctx/gateways/contoso-eu", status: status === "rotated" ? "rotated" : "rolled-back" },
    ],
  };
}

async function setUp(rotate: AppServices["rotate"]) {
  const calls: Array<{ gateway: string; force?: boolean }> = [];
  const { services } = await testServices({
    rotate: async (gateway, options) => {
      calls.push({ gateway: gateway.name, force: options.force });
      return rotate(gateway, options);
    },
  });
  restore = useAppServices(services);
  return { services, calls };
}

async function deliver(raw: unknown, dequeueCount = 1) {
  const { context, log } = captureContext("rotationWorker", { dequeueCount, id: "msg-1" });
  const result = await rotationWorker(raw, context).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  return { error: result, log };
}

describe("rotationWorker", () => {
  it("rotates the gateway the message names, with its force flag, and ends it with one rotation.completed", async () => {
    const { calls } = await setUp(async (gateway) => outcome(gateway));
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(calls).toEqual([{ gateway: "contoso-eu", force: true }]);
    expect(log.events("rotation.completed")).toEqual([
      expect.objectContaining({
        gateway: "contoso-eu",
        requestId: "req-1",
        dequeueCount: 1,
        status: "rotated",
        keyType: "secondary",
      }),
    ]);
    expect(finalEvents(log)).toEqual(["rotation.completed"]);
  });

  it("logs the final event itself: one the engine logs is left out", async () => {
    await setUp(async (gateway, options) => {
      options.log?.info("rotation.completed", { from: "engine" });
      options.log?.info("rotation.planned", { from: "engine" });
      return outcome(gateway);
    });
    const { log } = await deliver(message);
    expect(finalEvents(log)).toEqual(["rotation.completed"]);
    expect(log.events("rotation.completed")[0]).not.toHaveProperty("from");
    expect(log.events("rotation.planned")).toEqual([
      { gateway: "contoso-eu", requestId: "req-1", from: "engine" },
    ]);
  });

  it("accepts the message as JSON text too (host without JSON detection)", async () => {
    const { calls } = await setUp(async (gateway) => outcome(gateway));
    expect((await deliver(JSON.stringify(message))).error).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it("skips a request this instance already finished (duplicate delivery)", async () => {
    const { calls } = await setUp(async (gateway) => outcome(gateway));
    await deliver(message);
    const { log } = await deliver(message);
    expect(calls).toHaveLength(1);
    expect(log.events("rotation.skipped")).toHaveLength(1);
  });

  it.each([
    ["a malformed message", { v: 1, gateway: "contoso-eu" }, /rotation message: expected/],
    [
      "an unknown gateway",
      { ...message, gateway: "contoso-asia" },
      /gateway "contoso-asia" is not configured/,
    ],
  ])("completes %s without retrying, logged as rotation.rejected", async (_what, raw, pattern) => {
    const { calls } = await setUp(async (gateway) => outcome(gateway));
    const { error, log } = await deliver(raw);
    expect(error).toBeUndefined();
    expect(calls).toEqual([]);
    const [event] = log.events("rotation.rejected");
    expect(event).toMatchObject({ error: expect.stringMatching(pattern) });
    expect(finalEvents(log)).toEqual(["rotation.rejected"]);
    expect(log.lines.find((l) => l.text.startsWith("rotation.rejected"))?.level).toBe("error");
  });

  it("does not retry a permission failure", async () => {
    await setUp(async () => {
      throw new PermissionDeniedError(
        "ARM 403",
        "Microsoft.ApiManagement/service/gateways/generateToken/action",
      );
    });
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(log.events("rotation.rejected")[0]?.error).toContain("PermissionDeniedError: ARM 403");
    expect(finalEvents(log)).toEqual(["rotation.rejected"]);
  });

  it.each([
    [
      "the lock is held",
      () => new LockHeldError("another rotation holds the lock"),
      "LockHeldError: another rotation holds the lock",
    ],
    [
      "ARM throttles",
      () => Object.assign(new Error("429 Too Many Requests"), { statusCode: 429 }),
      "429 Too Many Requests",
    ],
  ])(
    "logs rotation.retry (a warning, not rotation.failed) and throws when %s, so that the host retries",
    async (_what, make, text) => {
      const { services } = await setUp(async () => {
        throw make();
      });
      const { error, log } = await deliver(message, 3);
      expect(error).toBeInstanceOf(Error);
      expect(log.events("rotation.retry")).toEqual([
        expect.objectContaining({ dequeueCount: 3, maxDequeueCount, error: text }),
      ]);
      expect(log.lines.find((l) => l.text.startsWith("rotation.retry "))?.level).toBe("warning");
      expect(finalEvents(log)).toEqual([]);
      expect(services.lastErrors.get("req-1")).toBe(text);
    },
  );

  it.each([
    ["the lock is still held", () => new LockHeldError("another rotation holds the lock"), "rotation.locked"],
    ["ARM still throttles", () => Object.assign(new Error("429"), { statusCode: 429 }), "rotation.failed"],
  ])("ends the message on its last attempt when %s, instead of retrying", async (_what, make, event) => {
    await setUp(async () => {
      throw make();
    });
    const { error, log } = await deliver(message, maxDequeueCount);
    expect(error).toBeUndefined();
    expect(log.events("rotation.retry")).toEqual([]);
    expect(finalEvents(log)).toEqual([event]);
    expect(log.events(event)[0]).toMatchObject({ attempts: maxDequeueCount });
  });

  it("ends a rolled-back rotation with one rotation.rolled-back and does not retry it", async () => {
    const { calls } = await setUp(async (gateway) => outcome(gateway, "rolled-back"));
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(finalEvents(log)).toEqual(["rotation.rolled-back"]);
    expect(log.lines.find((l) => l.text.startsWith("rotation.rolled-back "))?.level).toBe("error");
    expect(log.events("rotation.rolled-back")[0]).toMatchObject({
      status: "rolled-back",
      deployments: [{ target: "ctx/gateways/contoso-eu", status: "rolled-back" }],
    });
    expect(log.events("rotation.retry")).toEqual([]);
  });

  it.each([
    [
      "a rollout failed after a restart (final)",
      { final: true, status: "failed" as const },
      "rotation.failed",
    ],
    ["revocation was asked and not done", { final: true, status: "unrevoked" as const }, "rotation.failed"],
  ])("ends the message as rotation.failed when %s", async (_what, fields, event) => {
    await setUp(async (gateway) => ({
      ...outcome(gateway, "failed"),
      ...fields,
      deployments: [{ target: "a", status: "failed", errorName: "RolloutError" }],
    }));
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(finalEvents(log)).toEqual([event]);
  });

  it("does not retry a rotation whose deployment failed with a 403 on the Secret", async () => {
    const { calls } = await setUp(async (gateway) => ({
      ...outcome(gateway, "failed"),
      reason:
        "ctx/gateways/contoso-eu: could not write the Secret: PermissionDeniedError: 403; old key not revoked",
      deployments: [
        {
          target: "ctx/gateways/contoso-eu",
          status: "failed",
          reason: "could not write the Secret: PermissionDeniedError: 403",
          errorName: "PermissionDeniedError",
        },
      ],
    }));
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(log.events("rotation.retry")).toEqual([]);
    expect(log.events("rotation.rejected")).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringContaining("PermissionDeniedError: 403"),
      }),
    ]);
  });

  it("retries a failed rotation that restarted nothing when any failed deployment's error is transient", async () => {
    await setUp(async (gateway) => ({
      ...outcome(gateway, "failed"),
      deployments: [
        { target: "a", status: "failed", errorName: "PermissionDeniedError" },
        { target: "b", status: "failed", errorName: "RestError" },
      ],
    }));
    const { error, log } = await deliver(message);
    expect(error?.message).toContain("rotation of contoso-eu ended failed");
    expect(log.events("rotation.retry")).toHaveLength(1);
    expect(finalEvents(log)).toEqual([]);
  });

  it("gives the rotation a deadline that has not passed yet", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    await setUp(async (gateway, options) => {
      signals.push(options.abortSignal);
      return outcome(gateway);
    });
    await deliver(message);
    expect(signals[0]).toBeInstanceOf(AbortSignal);
    expect(signals[0]?.aborted).toBe(false);
  });

  it("keeps a token in an adapter's error out of the thrown error, the logs and the poison event", async () => {
    const world = fakeWorld(gatewayConfig({ name: "contoso-eu" }));
    let leaked = "";
    world.vault.store = async (_name, token) => {
      leaked = token;
      throw Object.assign(new Error(`Key Vault refused value ${token}`), {
        statusCode: 503,
        cause: new Error(`raw body: ${token}`),
      });
    };
    const { services } = await setUp((_gateway, options) =>
      rotateGateway(world.gateway, { ...world.deps, log: options.log }, options),
    );
    const { error, log } = await deliver(message, maxDequeueCount - 1);
    expect(leaked).not.toBe("");
    expect(error?.message).toContain("Key Vault refused value <redacted>");
    expect((error as Error & { statusCode?: number }).statusCode).toBe(503);
    expect(
      `${error?.message} ${String(error?.stack)} ${String((error?.cause as Error)?.message)}`,
    ).not.toContain(leaked);
    expect(log.events("rotation.retry")).toHaveLength(1);
    const poison = captureContext("rotationPoison");
    await rotationPoison(message, poison.context);
    expect(poison.log.events("rotation.poisoned")[0]?.lastError).toContain("<redacted>");
    expect(`${log.text()}\n${poison.log.text()}\n${services.lastErrors.get("req-1")}`).not.toContain(leaked);
  });

  it("writes the engine's metrics as `metric <name> {json}` lines, never a token", async () => {
    const world = fakeWorld(gatewayConfig({ name: "contoso-eu" }));
    await setUp((_gateway, options) =>
      rotateGateway(world.gateway, { ...world.deps, log: options.log }, options),
    );
    const { error, log } = await deliver(message);
    expect(error).toBeUndefined();
    expect(log.events("metric rotation.outcome")).toEqual([
      { value: 1, gateway: "contoso-eu", status: "rotated" },
    ]);
    expect(log.events("metric token.days_left")).toEqual([{ value: 29, gateway: "contoso-eu" }]);
    const token = (await world.vault.current("gw1-token"))!.token;
    expect(log.text()).not.toContain(token);
  });
});

describe("rotationPoison", () => {
  it("logs rotation.poisoned at error level with the gateway and the last error", async () => {
    await setUp(async () => {
      throw new LockHeldError("another rotation holds the lock");
    });
    await deliver(message, maxDequeueCount - 1);
    const { context, log } = captureContext("rotationPoison", { dequeueCount: 1, id: "poison-1" });
    await rotationPoison(message, context);
    expect(log.lines.map((l) => l.level)).toEqual(["error"]);
    expect(log.events("rotation.poisoned")).toEqual([
      {
        gateway: "contoso-eu",
        requestId: "req-1",
        messageId: "poison-1",
        lastError: "LockHeldError: another rotation holds the lock",
      },
    ]);
  });

  it("names the gateway and request id even when the app's settings are malformed", async () => {
    vi.stubEnv("GATEWAY_GUARD_ARM_ENDPOINT", "not a url");
    try {
      const { context, log } = captureContext("rotationPoison", { id: "poison-2" });
      await expect(rotationPoison(message, context)).resolves.toBeUndefined();
      expect(log.events("rotation.poisoned")).toEqual([
        expect.objectContaining({
          gateway: "contoso-eu",
          requestId: "req-1",
          messageId: "poison-2",
          appSettingsError: expect.stringContaining("GATEWAY_GUARD_ARM_ENDPOINT"),
        }),
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("logs an unreadable message without throwing", async () => {
    await setUp(async (gateway) => outcome(gateway));
    const { context, log } = captureContext("rotationPoison");
    await expect(rotationPoison("not json at all", context)).resolves.toBeUndefined();
    expect(log.events("rotation.poisoned")[0]).toMatchObject({ gateway: "(unreadable message)" });
  });
});
