import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appSettingNames } from "../../shared/config/appSettings.js";
import { functionTimeoutInMs, maxDequeueCount, rotationDeadlineInMs } from "../../shared/app/worker.js";
import { lockTtlInMs } from "../../shared/rotation/rotate.js";
import { gateway } from "./helpers.js";

const root = join(import.meta.dirname, "..", "..");
const host = JSON.parse(readFileSync(join(root, "host.json"), "utf8"));
const sample = JSON.parse(readFileSync(join(root, "local.settings.sample.json"), "utf8"));

function seconds(timespan: string): number {
  const [h, m, s] = timespan.split(":").map(Number);
  return h! * 3600 + m! * 60 + s!;
}

describe("host.json", () => {
  it("gives the worker the last attempt it ends a message on (instead of letting it be poisoned)", () => {
    expect(host.extensions.queues.maxDequeueCount).toBe(maxDequeueCount);
    expect(maxDequeueCount).toBe(5);
  });

  it("is a v2 host with the v4 extension bundle", () => {
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle).toEqual({
      id: "Microsoft.Azure.Functions.ExtensionBundle",
      version: "[4.*, 5.0.0)",
    });
  });

  it("retries a queue message 5 times, and decodes base64 as RotationQueue sends it", () => {
    expect(host.extensions.queues).toMatchObject({
      maxDequeueCount,
      messageEncoding: "base64",
    });
  });

  it("runs between 32 and 48 messages at once per instance: a rotation mostly waits on its rollouts, not on the CPU", () => {
    const { batchSize, newBatchThreshold } = host.extensions.queues;
    expect({ batchSize, newBatchThreshold }).toEqual({ batchSize: 16, newBatchThreshold: 32 });
  });

  it.each([1, 2, 5])(
    "retries a message held back by a crashed %i-deployment rotation's lock after that lock has expired",
    (count) => {
      // A crashed holder stops renewing its Lease, which then expires after lockTtlInMs. The first
      // retry comes one visibilityTimeout later, and the last one (maxDequeueCount - 1) visibility
      // timeouts later: the lock must be gone by the first, and well before the last, or the
      // message ends as rotation.locked while the gateway is merely waiting for an expiry.
      const { maxDequeueCount, visibilityTimeout } = host.extensions.queues;
      const firstRetryInMs = seconds(visibilityTimeout) * 1000;
      const retryWindowInMs = (maxDequeueCount - 1) * firstRetryInMs;
      const ttl = lockTtlInMs(gatewayWith(count));
      expect(ttl).toBeLessThan(firstRetryInMs);
      expect(ttl).toBeLessThan(retryWindowInMs);
    },
  );

  it("has the function timeout the worker plans its deadline with", () => {
    expect(seconds(host.functionTimeout) * 1000).toBe(functionTimeoutInMs);
  });

  it.each([1, 2, 3, 5])(
    "stops starting deployments of a %i-deployment gateway early enough to finish a rollback within the function timeout",
    (count) => {
      const many = gatewayWith(count);
      const rollbackInMs = many.rolloutTimeoutInMs + 60_000;
      expect(rotationDeadlineInMs(many) + rollbackInMs).toBeLessThan(seconds(host.functionTimeout) * 1000);
      expect(rotationDeadlineInMs(many)).toBeGreaterThan(0);
    },
  );
});

/** A gateway with `count` deployments and the default rollout timeout. */
function gatewayWith(count: number) {
  return gateway("g", {
    deployments: Array.from({ length: count }, (_, i) => ({
      cluster: { type: "kubeconfig" as const },
      namespace: `ns-${i}`,
      deployment: "g",
    })),
  });
}

describe("local.settings.sample.json", () => {
  it("uses Azurite and only settings the app documents", () => {
    expect(sample.Values.AzureWebJobsStorage).toBe("UseDevelopmentStorage=true");
    expect(sample.Values.FUNCTIONS_WORKER_RUNTIME).toBe("node");
    const documented = new Set(appSettingNames.map((s) => s.name));
    const undocumented = Object.keys(sample.Values).filter(
      (name) => name !== "FUNCTIONS_WORKER_RUNTIME" && !documented.has(name),
    );
    expect(undocumented).toEqual([]);
  });
});
