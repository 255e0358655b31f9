import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  KeyVaultTokenVault,
  SecretClients,
  keyVaultPermissions,
  tokenContentType,
} from "../../shared/azure/keyvault.js";
import { startKeyVaultStandin, type KeyVaultStandin } from "../standins/keyvault.js";
import { testClientTlsOptions } from "../standins/certs.js";
import { staticTokenCredential } from "../standins/http.js";
import { failure } from "../failure.js";

const token = "edge&202601010000&c2VjcmV0LXNpZ25hdHVyZS1mb3ItdGVzdHM=";
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

let kv: KeyVaultStandin;
let clients: SecretClients;
let vault: KeyVaultTokenVault;

/** Clients with the production retry options, for the stand-in's address. */
async function clientsWithDefaults(options: { timeoutInMs?: number } = {}): Promise<SecretClients> {
  return new SecretClients({
    credential: staticTokenCredential(),
    ...options,
    clientOptions: { ...(await testClientTlsOptions()), disableChallengeResourceVerification: true },
  });
}

beforeAll(async () => {
  kv = await startKeyVaultStandin();
  clients = new SecretClients({
    credential: staticTokenCredential(),
    clientOptions: {
      ...(await testClientTlsOptions()),
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 40 },
    },
  });
  vault = clients.vault(kv.vaultUrl);
});

afterAll(async () => {
  await kv.close();
});

beforeEach(() => {
  kv.clearFaults();
  kv.calls.length = 0;
});

