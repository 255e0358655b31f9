import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appSettingNames } from "../../shared/config/appSettings.js";
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
  it("is a v2 host with the v4 extension bundle", () => {
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle).toEqual({
      id: "Microsoft.Azure.Functions.ExtensionBundle",
      version: "[4.*, 5.0.0)",
    });
  });

  it("retries a queue message 5 times, and decodes base64 as RotationQueue sends it", () => {
    expect(host.extensions.queues).toMatchObject({
      maxDequeueCount: 5,
      messageEncoding: "base64",
      batchSize: 4,
    });
  });

  it("retries a message held back by another rotation's lock long enough for that rotation to finish", () => {
    const { maxDequeueCount, visibilityTimeout } = host.extensions.queues;
    const retryWindowInMs = (maxDequeueCount - 1) * seconds(visibilityTimeout) * 1000;
    const oneRollout = gateway("g").rolloutTimeoutInMs;
    expect(retryWindowInMs).toBeGreaterThanOrEqual(oneRollout * 2);
  });

  it("lets a rotation of a gateway with two deployments (each rolled back) finish within the function timeout", () => {
    const twoDeployments = gateway("g", {
      deployments: [
        { cluster: { type: "kubeconfig" }, namespace: "a", deployment: "g" },
        { cluster: { type: "kubeconfig" }, namespace: "b", deployment: "g" },
      ],
    });
    expect(seconds(host.functionTimeout) * 1000).toBeGreaterThanOrEqual(lockTtlInMs(twoDeployments));
  });
});

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
