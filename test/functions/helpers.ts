/**
 * Test helpers for the Functions app: a configuration matching the webhook fixtures, an in-memory
 * queue client, a capturing log, and services built from them.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { InvocationContext } from "@azure/functions";
import { readAppSettings, type Environment } from "../../shared/config/appSettings.js";
import type { GatewayConfig, GuardConfig } from "../../shared/config/types.js";
import { createAppServices, type AppServices, type AppServicesOptions } from "../../shared/app/services.js";
import type { QueueClientLike } from "../../shared/queue/enqueue.js";

export const fixturesDir = join(import.meta.dirname, "..", "fixtures", "webhooks");

/** Every webhook fixture by file name. */
export function webhookFixtures(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(fixturesDir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => [name, readFileSync(join(fixturesDir, name), "utf8")]),
  );
}

export function gateway(name: string, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    name,
    apim: {
      subscriptionId: "00000000-0000-0000-0000-000000000000",
      resourceGroup: "rg-gateways",
      service: "apim-contoso",
      gatewayId: name,
    },
    keyVault: { url: "https://kv-gateways.vault.azure.net", secretName: `gw-${name}-token` },
    deployments: [{ cluster: { type: "kubeconfig" }, namespace: "gateways", deployment: name }],
    tokenLifetimeInDays: 29,
    renewBeforeInDays: 7,
    revokeOldKey: false,
    rolloutTimeoutInMs: 600_000,
    ...overrides,
  };
}

/** Two gateways; `contoso-eu` is the one every fixture names. */
export const sampleConfig: GuardConfig = { gateways: [gateway("contoso-eu"), gateway("contoso-us")] };

/** A queue client that keeps sent message texts. */
export class MemoryQueueClient implements QueueClientLike {
  readonly sent: string[] = [];
  created = 0;
  failWith: Error | undefined;
  constructor(readonly name = "gateway-rotations") {}
  async sendMessage(text: string): Promise<unknown> {
    if (this.failWith) throw this.failWith;
    this.sent.push(text);
    return {};
  }
  async createIfNotExists(): Promise<unknown> {
    this.created += 1;
    return {};
  }
  /** The messages as the worker would get them (base64 removed, JSON parsed). */
  messages(): Array<Record<string, unknown>> {
    return this.sent.map(
      (text) => JSON.parse(Buffer.from(text, "base64").toString("utf8")) as Record<string, unknown>,
    );
  }
}

/** Log lines by level, captured from an InvocationContext. */
export interface CapturedLog {
  lines: Array<{ level: string; text: string }>;
  text(): string;
  events(name: string): Array<Record<string, unknown>>;
}

export function captureContext(
  functionName = "test",
  triggerMetadata: Record<string, unknown> = {},
): {
  context: InvocationContext;
  log: CapturedLog;
} {
  const lines: CapturedLog["lines"] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: "test-invocation",
    triggerMetadata,
    logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(" ") }),
  });
  return {
    context,
    log: {
      lines,
      text: () => lines.map((line) => `${line.level} ${line.text}`).join("\n"),
      events: (name) =>
        lines
          .filter((line) => line.text.startsWith(`${name} `))
          .map((line) => JSON.parse(line.text.slice(name.length + 1)) as Record<string, unknown>),
    },
  };
}

export async function testServices(
  options: Partial<AppServicesOptions> & { env?: Environment } = {},
): Promise<{ services: AppServices; queue: MemoryQueueClient }> {
  const queue = (options.queueClient as MemoryQueueClient | undefined) ?? new MemoryQueueClient();
  const services = await createAppServices({
    settings: readAppSettings(options.env ?? {}),
    config: async () => sampleConfig,
    ...options,
    queueClient: queue,
  });
  return { services, queue };
}
