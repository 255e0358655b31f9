import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeAdapters } from "../../shared/compose/adapters.js";
import type { GuardConfig } from "../../shared/config/types.js";
import { root } from "../cli/harness.js";
import { startFleet, type Fleet } from "../standins/fleet.js";

let fleet: Fleet;
let config: GuardConfig;

beforeAll(async () => {
  fleet = await startFleet({
    clusters: ["only"],
    gateways: [
      {
        name: "orders",
        keyType: "primary",
        expiresInDays: 25,
        deployments: [{ cluster: 0, namespace: "apim", deployment: "orders-gateway", layout: "portal" }],
      },
    ],
  });
  config = await fleet.loadConfig();
});

afterAll(async () => {
  await fleet?.stop();
});

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.c?ts$/.test(name) ? [path] : [];
  });
}

describe("composeAdapters", () => {
  it("reads a vault through the SDK's real challenge verification, loopback or not", async () => {
    const adapters = composeAdapters(config, {
      credential: fleet.credential,
      clientOptions: fleet.clientOptions,
    });
    const gateway = config.gateways[0];
    expect(gateway.keyVault.url).toBe(fleet.keyVault.namedVaultUrl);
    const stored = await adapters.live.vaultFor(gateway).current(gateway.keyVault.secretName);
    expect(stored?.version).toBe(fleet.keyVault.versions(gateway.keyVault.secretName).at(-1)?.version);

    const byIp = { ...gateway, keyVault: { ...gateway.keyVault, url: fleet.keyVault.vaultUrl } };
    await expect(adapters.live.vaultFor(byIp).current(gateway.keyVault.secretName)).rejects.toThrow(
      /challenge resource/,
    );
  });

  it("production code never turns the challenge verification off", () => {
    const setters = [...sourcesUnder(join(root, "shared")), ...sourcesUnder(join(root, "functions"))].filter(
      (path) => /disableChallengeResourceVerification\s*:/.test(readFileSync(path, "utf8")),
    );
    expect(setters).toEqual([]);
  });

  it("takes the configuration's ARM endpoint first, then the armEndpoint option", async () => {
    const gateway = config.gateways[0];
    const expiresOn = new Date(Date.now() + 86_400_000);
    const mint = (configured: GuardConfig, armEndpoint?: string) =>
      composeAdapters(configured, {
        credential: fleet.credential,
        clientOptions: fleet.clientOptions,
        apimRetry: { maxRetries: 0 },
        ...(armEndpoint ? { armEndpoint } : {}),
      })
        .rotationDeps(gateway)
        .issuer.mint(gateway.apim, "secondary", expiresOn);
    const unused = "https://127.0.0.1:9";
    await expect(mint(config, unused)).resolves.toMatch(/^orders-gw&/);
    const { armEndpoint: _, ...withoutEndpoint } = config;
    await expect(mint(withoutEndpoint, fleet.arm.endpoint)).resolves.toMatch(/^orders-gw&/);
    await expect(mint({ ...withoutEndpoint, armEndpoint: unused }, fleet.arm.endpoint)).rejects.toThrow();
  });
});
