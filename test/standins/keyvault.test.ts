import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SecretClient } from "@azure/keyvault-secrets";
import { challengeResource, startKeyVaultStandin, type KeyVaultStandin } from "./keyvault.js";
import { lookupLocalhost } from "./localhostLookup.js";
import { testClientTlsOptions } from "./certs.js";
import { staticTokenCredential } from "./http.js";

let vault: KeyVaultStandin;
let client: SecretClient;
let credential: ReturnType<typeof staticTokenCredential>;

beforeAll(async () => {
  vault = await startKeyVaultStandin({ pageSize: 2 });
  credential = staticTokenCredential();
  client = new SecretClient(vault.vaultUrl, credential, {
    disableChallengeResourceVerification: true,
    ...(await testClientTlsOptions()),
    retryOptions: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });
});

afterAll(async () => {
  await vault.close();
});

beforeEach(() => {
  vault.clearFaults();
  vault.calls.length = 0;
});

describe("Key Vault stand-in through SecretClient", () => {
  it("goes through the 401 challenge, then sets a secret with expiry, content type and tags", async () => {
    const expiresOn = new Date(Date.now() + 29 * 24 * 60 * 60 * 1000);
    const secret = await client.setSecret("gw1-token", "GatewayKey first", {
      expiresOn,
      contentType: "application/vnd.gateway-guard.token",
      tags: { gateway: "gw1", keyType: "primary" },
    });
    expect(vault.calls.map((c) => [c.operation, c.status])).toEqual([
      ["set", 401],
      ["set", 200],
    ]);
    expect(credential.scopes).toContain("https://vault.azure.net/.default");
    expect(secret.value).toBe("GatewayKey first");
    expect(secret.properties).toMatchObject({
      name: "gw1-token",
      enabled: true,
      contentType: "application/vnd.gateway-guard.token",
      tags: { gateway: "gw1", keyType: "primary" },
      vaultUrl: vault.vaultUrl,
    });
    expect(secret.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(secret.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
    expect(secret.properties.createdOn).toBeInstanceOf(Date);
    expect(JSON.stringify(vault.calls)).not.toContain("first");
  });

  it("gets the current version and an older version", async () => {
    const first = await client.setSecret("rotating", "one");
    const second = await client.setSecret("rotating", "two", { tags: { keyType: "secondary" } });
    expect(await client.getSecret("rotating")).toMatchObject({
      value: "two",
      properties: { version: second.properties.version, tags: { keyType: "secondary" } },
    });
    expect(await client.getSecret("rotating", { version: first.properties.version })).toMatchObject({
      value: "one",
    });
    expect(vault.versions("rotating").map((v) => v.value)).toEqual(["one", "two"]);
  });

  it("lists versions across pages, without values", async () => {
    for (const value of ["a", "b", "c", "d", "e"]) await client.setSecret("many", value);
    const versions: string[] = [];
    for await (const properties of client.listPropertiesOfSecretVersions("many")) {
      expect(properties).not.toHaveProperty("value");
      versions.push(properties.version!);
    }
    expect(versions).toEqual(vault.versions("many").map((v) => v.version));
    expect(vault.calls.filter((c) => c.operation === "listVersions")).toHaveLength(3);
  });

  it("answers SecretNotFound for a missing secret or version", async () => {
    await expect(client.getSecret("missing")).rejects.toMatchObject({
      statusCode: 404,
      code: "SecretNotFound",
    });
    await client.setSecret("present", "x");
    await expect(client.getSecret("present", { version: "0".repeat(32) })).rejects.toMatchObject({
      statusCode: 404,
      code: "SecretNotFound",
    });
  });

  it("answers 403 naming the permission", async () => {
    vault.failNext({ status: 403, method: "PUT", count: Infinity });
    const error = await client.setSecret("denied", "x").then(
      () => ({ statusCode: 0, message: "no error" }),
      (e: { statusCode: number; message: string }) => e,
    );
    expect(error.statusCode).toBe(403);
    expect(error.message).toContain("Microsoft.KeyVault/vaults/secrets/setSecret/action");
    expect(vault.versions("denied")).toEqual([]);
    vault.clearFaults();
    await expect(client.setSecret("denied", "x")).resolves.toMatchObject({ value: "x" });
  });

  it("keeps seeded secrets and adds latency", async () => {
    vault.seedSecret("seeded", "value", {
      tags: { gateway: "gw9" },
      expiresOn: new Date(Date.UTC(2030, 0, 1)),
    });
    vault.latencyInMs = 150;
    const started = Date.now();
    const secret = await client.getSecret("seeded");
    vault.latencyInMs = 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(secret.properties.expiresOn?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });

  it("turns away tokens it does not accept with the challenge", async () => {
    const strict = await startKeyVaultStandin({ acceptToken: (token) => token === "good" });
    try {
      const bad = new SecretClient(strict.vaultUrl, staticTokenCredential("bad"), {
        disableChallengeResourceVerification: true,
        ...(await testClientTlsOptions()),
      });
      await expect(bad.setSecret("x", "y")).rejects.toMatchObject({ statusCode: 401 });
      const good = new SecretClient(strict.vaultUrl, staticTokenCredential("good"), {
        disableChallengeResourceVerification: true,
        ...(await testClientTlsOptions()),
      });
      await expect(good.setSecret("x", "y")).resolves.toMatchObject({ value: "y" });
    } finally {
      await strict.close();
    }
  });

  it("passes the SDK's real challenge verification when addressed by name", async () => {
    const named = await startKeyVaultStandin();
    try {
      const { tlsOptions } = await testClientTlsOptions();
      const namedCredential = staticTokenCredential();
      const verifying = new SecretClient(named.namedVaultUrl, namedCredential, {
        tlsOptions: { ...tlsOptions, lookup: lookupLocalhost } as typeof tlsOptions,
      });
      const secret = await verifying.setSecret("named", "by name");
      expect(namedCredential.scopes).toEqual(["https://vault.localhost/.default"]);
      expect(secret.properties.vaultUrl).toBe(named.namedVaultUrl);
      expect((await verifying.getSecret("named")).value).toBe("by name");

      const byIp = new SecretClient(named.vaultUrl, staticTokenCredential(), { tlsOptions });
      await expect(byIp.getSecret("named")).rejects.toThrow(/challenge resource 'vault\.azure\.net'/);
    } finally {
      await named.close();
    }
  });
});

describe("challengeResource", () => {
  it("is the host without its first label, or Key Vault's resource for an IP or a short name", () => {
    expect(challengeResource("gateway-guard.vault.localhost")).toBe("https://vault.localhost");
    expect(challengeResource("contoso.vault.azure.net")).toBe("https://vault.azure.net");
    expect(challengeResource("127.0.0.1")).toBe("https://vault.azure.net");
    expect(challengeResource("[::1]")).toBe("https://vault.azure.net");
    expect(challengeResource("localhost")).toBe("https://vault.azure.net");
  });
});
