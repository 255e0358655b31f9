import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenContentType } from "../../shared/azure/keyvault.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { startFleet, type Fleet } from "./fleet.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ identity: true });
});

afterAll(async () => {
  await fleet?.stop();
});

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("startFleet", () => {
  it("seeds each gateway with a token the ARM stand-in signed, in Key Vault and in every deployment's Secret", () => {
    expect(fleet.gateways.map((g) => g.name)).toEqual(["orders", "payments"]);
    for (const gateway of fleet.gateways) {
      const [version] = fleet.keyVault.versions(gateway.vaultSecret);
      expect(version.contentType).toBe(tokenContentType);
      const check = fleet.arm.isValid(version.value);
      expect(check.valid).toBe(true);
      for (const d of gateway.deployments) {
        expect(fleet.secretToken(d)).toBe(version.value);
        const annotations = d.standin.get("Secret", d.namespace, d.secretName)?.metadata.annotations ?? {};
        expect(annotations[secretAnnotations.vaultVersion]).toBe(version.version);
        const pods = d.standin.podTokens(d.namespace, d.deployment);
        expect(pods).toHaveLength(3);
        expect(pods.every((p) => Object.values(p.env).includes(`GatewayKey ${version.value}`))).toBe(true);
      }
    }
  });

  it("uses both Secret layouts, in two clusters", () => {
    const orders = fleet.gateways[0].deployments;
    expect(orders.map((d) => [d.context, d.secretKey])).toEqual([
      ["aks-east", "value"],
      ["aks-west", "gateway-key"],
    ]);
    expect(orders[0].standin).not.toBe(orders[1].standin);
  });

  it("writes a valid configuration and a kubeconfig with one context per cluster", async () => {
    const config = await fleet.loadConfig();
    expect(config.armEndpoint).toBe(fleet.arm.endpoint);
    expect(config.gateways[0].keyVault.url).toBe(fleet.keyVault.namedVaultUrl);
    expect(fleet.keyVault.namedVaultUrl).toMatch(/^https:\/\/gateway-guard\.vault\.localhost:\d+$/);
    expect(config.gateways.map((g) => [g.name, g.deployments.length])).toEqual([
      ["orders", 2],
      ["payments", 1],
    ]);
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(fleet.kubeconfigPath);
    expect(kubeconfig.getContexts().map((c) => c.name)).toEqual(["aks-east", "aks-west"]);
    expect(kubeconfig.getCluster("aks-east")?.server).toBe(fleet.clusters[0].url);
    expect(await readFile(fleet.caPath, "utf8")).toContain("BEGIN CERTIFICATE");
  });

  it("gives child processes the CA and the identity endpoint", () => {
    expect(fleet.env.NODE_EXTRA_CA_CERTS).toBe(fleet.caPath);
    expect(fleet.env.NODE_OPTIONS).toMatch(/^--import ".*localhostPreload\.js"$/);
    expect(fleet.env.IDENTITY_ENDPOINT).toBe(fleet.identity?.endpoint);
    expect(fleet.env.IDENTITY_HEADER).toMatch(/^[0-9a-f]{32}$/);
  });

  it("stops every server", async () => {
    const other = await startFleet({ clusters: ["only"], gateways: [] });
    const urls = [other.arm.endpoint, other.keyVault.vaultUrl, other.clusters[0].url];
    expect(await Promise.all(urls.map(refused))).toEqual([false, false, false]);
    await other.stop();
    expect(await Promise.all(urls.map(refused))).toEqual([true, true, true]);
  });
});
