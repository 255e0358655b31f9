import { describe, expect, it } from "vitest";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { gatewayStatus } from "../../shared/rotation/status.js";
import { sha256 } from "../../shared/token/parse.js";
import { fakeWorld, gatewayConfig, target } from "./fakes.js";

const east = target("east");
const west = target("west");

describe("gatewayStatus", () => {
  it("shows key type, expiry and sync per deployment, with hashes instead of tokens", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const token = (await world.vault.current("gw1-token"))!.token;
    world.clusterOf(west).addDeployment(west, { token: "gw1&202503020000&b2xk" });
    world.clock.advanceDays(2);

    const status = await gatewayStatus(world.gateway, world.deps);
    expect(status.vault).toMatchObject({
      exists: true,
      version: "v1",
      keyType: "primary",
      expiresInDays: 27,
    });
    expect(status.vault.sha256).toBe(sha256(token));
    expect(status.deployments[0]).toMatchObject({
      target: "east/gateways/gw",
      secretName: "gw-token",
      secretKey: "value",
      hasToken: true,
      keyType: "primary",
      expiresInDays: 27,
      inSync: true,
      rolloutPending: false,
      sha256: sha256(token),
      vaultVersion: "v1",
      rotatedAt: new Date("2025-03-01T00:00:00Z"),
    });
    expect(status.deployments[1]).toMatchObject({ inSync: false, expiresInDays: -1, hasToken: true });
    expect(status).toMatchObject({ decision: "out-of-sync", action: "deliver" });
    expect(JSON.stringify(status)).not.toContain(token);
  });

  it("shows a Secret whose token was replaced by hand with key type unknown and the token's own expiry", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(west);
    const annotations = { ...cluster.secrets.get("west/gateways/gw")!.annotations };
    cluster.addDeployment(west, { token: "gw1&202503110000&aGFuZA==", annotations });
    const handEdited = { keyType: undefined, expiresOn: new Date("2025-03-11T00:00:00Z"), inSync: false };

    const status = await gatewayStatus(world.gateway, world.deps);
    expect(status.deployments[1]).toMatchObject({ ...handEdited, expiresInDays: 10 });
    expect(status.deployments[1].rotatedAt, "rotated-at describes the replaced token").toBeUndefined();
    expect(status.deployments[0].rotatedAt).toEqual(new Date("2025-03-01T00:00:00Z"));
    const unreadableVault = await gatewayStatus(world.gateway, {
      ...world.deps,
      vault: { current: () => Promise.reject(new Error("vault down")), store: world.vault.store },
    });
    expect(unreadableVault.deployments[1]).toMatchObject({ ...handEdited, inSync: null });
    expect(unreadableVault.deployments[0]).toMatchObject({
      keyType: "primary",
      expiresInDays: 29,
      inSync: null,
    });
    expect(unreadableVault.vault.error).toContain("vault down");
  });

  it("reports a deployment it cannot read instead of failing", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const status = await gatewayStatus(world.gateway, {
      ...world.deps,
      clusterFor: () => {
        throw Object.assign(new Error("secrets is forbidden"), { name: "PermissionDeniedError" });
      },
    });
    expect(status.vault.exists).toBe(true);
    expect(status.deployments).toEqual([
      {
        target: "east/gateways/gw",
        hasToken: false,
        inSync: null,
        rolloutPending: false,
        error: "PermissionDeniedError: secrets is forbidden",
      },
    ]);
    expect(status.decision).toBeUndefined();
  });

  it("shows a gateway never rotated", async () => {
    const world = fakeWorld();
    const status = await gatewayStatus(world.gateway, world.deps);
    expect(status.vault).toMatchObject({ exists: false, secretName: "gw1-token" });
    expect(status.deployments[0]).toMatchObject({ hasToken: false, inSync: false });
    expect(status).toMatchObject({ decision: "out-of-sync", action: "mint" });
  });
});
