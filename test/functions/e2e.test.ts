/**
 * End to end on real queues (Azurite): webhook → message → worker; the timer's fan-out; duplicate
 * Event Grid deliveries; a locked gateway retried until the last attempt; a message whose every
 * attempt throws moved to the poison queue after host.json's maxDequeueCount attempts and reported
 * by rotationPoison. The queue trigger is driven by
 * {@link QueueHost}, which behaves as the Functions host does.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { HttpRequest } from "@azure/functions";
import { createAppServices, useAppServices, type AppServices } from "../../shared/app/services.js";
import { readAppSettings } from "../../shared/config/appSettings.js";
import { LockHeldError } from "../../shared/errors.js";
import type { RotationOutcome } from "../../shared/rotation/types.js";
import { startAzurite, type RunningAzurite } from "../standins/azurite.js";
import { registrations } from "./fakeCore.js";
import { captureContext, gateway, sampleConfig, webhookFixtures } from "./helpers.js";
import { hostJsonQueueSettings, loadFunctions, QueueHost, type Handler } from "./hostDriver.js";

const fixtures = webhookFixtures();
let azurite: RunningAzurite;
let host: QueueHost;
let restore: (() => void) | undefined;
let handlers: Record<string, Handler>;

beforeAll(async () => {
  handlers = await loadFunctions();
  azurite = await startAzurite();
  host = new QueueHost(azurite.connectionString, registrations, {
    ...hostJsonQueueSettings(),
    visibilityTimeoutInSeconds: 0,
  });
});

afterAll(async () => {
  await azurite?.stop();
});

beforeEach(async () => {
  for (const name of ["gateway-rotations", "gateway-rotations-poison"]) {
    await host.queue(name).createIfNotExists();
    await host.queue(name).clearMessages();
  }
  host.invocations.length = 0;
});

afterEach(() => restore?.());

type Rotate = AppServices["rotate"];

async function useServices(rotate: Rotate, gateways = sampleConfig.gateways): Promise<AppServices> {
  const services = await createAppServices({
    // Spread 0: the timer's messages are visible at once (fleetScale.test.ts covers the spread).
    settings: readAppSettings({
      AzureWebJobsStorage: azurite.connectionString,
      ROTATION_SPREAD_IN_MINUTES: "0",
    }),
    config: async () => ({ gateways }),
    rotate,
  });
  restore = useAppServices(services);
  return services;
}

function rotated(name: string): RotationOutcome {
  return {
    gateway: name,
    status: "rotated",
    reason: "expiring",
    plan: { gateway: name, decision: "expiring", reason: "expiring", action: "mint", deployments: [] },
    final: false,
    deployments: [],
  };
}

async function queued(name = "gateway-rotations"): Promise<Array<Record<string, unknown>>> {
  const { peekedMessageItems } = await host.queue(name).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map(
    (m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")) as Record<string, unknown>,
  );
}

async function postWebhook(body: string) {
  const { context } = captureContext("rotationWebhook");
  const request = new HttpRequest({
    method: "POST",
    url: "http://localhost/api/rotations",
    body: { string: body },
  });
  return (await handlers.rotationWebhook!(request as never, context as never)) as {
    status: number;
    jsonBody: Record<string, unknown>;
  };
}

describe("Functions app on Azurite", () => {
  it("webhook call → message on the queue → worker rotates that gateway", async () => {
    const calls: string[] = [];
    await useServices(async (g, options) => {
      calls.push(`${g.name} force=${options.force}`);
      return rotated(g.name);
    });
    const response = await postWebhook(fixtures["eventgrid-apim-gateway-token-near-expiry.json"]!);
    expect(response.status).toBe(202);
    const messages = await queued();
    expect(messages).toEqual([
      {
        v: 1,
        gateway: "contoso-eu",
        reason: "webhook",
        force: false,
        requestId: expect.stringMatching(/^evt-/),
      },
    ]);
    await host.drain();
    expect(calls).toEqual(["contoso-eu force=false"]);
    expect(host.invocations.map((i) => [i.functionName, i.succeeded])).toEqual([["rotationWorker", true]]);
    expect(await queued()).toEqual([]);
  });

  it("duplicate deliveries of one Event Grid event → one message", async () => {
    await useServices(async (g) => rotated(g.name));
    const first = await postWebhook(fixtures["eventgrid-keyvault-secret-near-expiry.json"]!);
    const second = await postWebhook(fixtures["eventgrid-keyvault-secret-near-expiry.json"]!);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await queued()).toHaveLength(1);
  });

  it("the timer fan-out enqueues one message per configured gateway, and the worker takes each", async () => {
    const gateways = Array.from({ length: 7 }, (_, i) => gateway(`gw-${i}`));
    const calls: string[] = [];
    await useServices(async (g) => {
      calls.push(g.name);
      return rotated(g.name);
    }, gateways);
    const { context } = captureContext("rotationSchedule");
    await handlers.rotationSchedule!({ isPastDue: false } as never, context as never);
    const messages = await queued();
    expect(messages.map((m) => m.gateway).sort()).toEqual(gateways.map((g) => g.name).sort());
    expect(messages.every((m) => m.reason === "schedule")).toBe(true);
    await host.drain();
    expect(calls.sort()).toEqual(gateways.map((g) => g.name).sort());
  });

  it("a message that meets a held lock is retried, then ended as rotation.locked on the last attempt, not poisoned", async () => {
    const { maxDequeueCount } = hostJsonQueueSettings();
    expect(maxDequeueCount).toBe(5);
    await useServices(async () => {
      throw new LockHeldError("another rotation of contoso-eu holds the lock");
    });
    expect((await postWebhook(fixtures["manual-rotate.json"]!)).status).toBe(202);

    for (let attempt = 1; attempt <= maxDequeueCount; attempt++) await host.pollOnce(["gateway-rotations"]);
    const worker = host.invocations.filter((i) => i.functionName === "rotationWorker");
    expect(worker.map((i) => [i.dequeueCount, i.succeeded])).toEqual(
      Array.from({ length: maxDequeueCount }, (_, i) => [i + 1, i + 1 === maxDequeueCount]),
    );
    const events = worker.map((i) =>
      i.logs.map((l) => l.text.split(" ")[0]).filter((e) => e !== "rotation.started"),
    );
    expect(events).toEqual([
      ...Array.from({ length: maxDequeueCount - 1 }, () => ["rotation.retry"]),
      ["rotation.locked"],
    ]);
    expect(await queued()).toEqual([]);
    expect(await queued("gateway-rotations-poison")).toEqual([]);
  });

  it("a message whose every attempt throws is moved to the poison queue, and rotationPoison logs it", async () => {
    const { maxDequeueCount } = hostJsonQueueSettings();
    restore?.();
    restore = undefined;
    vi.stubEnv("GATEWAY_GUARD_ARM_ENDPOINT", "not a url");
    try {
      const sent = { v: 1, gateway: "contoso-eu", reason: "manual", force: true, requestId: "req-poison" };
      await host.queue("gateway-rotations").sendMessage(Buffer.from(JSON.stringify(sent)).toString("base64"));
      for (let attempt = 1; attempt <= maxDequeueCount; attempt++) await host.pollOnce(["gateway-rotations"]);
      const worker = host.invocations.filter((i) => i.functionName === "rotationWorker");
      expect(worker.map((i) => i.succeeded)).toEqual(Array.from({ length: maxDequeueCount }, () => false));
      expect(worker.every((i) => i.logs.some((l) => l.text.startsWith("config.invalid ")))).toBe(true);
      expect(await queued("gateway-rotations-poison")).toEqual([sent]);

      await host.drain();
      const poison = host.invocations.filter((i) => i.functionName === "rotationPoison");
      expect(poison).toHaveLength(1);
      const line = poison[0]!.logs.find((l) => l.text.startsWith("rotation.poisoned "));
      expect(line?.level).toBe("error");
      expect(JSON.parse(line!.text.slice("rotation.poisoned ".length))).toMatchObject({
        gateway: "contoso-eu",
        requestId: "req-poison",
        appSettingsError: expect.stringContaining("GATEWAY_GUARD_ARM_ENDPOINT"),
      });
      expect(await queued("gateway-rotations-poison")).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a broken configuration: the timer logs config.invalid and enqueues nothing, a message is rejected, health answers 503", async () => {
    const services = await createAppServices({
      settings: readAppSettings({
        AzureWebJobsStorage: azurite.connectionString,
        GATEWAY_GUARD_CONFIG: '{"gateways": [{"name": "contoso-eu", "deployments": "none"}]}',
      }),
    });
    restore = useAppServices(services);
    const timer = captureContext("rotationSchedule");
    await expect(
      handlers.rotationSchedule!({ isPastDue: false } as never, timer.context as never),
    ).rejects.toThrow(/invalid configuration in GATEWAY_GUARD_CONFIG/);
    expect(timer.log.events("config.invalid")).toEqual([
      expect.objectContaining({ setting: "GATEWAY_GUARD_CONFIG", at: "timer" }),
    ]);
    expect(await queued()).toEqual([]);

    const message = { v: 1, gateway: "contoso-eu", reason: "manual", force: true, requestId: "req-broken" };
    await host
      .queue("gateway-rotations")
      .sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"));
    await host.drain();
    const [worker] = host.invocations;
    expect(worker?.succeeded).toBe(true);
    expect(worker!.logs.map((l) => l.text.split(" ")[0]).filter((e) => e !== "rotation.started")).toEqual([
      "config.invalid",
      "rotation.rejected",
    ]);

    const health = captureContext("health");
    const response = (await handlers.health!(
      new HttpRequest({ method: "GET", url: "http://localhost/api/health" }) as never,
      health.context as never,
    )) as { status: number; jsonBody: { configuration: { message: string } } };
    expect(response.status).toBe(503);
    expect(response.jsonBody.configuration.message).toContain("GATEWAY_GUARD_CONFIG");
    expect(health.log.events("config.invalid")).toEqual([
      expect.objectContaining({ setting: "GATEWAY_GUARD_CONFIG", at: "health" }),
    ]);
  });

  it("a malformed message is rejected once, not retried and not poisoned", async () => {
    await useServices(async (g) => rotated(g.name));
    await host
      .queue("gateway-rotations")
      .sendMessage(Buffer.from('{"v":1,"gateway":"contoso-eu"}').toString("base64"));
    await host.drain();
    expect(host.invocations.map((i) => [i.functionName, i.succeeded])).toEqual([["rotationWorker", true]]);
    expect(host.invocations[0]!.logs.some((l) => l.text.startsWith("rotation.rejected "))).toBe(true);
    expect(await queued("gateway-rotations-poison")).toEqual([]);
  });
});
