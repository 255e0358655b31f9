import { afterEach, describe, expect, it, vi } from "vitest";
import type { Timer } from "@azure/functions";
import { rotationSchedule } from "../../functions/rotationSchedule.cjs";
import { spreadDelayInSeconds } from "../../shared/app/schedule.js";
import { useAppServices } from "../../shared/app/services.js";
import { captureContext, gateway, MemoryQueueClient, testServices } from "./helpers.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};

describe("rotationSchedule", () => {
  it("enqueues one schedule message per configured gateway, and rotates nothing itself", async () => {
    const gateways = Array.from({ length: 25 }, (_, i) => gateway(`gw-${i}`));
    const { services, queue } = await testServices({
      config: async () => ({ gateways }),
      rotate: async () => {
        throw new Error("the timer must not rotate");
      },
    });
    restore = useAppServices(services);
    const { context, log } = captureContext("rotationSchedule");
    await rotationSchedule(timer, context);
    const messages = queue.messages();
    expect(messages.map((m) => m.gateway)).toEqual(gateways.map((g) => g.name));
    expect(messages.every((m) => m.reason === "schedule" && m.force === false && m.v === 1)).toBe(true);
    expect(new Set(messages.map((m) => m.requestId)).size).toBe(25);
    expect(log.events("rotation.scheduled")).toEqual([
      {
        count: 25,
        enqueued: 25,
        failed: 0,
        spreadInMinutes: 60,
        gateways: gateways.map((g) => ({
          name: g.name,
          renewBeforeInDays: 7,
          delayInSeconds: spreadDelayInSeconds(g.name, 60),
        })),
      },
    ]);
  });

  it("throws (visible in the host's log) when the queue cannot be reached, after trying every gateway", async () => {
    const queue = new MemoryQueueClient();
    queue.failWith = new Error("ECONNREFUSED");
    const { services } = await testServices({ queueClient: queue });
    restore = useAppServices(services);
    const { context, log } = captureContext("rotationSchedule");
    await expect(rotationSchedule(timer, context)).rejects.toThrow(
      /2 of 2 gateway\(s\): contoso-eu \(ECONNREFUSED\)/,
    );
    expect(log.events("schedule.failed")).toHaveLength(1);
  });

  it("logs config.invalid naming the setting, and throws, when the configuration does not load", async () => {
    const { services, queue } = await testServices({
      env: { GATEWAY_GUARD_CONFIG: '{"gateways": [{"name": "Not A DNS Label"}]}' },
      config: undefined,
    });
    restore = useAppServices(services);
    const { context, log } = captureContext("rotationSchedule");
    await expect(rotationSchedule(timer, context)).rejects.toThrow(
      /invalid configuration in GATEWAY_GUARD_CONFIG/,
    );
    expect(queue.sent).toEqual([]);
    expect(log.events("config.invalid")).toEqual([
      expect.objectContaining({ setting: "GATEWAY_GUARD_CONFIG", at: "timer" }),
    ]);
    expect(log.events("rotation.scheduled")).toEqual([]);
  });

  it("logs config.invalid naming the malformed app setting when the app's settings do not read", async () => {
    vi.stubEnv("AzureWebJobsStorage__queueServiceUri", "not a url");
    try {
      const { context, log } = captureContext("rotationSchedule");
      await expect(rotationSchedule(timer, context)).rejects.toThrow(/AzureWebJobsStorage__queueServiceUri/);
      expect(log.events("config.invalid")).toEqual([
        expect.objectContaining({ setting: "AzureWebJobsStorage__queueServiceUri", at: "timer" }),
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
