import { describe, expect, it } from "vitest";
import { nextExpiry, planRotation } from "../../shared/rotation/plan.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { dayInMs, fakeWorld, gatewayConfig, target } from "./fakes.js";

const east = target("east");
const west = target("west");

function inDays(world: ReturnType<typeof fakeWorld>, days: number): Date {
  return new Date(world.clock.current.getTime() + days * dayInMs);
}

/** A world whose Key Vault and Secrets hold the same token, as after a rotation. */
async function synced(days: number, keyType: "primary" | "secondary" = "primary", kvExpiry = true) {
  const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
  const expiresOn = inDays(world, days);
  const token = await world.issuer.mint(world.gateway.apim, keyType, expiresOn);
  world.vault.put("gw1-token", { token, keyType, expiresOn: kvExpiry ? expiresOn : undefined });
  for (const t of [east, west]) world.clusterOf(t).addDeployment(t, { token });
  return { world, token };
}

describe("planRotation", () => {
  it("plans a first run with the primary key and now + lifetime", async () => {
    const world = fakeWorld();
    const { plan, state } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "out-of-sync", action: "mint", nextKeyType: "primary" });
    expect(plan.nextExpiresOn).toEqual(inDays(world, 29));
    expect(plan.currentKeyType).toBeUndefined();
    expect(state.vault).toBeUndefined();
  });

  it("alternates from the key type annotated on a Secret when Key Vault has nothing yet", async () => {
    const world = fakeWorld();
    world.clusterOf(east).addDeployment(east, {
      token: "gw1&202503100000&c2ln",
      annotations: {
        [secretAnnotations.keyType]: "primary",
        [secretAnnotations.expiresOn]: "2025-03-10T00:00:00.000Z",
      },
    });
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ action: "mint", currentKeyType: "primary", nextKeyType: "secondary" });
  });

  it("ignores the annotations of a Secret whose token was replaced by hand: key type unknown, the token's own expiry", async () => {
    const { world } = await synced(20);
    const cluster = world.clusterOf(west);
    const annotations = {
      [secretAnnotations.keyType]: "primary",
      [secretAnnotations.expiresOn]: inDays(world, 20).toISOString(),
      [secretAnnotations.vaultVersion]: "v1",
    };
    cluster.addDeployment(west, { token: "gw1&202503040000&aGFuZA==", annotations });
    const { plan, state } = await planRotation(world.gateway, world.deps);
    expect(plan.deployments[1]).toEqual({
      target: "west/gateways/gw",
      inSync: false,
      expiresOn: new Date("2025-03-04T00:00:00Z"),
    });
    expect(state.deployments[1].keyType).toBeUndefined();
    expect(state.deployments[0]).toMatchObject({ keyType: "primary", expiresOn: inDays(world, 20) });
  });

  it("is fresh while more than renew-before is left and every Secret matches", async () => {
    const { world } = await synced(7.5);
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "fresh", action: "none", currentKeyType: "primary" });
    expect(plan.deployments).toEqual([
      { target: "east/gateways/gw", inSync: true, expiresOn: inDays(world, 7.5) },
      { target: "west/gateways/gw", inSync: true, expiresOn: inDays(world, 7.5) },
    ]);
    expect(plan.reason).toContain("expires in 7.5 days");
  });

  it("is expiring with less than renew-before left, and mints with the other key", async () => {
    const { world } = await synced(6.9, "secondary");
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "expiring", action: "mint", nextKeyType: "primary" });
    expect(plan.reason).toContain("less than the 7 days renew-before");
  });

  it("falls back to the token's own expiry when Key Vault has no expiresOn", async () => {
    const { world } = await synced(3, "primary", false);
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan.decision).toBe("expiring");
    expect(plan.currentExpiresOn).toEqual(inDays(world, 3));
  });

  it("treats a token whose expiry cannot be known as expiring", async () => {
    const world = fakeWorld();
    world.vault.put("gw1-token", { token: "not-a-gateway-token", keyType: "primary" });
    world.clusterOf(east).addDeployment(east, { token: "not-a-gateway-token" });
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "expiring", action: "mint", nextKeyType: "secondary" });
    expect(plan.reason).toContain("unknown");
  });

  it("is forced on request", async () => {
    const { world } = await synced(20);
    const { plan } = await planRotation(world.gateway, world.deps, { force: true });
    expect(plan).toMatchObject({ decision: "forced", action: "mint", nextKeyType: "secondary" });
  });

  it("delivers Key Vault's token to the Secrets that differ while it is fresh", async () => {
    const { world } = await synced(20);
    world.clusterOf(west).addDeployment(west, {
      token: "gw1&202503050000&b2xk",
      annotations: { [secretAnnotations.expiresOn]: "2025-03-05T00:00:00.000Z" },
    });
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "out-of-sync", action: "deliver" });
    expect(plan.nextKeyType).toBeUndefined();
    expect(plan.deployments[1]).toEqual({
      target: "west/gateways/gw",
      inSync: false,
      expiresOn: new Date("2025-03-05T00:00:00.000Z"),
    });
    expect(plan.reason).toContain("1 of 2 deployments differ from Key Vault (west/gateways/gw)");
  });

  it("mints when Secrets differ and Key Vault's token is no longer fresh", async () => {
    const { world } = await synced(2);
    world.clusterOf(west).addDeployment(west, {});
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(plan).toMatchObject({ decision: "out-of-sync", action: "mint", nextKeyType: "secondary" });
  });

  it("keeps tokens out of the plan", async () => {
    const { world, token } = await synced(2);
    const { plan } = await planRotation(world.gateway, world.deps);
    expect(JSON.stringify(plan)).not.toContain(token);
  });
});

describe("nextExpiry", () => {
  it("is now + lifetime, never more than 30 days", () => {
    const now = new Date("2025-01-01T00:00:00Z");
    expect(nextExpiry(now, 29)).toEqual(new Date("2025-01-30T00:00:00Z"));
    expect(nextExpiry(now, 45)).toEqual(new Date("2025-01-31T00:00:00Z"));
  });
});