describe("KeyVaultTokenVault against the Key Vault stand-in", () => {
  it("returns undefined for a secret that does not exist yet", async () => {
    expect(await vault.current("never-written")).toBeUndefined();
  });

  it("stores a new version with expiresOn, content type and tags, and reads it back as current", async () => {
    const expiresOn = inDays(29);
    const stored = await vault.store("edge-token", token, {
      expiresOn,
      keyType: "secondary",
      gateway: "edge",
    });
    expect(stored.version).toMatch(/\w+/);
    expect(stored.keyType).toBe("secondary");
    const [version] = kv.versions("edge-token");
    expect(version).toMatchObject({
      value: token,
      contentType: tokenContentType,
      tags: { gateway: "edge", keyType: "secondary", "managed-by": "gateway-guard" },
      exp: Math.floor(expiresOn.getTime() / 1000),
    });
    const current = await vault.current("edge-token");
    expect(current).toMatchObject({ token, version: stored.version, keyType: "secondary" });
    expect(current?.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
    expect(current?.createdOn).toBeInstanceOf(Date);
  });

  it("keeps every version; current is the latest", async () => {
    await vault.store("alt-token", "edge&1&first", {
      expiresOn: inDays(1),
      keyType: "primary",
      gateway: "edge",
    });
    const second = await vault.store("alt-token", "edge&2&second", {
      expiresOn: inDays(2),
      keyType: "secondary",
      gateway: "edge",
    });
    expect(kv.versions("alt-token")).toHaveLength(2);
    expect(await vault.current("alt-token")).toMatchObject({
      token: "edge&2&second",
      version: second.version,
      keyType: "secondary",
    });
  });

  it("turns 403 on set into PermissionDeniedError naming the permission, without the token", async () => {
    kv.failNext({ status: 403, method: "PUT" });
    const error = await failure(
      vault.store("edge-token", token, { expiresOn: inDays(1), keyType: "primary", gateway: "edge" }),
    );
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.permission).toBe(keyVaultPermissions.set);
    expect(error.message).toContain("Key Vault Secrets Officer");
    expect(error.message).toContain("setSecret");
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token);
  });

  it("turns 403 on get into PermissionDeniedError naming the permission", async () => {
    kv.failNext({ status: 403, method: "GET" });
    const error = await failure(vault.current("edge-token"));
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.permission).toBe(keyVaultPermissions.get);
    expect(error.message).toMatch(/secrets get/);
  });

  it("says so when the current version is disabled, rather than blaming permissions", async () => {
    kv.seedSecret("disabled-token", token, { enabled: false });
    const error = await failure(vault.current("disabled-token"));
    expect(error.name).toBe("Error");
    expect(error.message).toMatch(/is disabled; enable it or write a new version/);
  });

  it("retries throttling and completes", async () => {
    kv.failNext({ status: 429, count: 2, retryAfterInMs: 20 });
    const stored = await vault.store("edge-token", token, {
      expiresOn: inDays(1),
      keyType: "primary",
      gateway: "edge",
    });
    expect(stored.version).toBeTruthy();
    expect(kv.calls.filter((c) => c.status === 429)).toHaveLength(2);
  });

  it("reports other failures with the status and without the token", async () => {
    kv.failNext({
      status: 400,
      method: "PUT",
      body: { error: { code: "BadParameter", message: `bad value ${token}` } },
    });
    const error = await failure(
      vault.store("edge-token", token, { expiresOn: inDays(1), keyType: "primary", gateway: "edge" }),
    );
    expect(error.message).toContain("HTTP 400");
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token);
  });

  it("reads a kubeconfig held in a secret, and names a missing one", async () => {
    kv.seedSecret("cluster-kubeconfig", "apiVersion: v1\nkind: Config\n");
    expect(await clients.readKubeconfigSecret(kv.vaultUrl, "cluster-kubeconfig")).toContain("kind: Config");
    await expect(clients.readKubeconfigSecret(kv.vaultUrl, "missing-kubeconfig")).rejects.toMatchObject({
      name: "NotFoundError",
      message: expect.stringContaining('"missing-kubeconfig"'),
    });
  });

  it("retries a 503 with Retry-After on get and a 500 on set, as the SDK pipeline does", async () => {
    kv.seedSecret("busy-token", token);
    kv.failNext({ status: 503, method: "GET", retryAfterInMs: 10 });
    expect(await vault.current("busy-token")).toMatchObject({ token });
    kv.failNext({ status: 500, method: "PUT" });
    await vault.store("busy-token", token, { expiresOn: inDays(1), keyType: "primary", gateway: "edge" });
    expect(kv.calls.map((c) => `${c.operation} ${c.status}`).filter((c) => !c.endsWith(" 401"))).toEqual([
      "get 503",
      "get 200",
      "set 500",
      "set 200",
    ]);
  });

  it("retries throttling with the default retry options, waiting for Retry-After in seconds", async () => {
    const defaults = (await clientsWithDefaults()).vault(kv.vaultUrl);
    kv.failNext({ status: 429, count: 3, retryAfterInSeconds: 0 });
    const stored = await defaults.store("throttled-token", token, {
      expiresOn: inDays(1),
      keyType: "primary",
      gateway: "edge",
    });
    expect(stored.version).toBeTruthy();
    expect(kv.calls.filter((c) => c.status === 429)).toHaveLength(3);
  });

  it("ends a call at its timeout, retries included, without the token", async () => {
    const slow = (await clientsWithDefaults({ timeoutInMs: 100 })).vault(kv.vaultUrl);
    kv.failNext({ status: 429, count: 10, retryAfterInSeconds: 30 });
    const error = await failure(
      slow.store("slow-token", token, { expiresOn: inDays(1), keyType: "primary", gateway: "edge" }),
    );
    expect(error.message).toMatch(
      /^Key Vault set of secret "slow-token" in https:\/\/127.0.0.1:\d+ did not finish within 0.1s/,
    );
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token);
    kv.latencyInMs = 5_000;
    try {
      const read = await failure(slow.current("slow-token"));
      expect(read.message).toMatch(/get of secret "slow-token" .* did not finish within 0.1s/);
    } finally {
      kv.latencyInMs = 0;
    }
  });

  it("passes the caller's abort through as it is", async () => {
    const controller = new AbortController();
    kv.failNext({ status: 503, count: 10, retryAfterInSeconds: 30 });
    const pending = failure(vault.current("edge-token", { abortSignal: controller.signal }));
    controller.abort();
    expect((await pending).name).toBe("AbortError");
  });
});
