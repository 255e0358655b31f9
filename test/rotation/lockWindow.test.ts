import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockTtlInMs, rotateGateway } from "../../shared/rotation/rotate.js";
import { fakeWorld, gatewayConfig, target } from "./fakes.js";

const host = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "host.json"), "utf8"));

function seconds(timespan: string): number {
  const [h, m, s] = timespan.split(":").map(Number);
  return h! * 3600 + m! * 60 + s!;
}

describe("a crashed holder's lock and the queue's retry window (host.json)", () => {
  const { maxDequeueCount, visibilityTimeout } = host.extensions.queues;
  const visibilityInMs = seconds(visibilityTimeout) * 1000;

  it.each([1, 2, 5])(
    "with %i deployments, the Lease expires before the message's last attempt, which then rotates",
    async (count) => {
      const deployments = Array.from({ length: count }, (_, i) => target(`cluster-${i}`, "gateways", "gw"));
      const world = fakeWorld(gatewayConfig({ deployments, rolloutTimeoutInMs: 600_000 }));
      world.lock.holdAs("gw1", "crashed-host-1", lockTtlInMs(world.gateway));

      const attempts: string[] = [];
      for (let attempt = 1; attempt <= maxDequeueCount; attempt++) {
        const result = await rotateGateway(world.gateway, world.deps).then(
          (outcome) => outcome.status,
          (error: Error) => error.name,
        );
        attempts.push(result);
        if (result !== "LockHeldError") break;
        world.clock.current = new Date(world.clock.current.getTime() + visibilityInMs);
      }
      expect(attempts.at(-1)).toBe("rotated");
      expect(attempts.length).toBeLessThanOrEqual(maxDequeueCount);
      expect(lockTtlInMs(world.gateway)).toBeLessThan((maxDequeueCount - 1) * visibilityInMs);
    },
  );
});
