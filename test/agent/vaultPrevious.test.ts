/** Key Vault's previous version (pull mode's revocation in a later run), against the Key Vault stand-in. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretClients } from "../../shared/azure/keyvault.js";
import { startKeyVaultStandin, type KeyVaultStandin } from "../standins/keyvault.js";
import { testClientTlsOptions } from "../standins/certs.js";
import { staticTokenCredential } from "../standins/http.js";
import { failure } from "../failure.js";

let kv: KeyVaultStandin;
let clients: SecretClients;
const tokenOf = (n: number) => `edge&20260101000${n}&c2lnbmF0dXJlLW9mLXRva2VuLSR7bn0tZm9yLXRlc3Rz`;

beforeAll(async () => {
  let minutes = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1) + minutes++ * 60_000);
  kv = await startKeyVaultStandin({ pageSize: 1, now });
  clients = new SecretClients({
    credential: staticTokenCredential(),
    clientOptions: { ...(await testClientTlsOptions()), disableChallengeResourceVerification: true },
  });
});

afterAll(async () => {
  await kv.close();
});

describe("KeyVaultTokenVault.previous", () => {
  it("is the version before the newest, with its token and key type, over paged version lists", async () => {
    const vault = clients.vault(kv.vaultUrl);
    expect(await vault.previous("edge-token")).toBeUndefined();
    const options = { expiresOn: new Date(Date.now() + 86_400_000), gateway: "edge" };
    await vault.store("edge-token", tokenOf(1), { ...options, keyType: "primary" });
    expect(await vault.previous("edge-token")).toBeUndefined();
    const second = await vault.store("edge-token", tokenOf(2), { ...options, keyType: "secondary" });
    const third = await vault.store("edge-token", tokenOf(3), { ...options, keyType: "primary" });
    expect(third.version).not.toBe(second.version);
    expect(await vault.previous("edge-token")).toMatchObject({
      token: tokenOf(2),
      version: second.version,
      keyType: "secondary",
    });
  });

  it("is never the current version, even when every version was created in the same second", async () => {
    const sameSecond = await startKeyVaultStandin({ now: () => new Date(Date.UTC(2026, 0, 1)) });
    try {
      const vault = clients.vault(sameSecond.vaultUrl);
      const options = { expiresOn: new Date(Date.now() + 86_400_000), gateway: "edge" };
      const first = await vault.store("edge-token", tokenOf(1), { ...options, keyType: "primary" });
      await vault.store("edge-token", tokenOf(2), { ...options, keyType: "secondary" });
      expect(await vault.previous("edge-token")).toMatchObject({ version: first.version, token: tokenOf(1) });
    } finally {
      await sameSecond.close();
    }
  });

  it("names the permission to list versions on a 403", async () => {
    const vault = clients.vault(kv.vaultUrl);
    kv.failNext({ method: "GET", path: /\/versions/, status: 403 });
    const error = await failure(vault.previous("edge-token"));
    expect(error).toMatchObject({ name: "PermissionDeniedError" });
    expect(error.message).toContain('list of secret "edge-token"');
    expect(error.message).toContain("secrets/readMetadata/action");
  });
});
