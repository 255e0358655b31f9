/**
 * One first trigger per function, as the first-invocation benchmark sends them (the stand-ins'
 * default fleet has the gateway `payments`), and the libraries each function cannot do without.
 */
/** A function's first trigger, and the libraries it cannot do without. */
export interface Case {
  name: string;
  trigger:
    | { payload: unknown }
    | { http: { method: string; url: string; headers?: Record<string, string>; body?: string } };
  sdks: string[];
}

/**
 * The first invocation of each function but the poison watcher.
 * @param manifest - the manifest the drift endpoint is given.
 */
export function firstInvocations(manifest: string): Case[] {
  const queue = ["@azure/functions", "@azure/storage-queue"];
  return [
    { name: "rotationSchedule", trigger: { payload: { isPastDue: false } }, sdks: queue },
    {
      name: "rotationWorker",
      trigger: {
        payload: {
          v: 1,
          gateway: "payments",
          reason: "schedule",
          force: false,
          requestId: "first-invocation",
        },
      },
      sdks: [
        "@azure/functions",
        "@azure/identity",
        "@azure/arm-apimanagement",
        "@azure/keyvault-secrets",
        "@kubernetes/client-node",
      ],
    },
    {
      name: "rotationWebhook",
      trigger: {
        http: {
          method: "POST",
          url: "http://localhost/api/rotations",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ gateway: "payments" }),
        },
      },
      sdks: queue,
    },
    {
      name: "driftCheck",
      trigger: {
        http: {
          method: "POST",
          url: "http://localhost/api/drift",
          headers: { "content-type": "application/yaml" },
          body: manifest,
        },
      },
      sdks: ["@azure/functions"],
    },
    {
      name: "health",
      trigger: { http: { method: "GET", url: "http://localhost/api/health" } },
      sdks: ["@azure/functions"],
    },
  ];
}
