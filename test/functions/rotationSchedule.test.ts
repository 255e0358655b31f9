import { afterEach, describe, expect, it } from "vitest";
import type { Timer } from "@azure/functions";
import { rotationSchedule } from "../../functions/rotationSchedule.cjs";
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
    expect(log.events("schedule.enqueued")).toEqual([{ gateways: 25, failed: 0 }]);
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

  it("throws when the configuration cannot be loaded", async () => {
    const { services, queue } = await testServices({
      config: async () => {
        throw new Error("no configuration");
      },
    });
    restore = useAppServices(services);
    await expect(rotationSchedule(timer, captureContext().context)).rejects.toThrow("no configuration");
    expect(queue.sent).toEqual([]);
  });
});
