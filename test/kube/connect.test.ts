import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
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

  describe("from the environment the edge passes (never process.env)", () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it("reads KUBECONFIG from the env option, merging files with the first current context", async () => {
      const first = join(dir, "env-first");
      const second = join(dir, "env-second");
      await plain.writeKubeConfig(first, { context: "first" });
      await secure.writeKubeConfig(second, { context: "second" });
      vi.stubEnv("KUBECONFIG", join(dir, "missing"));
      const config = await kubeConfigFor(
        { type: "kubeconfig" },
        { env: { KUBECONFIG: [first, second].join(delimiter) } },
      );
      expect(config.getCurrentContext()).toBe("first");
      expect(config.getContexts().map((c) => c.name)).toEqual(["first", "second"]);
      expect(await namespaces(config)).toContain("plain-ns");
    });

    it("falls back to $HOME/.kube/config from the env option", async () => {
      const home = join(dir, "home");
      await mkdir(join(home, ".kube"), { recursive: true });
      await plain.writeKubeConfig(join(home, ".kube", "config"), { context: "at-home" });
      const config = await kubeConfigFor({ type: "kubeconfig" }, { env: { HOME: home } });
      expect(config.getCurrentContext()).toBe("at-home");
    });

    it("does not read process.env: without the env option there is no default kubeconfig", async () => {
      const path = join(dir, "in-process-env");
      await plain.writeKubeConfig(path, { context: "edge" });
      vi.stubEnv("KUBECONFIG", path);
      await expect(kubeConfigFor({ type: "kubeconfig" })).rejects.toMatchObject({
        name: "InputError",
        message: expect.stringContaining("Cannot load the default kubeconfig: KUBECONFIG is not set"),
      });
    });

    it("builds the inCluster connection from KUBERNETES_SERVICE_HOST/PORT in the env option", async () => {
      const account = join(dir, "serviceaccount");
      await mkdir(account, { recursive: true });
      await writeFile(join(account, "namespace"), "apim-gateway\n");
      vi.stubEnv("KUBERNETES_SERVICE_HOST", "10.9.9.9");
      vi.stubEnv("KUBERNETES_SERVICE_PORT", "443");
      await expect(
        kubeConfigFor({ type: "inCluster" }, { serviceAccountDirectory: account }),
      ).rejects.toMatchObject({
        name: "InputError",
        message: expect.stringContaining("inside a Kubernetes pod"),
      });
      const config = await kubeConfigFor(
        { type: "inCluster" },
        {
          env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" },
          serviceAccountDirectory: account,
        },
      );
      expect(config.getCurrentCluster()).toMatchObject({
        server: "https://[fd00::1]:6443",
        caFile: join(account, "ca.crt"),
      });
      expect(config.getContextObject(config.getCurrentContext())?.namespace).toBe("apim-gateway");
      expect(config.getCurrentUser()?.authProvider).toEqual({
        name: "tokenFile",
        config: { tokenFile: join(account, "token") },
      });
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

describe("connections", () => {
  it("reuses the connections of one cluster across requests and API clients (one TLS handshake, not one a request)", async () => {
    const path = join(dir, "reuse-config");
    await secure.writeKubeConfig(path);
    const config = await kubeConfigFor({ type: "kubeconfig", path });
    const before = secure.connections;
    for (let i = 0; i < 5; i++) expect(await namespaces(config)).toContain("secure-ns");
    await config.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: "secure-ns" });
    expect(secure.connections - before).toBe(1);

    await Promise.all(Array.from({ length: 4 }, () => namespaces(config)));
    const afterBurst = secure.connections;
    expect(afterBurst - before).toBeLessThanOrEqual(4);
    await Promise.all(Array.from({ length: 4 }, () => namespaces(config)));
    expect(secure.connections).toBe(afterBurst);
  });

  it("opens new connections when the cluster's TLS settings change (another context)", async () => {
    const first = join(dir, "switch-plain");
    const second = join(dir, "switch-secure");
    await plain.writeKubeConfig(first, { context: "plain" });
    await secure.writeKubeConfig(second, { context: "secure" });
    const config = await kubeConfigFor(
      { type: "kubeconfig", context: "plain" },
      { env: { KUBECONFIG: [first, second].join(delimiter) } },
    );
    expect(await namespaces(config)).toContain("plain-ns");
    config.setCurrentContext("secure");
    expect(await namespaces(config)).toContain("secure-ns");
    config.setCurrentContext("plain");
    expect(await namespaces(config)).toContain("plain-ns");
  });

  it("reuses connections over plain HTTP too", async () => {
    const path = join(dir, "reuse-plain");
    await plain.writeKubeConfig(path);
    const config = await kubeConfigFor({ type: "kubeconfig", path });
    const before = plain.connections;
    for (let i = 0; i < 3; i++) await namespaces(config);
    expect(plain.connections - before).toBe(1);
  });
});
