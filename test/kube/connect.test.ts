import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { kubeConfigFor } from "../../shared/kube/connect.js";
import { SecretClients } from "../../shared/azure/keyvault.js";
import { makeTestCertificate, testClientTlsOptions } from "../standins/certs.js";
import { staticTokenCredential } from "../standins/http.js";
import { startKeyVaultStandin, type KeyVaultStandin } from "../standins/keyvault.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";

let plain: KubeStandin;
let secure: KubeStandin;
let kv: KeyVaultStandin;
let dir: string;

beforeAll(async () => {
  const { key, cert, ca } = await makeTestCertificate();
  [plain, secure, kv] = await Promise.all([
    startKubeStandin({ namespaces: ["plain-ns"] }),
    startKubeStandin({ tls: { key, cert, ca }, namespaces: ["secure-ns"] }),
    startKeyVaultStandin(),
  ]);
  dir = await mkdtemp(join(tmpdir(), "gg-connect-"));
});

afterAll(async () => {
  await Promise.all([plain.close(), secure.close(), kv.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function namespaces(config: Awaited<ReturnType<typeof kubeConfigFor>>): Promise<string[]> {
  const list = await config.makeApiClient(CoreV1Api).listNamespace();
  return list.items.map((n) => n.metadata?.name ?? "");
}

/** A credential handing out the stand-in's bearer token, with a chosen lifetime, counting calls. */
function countingCredential(token: string, lifetimeInMs: number): TokenCredential & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getToken(scope: string | string[]): Promise<AccessToken> {
      calls.push(String(scope));
      return { token, expiresOnTimestamp: Date.now() + lifetimeInMs };
    },
  };
}

describe("kubeConfigFor", () => {
  it("loads a kubeconfig file and selects the context", async () => {
    const path = join(dir, "config");
    await plain.writeKubeConfig(path, { context: "edge" });
    const config = await kubeConfigFor({ type: "kubeconfig", path, context: "edge" });
    expect(config.getCurrentContext()).toBe("edge");
    expect(await namespaces(config)).toContain("plain-ns");
  });

  it("names an unknown context and the ones that exist", async () => {
    const path = join(dir, "config-2");
    await plain.writeKubeConfig(path, { context: "edge" });
    await expect(kubeConfigFor({ type: "kubeconfig", path, context: "nope" })).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringMatching(/Context "nope" .*contexts: edge/),
    });
  });

  it("names a kubeconfig file that cannot be read", async () => {
    await expect(kubeConfigFor({ type: "kubeconfig", path: join(dir, "missing") })).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("Cannot load kubeconfig file"),
    });
  });

  it("loads a kubeconfig held in Key Vault", async () => {
    kv.seedSecret("edge-kubeconfig", secure.kubeConfig({ context: "secure" }));
    const secrets = new SecretClients({
      credential: staticTokenCredential(),
      clientOptions: { ...(await testClientTlsOptions()), disableChallengeResourceVerification: true },
    });
    const config = await kubeConfigFor(
      { type: "keyVaultKubeconfig", vaultUrl: kv.vaultUrl, secretName: "edge-kubeconfig", context: "secure" },
      { secrets },
    );
    expect(await namespaces(config)).toContain("secure-ns");
  });

  it("refuses a Key Vault secret that is not a kubeconfig", async () => {
    kv.seedSecret("not-a-kubeconfig", "[[[");
    const secrets = new SecretClients({
      credential: staticTokenCredential(),
      clientOptions: { ...(await testClientTlsOptions()), disableChallengeResourceVerification: true },
    });
    await expect(
      kubeConfigFor(
        { type: "keyVaultKubeconfig", vaultUrl: kv.vaultUrl, secretName: "not-a-kubeconfig" },
        { secrets },
      ),
    ).rejects.toMatchObject({ name: "InputError" });
  });

  it("connects to AKS with an Entra token for the scope, trusting the CA from the config, and caches the token", async () => {
    const facts = secure.kubeConfigFacts();
    const credential = countingCredential(facts.token, 3_600_000);
    const scope = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";
    const config = await kubeConfigFor(
      {
        type: "aks",
        server: secure.url,
        certificateAuthorityData: Buffer.from(facts.ca ?? "").toString("base64"),
        scope,
      },
      { credential },
    );
    expect(await namespaces(config)).toContain("secure-ns");
    await namespaces(config);
    expect(credential.calls).toEqual([scope]);
  });

  it("fetches a new Entra token when the cached one is about to expire", async () => {
    const facts = secure.kubeConfigFacts();
    const credential = countingCredential(facts.token, 60_000);
    const config = await kubeConfigFor(
      {
        type: "aks",
        server: secure.url,
        certificateAuthorityData: Buffer.from(facts.ca ?? "").toString("base64"),
        scope: "aks/.default",
      },
      { credential, refreshBeforeExpiryInMs: 120_000 },
    );
    await namespaces(config);
    const afterFirst = credential.calls.length;
    await namespaces(config);
    expect(credential.calls.length).toBeGreaterThan(afterFirst);
  });

  it("does not trust an AKS server whose CA is not the configured one", async () => {
    const other = Buffer.from((await makeTestCertificate()).cert).toString("base64");
    const config = await kubeConfigFor(
      { type: "aks", server: secure.url, certificateAuthorityData: other, scope: "aks/.default" },
      { credential: countingCredential(secure.kubeConfigFacts().token, 3_600_000) },
    );
    await expect(namespaces(config)).rejects.toThrow(/certificate/i);
  });

  it("needs a credential for AKS", async () => {
    await expect(
      kubeConfigFor({ type: "aks", server: secure.url, scope: "aks/.default" }),
    ).rejects.toMatchObject({ name: "InputError" });
  });
});
