import { describe, expect, it } from "vitest";
import { PermissionDeniedError, PreflightError, RolloutError } from "../../shared/errors.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { targetLabel } from "../../shared/rotation/target.js";
import {
  secretAnnotations,
  type GatewayCluster,
  type RotationDeps,
  type RotationPlan,
} from "../../shared/rotation/types.js";
import { failure } from "../failure.js";
import { dayInMs, fakeWorld, gatewayConfig, target } from "./fakes.js";

const east = target("east");
const west = target("west", "apim", "gateway");

/** Every token the fakes hold anywhere: none may appear in a log or an outcome. */
function allTokens(world: ReturnType<typeof fakeWorld>): string[] {
  const tokens = [...world.vault.versions.values()].flat().map((v) => v.token);
  for (const cluster of world.clusters.values()) {
    for (const secret of cluster.secrets.values()) if (secret.token) tokens.push(secret.token);
  }
  return tokens;
}

function expectNoTokenIn(world: ReturnType<typeof fakeWorld>, ...outputs: unknown[]): void {
  const tokens = allTokens(world);
  expect(tokens.length).toBeGreaterThan(0);
  const text = world.log.text() + JSON.stringify(outputs);
  for (const token of tokens) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split("&")[2]);
  }
}

describe("rotateGateway", () => {
  it("first run mints with the primary key, stores in Key Vault, delivers and rolls", async () => {
    const world = fakeWorld();
    const outcome = await rotateGateway(world.gateway, world.deps);

    expect(outcome.status).toBe("rotated");
    expect(outcome.plan.decision).toBe("out-of-sync");
    expect(outcome.plan.reason).toContain("first run");
    expect(outcome.keyType).toBe("primary");
    expect(outcome.expiresOn).toEqual(new Date(world.clock.current.getTime() + 29 * dayInMs));
    expect(outcome.vaultVersion).toBe("v1");
    expect(outcome.deployments).toEqual([{ target: "east/gateways/gw", status: "rotated" }]);

    const stored = await world.vault.current("gw1-token");
    expect(stored?.keyType).toBe("primary");
    expect(world.issuer.signedWith(stored!.token)).toBe("primary");
    const cluster = world.clusterOf(east);
    expect(cluster.tokenOf(east)).toBe(stored!.token);
    expect(cluster.podTokens.get("east/gateways/gw")).toBe(stored!.token);
    expect(cluster.secrets.get("east/gateways/gw")!.annotations).toEqual({
      [secretAnnotations.keyType]: "primary",
      [secretAnnotations.expiresOn]: outcome.expiresOn!.toISOString(),
      [secretAnnotations.vaultVersion]: "v1",
      [secretAnnotations.rotatedAt]: world.clock.current.toISOString(),
      [secretAnnotations.rolledOutVersion]: "v1",
    });
    expect(world.log.names()).toEqual(["rotation.planned"]);
    expect(outcome.final).toBe(true);
    expect(world.lock.held.size).toBe(0);
    expectNoTokenIn(world, outcome);
  });

  it("alternates primary and secondary as tokens come close to expiry", async () => {
    const world = fakeWorld();
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await rotateGateway(world.gateway, world.deps);
      expect(outcome.status).toBe("rotated");
      if (i > 0) expect(outcome.plan.decision).toBe("expiring");
      keys.push(outcome.keyType!);
      world.clock.advanceDays(23);
    }
    expect(keys).toEqual(["primary", "secondary", "primary"]);
    expect(world.issuer.mints.map((m) => m.keyType)).toEqual(keys);
  });

  it("does nothing when the token is fresh and every deployment has it", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(20);
    const cluster = world.clusterOf(east);
    const writes = cluster.writes.length;

    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("fresh");
    expect(outcome.plan).toMatchObject({ decision: "fresh", action: "none" });
    expect(outcome.deployments).toEqual([{ target: "east/gateways/gw", status: "unchanged" }]);
    expect(world.issuer.mints).toHaveLength(1);
    expect(cluster.writes).toHaveLength(writes);
    expect(cluster.restarts).toHaveLength(1);
  });

  it("mints with the other key when forced, even though the token is fresh", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome.plan.decision).toBe("forced");
    expect(outcome.status).toBe("rotated");
    expect(outcome.keyType).toBe("secondary");
    expect(world.issuer.mints).toHaveLength(2);
  });

  it("finishes an interrupted run by delivering Key Vault's fresh token without minting again", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(23);
    const real = world.clusterOf(east);
    const crashing: GatewayCluster = {
      readToken: (t) => real.readToken(t),
      preflight: (t) => real.preflight(t),
      listSecretConsumers: (t) => real.listSecretConsumers(t),
      writeToken: async () => {
        throw new Error("connection reset");
      },
      restart: (t) => real.restart(t),
      waitForRollout: (t, o) => real.waitForRollout(t, o),
    };
    const interrupted = await rotateGateway(world.gateway, { ...world.deps, clusterFor: () => crashing });
    expect(interrupted.status).toBe("failed");
    expect(interrupted.deployments[0].reason).toContain("connection reset");
    expect(world.issuer.mints).toHaveLength(2);
    const newToken = (await world.vault.current("gw1-token"))!.token;
    expect(real.tokenOf(east)).not.toBe(newToken);

    const repaired = await rotateGateway(world.gateway, world.deps);
    expect(repaired.plan).toMatchObject({ decision: "out-of-sync", action: "deliver" });
    expect(repaired.status).toBe("delivered");
    expect(repaired.keyType).toBe("secondary");
    expect(repaired.vaultVersion).toBe("v2");
    expect(repaired.deployments).toEqual([{ target: "east/gateways/gw", status: "delivered" }]);
    expect(world.issuer.mints).toHaveLength(2);
    expect(real.tokenOf(east)).toBe(newToken);
    expect(real.podTokens.get("east/gateways/gw")).toBe(newToken);
    expect(real.secrets.get("east/gateways/gw")!.annotations[secretAnnotations.vaultVersion]).toBe("v2");
  });

  it("finishes a run stopped between the Secret write and the restart by rolling again", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    const expiresOn = new Date(world.clock.current.getTime() + 29 * dayInMs);
    const token = await world.issuer.mint(world.gateway.apim, "secondary", expiresOn);
    const stored = world.vault.put("gw1-token", { token, keyType: "secondary", expiresOn });
    const { resourceVersion } = await cluster.readToken(east);
    await cluster.writeToken(east, token, {
      resourceVersion,
      annotations: {
        [secretAnnotations.keyType]: "secondary",
        [secretAnnotations.vaultVersion]: stored.version,
      },
    });
    expect(cluster.podTokens.get(targetLabel(east))).not.toBe(token);

    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.plan).toMatchObject({ decision: "out-of-sync", action: "deliver" });
    expect(outcome.plan.reason).toContain("east/gateways/gw: rollout not confirmed");
    expect(outcome.status).toBe("delivered");
    expect(world.issuer.mints).toHaveLength(2);
    expect(cluster.podTokens.get(targetLabel(east))).toBe(token);
    expect((await rotateGateway(world.gateway, world.deps)).status).toBe("fresh");
  });

  it("mints when a Secret differs from Key Vault and Key Vault's token is expiring too", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(26);
    world.vault.put("gw1-token", {
      token: await world.issuer.mint(
        world.gateway.apim,
        "secondary",
        new Date(world.clock.current.getTime() + 2 * dayInMs),
      ),
      keyType: "secondary",
      expiresOn: new Date(world.clock.current.getTime() + 2 * dayInMs),
    });
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.plan).toMatchObject({ decision: "out-of-sync", action: "mint", nextKeyType: "primary" });
    expect(outcome.status).toBe("rotated");
    expect(world.clusterOf(east).tokenOf(east)).toBe((await world.vault.current("gw1-token"))!.token);
  });

  it("rotates a gateway with two deployments in two clusters together", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rotated");
    expect(outcome.deployments).toEqual([
      { target: "east/gateways/gw", status: "rotated" },
      { target: "west/apim/gateway", status: "rotated" },
    ]);
    const token = (await world.vault.current("gw1-token"))!.token;
    expect(world.clusters.size).toBe(2);
    expect(world.clusterOf(east).podTokens.get(targetLabel(east))).toBe(token);
    expect(world.clusterOf(west).podTokens.get(targetLabel(west))).toBe(token);
    expect(world.clusterOf(west).restarts).toEqual(["west/apim/gateway"]);
  });

  it("rolls back a deployment whose rollout stalls and does not revoke", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west], revokeOldKey: true }));
    await rotateGateway(world.gateway, world.deps);
    const oldToken = (await world.vault.current("gw1-token"))!.token;
    world.clock.advanceDays(23);
    world.clusterOf(west).stalls.set(targetLabel(west), 1);
    const progress: string[] = [];

    const outcome = await rotateGateway(world.gateway, world.deps, {
      onProgress: (p) => progress.push(p.target),
    });
    expect(outcome.status).toBe("rolled-back");
    expect(outcome.deployments[0]).toEqual({ target: "east/gateways/gw", status: "rotated" });
    expect(outcome.deployments[1].status).toBe("rolled-back");
    expect(outcome.deployments[1].reason).toContain("progress deadline");
    expect(outcome.reason).toContain("not revoked");
    expect(outcome.revokedKeyType).toBeUndefined();
    expect(world.issuer.revocations).toEqual([]);

    const westCluster = world.clusterOf(west);
    expect(westCluster.tokenOf(west)).toBe(oldToken);
    expect(westCluster.podTokens.get(targetLabel(west))).toBe(oldToken);
    expect(westCluster.secrets.get(targetLabel(west))!.annotations[secretAnnotations.keyType]).toBe(
      "primary",
    );
    expect(westCluster.restarts).toEqual(["west/apim/gateway", "west/apim/gateway", "west/apim/gateway"]);
    expect(world.issuer.isValid(oldToken)).toBe(true);
    expect(progress).toContain("west/apim/gateway");
    expect(outcome.final).toBe(true);
    expect(world.log.names().slice(1)).toEqual(["rotation.planned", "rotation.rolling-back"]);
    expectNoTokenIn(world, outcome);
  });

  it("reports failed when the rollback stalls too, and stops before the next deployment", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const westWrites = world.clusterOf(west).writes.length;
    world.clusterOf(east).stalls.set(targetLabel(east), 2);
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome.status).toBe("failed");
    expect(outcome.deployments[0].status).toBe("failed");
    expect(outcome.deployments[0].reason).toContain("rolling back failed too");
    expect(outcome.deployments[1]).toEqual({
      target: "west/apim/gateway",
      status: "unchanged",
      reason: "not attempted after east/gateways/gw failed",
    });
    expect(world.clusterOf(west).writes).toHaveLength(westWrites);
    expect(world.issuer.revocations).toEqual([]);
  });

  it("revokes the previous key after every deployment succeeded", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const oldToken = (await world.vault.current("gw1-token"))!.token;
    world.clock.advanceDays(23);

    const outcome = await rotateGateway(world.gateway, world.deps, { revokeOldKey: true });
    const newToken = (await world.vault.current("gw1-token"))!.token;
    expect(outcome.status).toBe("rotated");
    expect(outcome.keyType).toBe("secondary");
    expect(outcome.revokedKeyType).toBe("primary");
    expect(world.issuer.revocations).toEqual([{ gatewayId: "gw1", keyType: "primary" }]);
    expect(world.issuer.isValid(oldToken)).toBe(false);
    expect(world.issuer.isValid(newToken)).toBe(true);
    expectNoTokenIn(world, outcome);
  });

  it("lets the option override the configuration's revokeOldKey", async () => {
    const world = fakeWorld(gatewayConfig({ revokeOldKey: true }));
    await rotateGateway(world.gateway, world.deps);
    const oldToken = (await world.vault.current("gw1-token"))!.token;
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: false });
    expect(outcome.revokedKeyType).toBeUndefined();
    expect(world.issuer.isValid(oldToken)).toBe(true);

    const revoking = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(revoking.revokedKeyType).toBe("secondary");
  });

  it("reports unrevoked, final, when regenerating fails after a successful rollout", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.issuer.revoke = async () => {
      throw new Error("403 regenerateKey/action");
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "unrevoked", final: true });
    expect(outcome.deployments[0].status).toBe("rotated");
    expect(outcome.reason).toContain("the primary key was NOT regenerated: regenerating it failed: 403");
  });

  it("caps the expiry at 30 days even when the configuration asks for more", async () => {
    const world = fakeWorld(gatewayConfig({ tokenLifetimeInDays: 45 }));
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rotated");
    expect(outcome.expiresOn).toEqual(new Date(world.clock.current.getTime() + 30 * dayInMs));
    expect(world.issuer.mints[0].expiresOn).toEqual(outcome.expiresOn);
  });

  it("re-reads the Secret once and retries when the write meets a conflict", async () => {
    const world = fakeWorld();
    const cluster = world.clusterOf(east);
    cluster.conflicts.add(targetLabel(east));
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rotated");
    expect(cluster.writes).toEqual([
      { target: "east/gateways/gw", resourceVersion: "1" },
      { target: "east/gateways/gw", resourceVersion: "2" },
      { target: "east/gateways/gw", resourceVersion: "3" },
    ]);
    expect(cluster.tokenOf(east)).toBe((await world.vault.current("gw1-token"))!.token);
    expect(world.log.names()).toContain("rotation.conflict");
  });

  it("confirms the rollout on the resourceVersion it wrote, without reading the Secret a third time", async () => {
    const world = fakeWorld();
    const cluster = world.clusterOf(east);
    const read = cluster.readToken.bind(cluster);
    let reads = 0;
    cluster.readToken = async (t) => (reads++, read(t));
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rotated");
    expect(reads).toBe(2);
    expect(cluster.writes.map((w) => w.resourceVersion)).toEqual(["1", "2"]);
    expect(cluster.secrets.get("east/gateways/gw")!.annotations[secretAnnotations.rolledOutVersion]).toBe(
      "v1",
    );
  });

  it("confirms the rollout on a fresh read when the Secret changed after its write", async () => {
    const world = fakeWorld();
    const cluster = world.clusterOf(east);
    const restart = cluster.restart.bind(cluster);
    cluster.restart = async (t, options) => {
      cluster.conflicts.add(targetLabel(t));
      return restart(t, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rotated");
    expect(cluster.writes.map((w) => w.resourceVersion)).toEqual(["1", "2", "3"]);
    expect(cluster.secrets.get("east/gateways/gw")!.annotations[secretAnnotations.rolledOutVersion]).toBe(
      "v1",
    );
    expect(world.log.names()).not.toContain("rotation.confirm-failed");
  });

  it("fails the deployment when the write conflicts twice", async () => {
    const world = fakeWorld();
    const cluster = world.clusterOf(east);
    const write = cluster.writeToken.bind(cluster);
    cluster.writeToken = async (t, token, options) => {
      cluster.conflicts.add(targetLabel(t));
      return write(t, token, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("failed");
    expect(outcome.deployments[0].reason).toContain("ConflictError");
    expect(cluster.restarts).toEqual([]);
  });

  it("throws LockHeldError and mints nothing while another rotation holds the lock", async () => {
    const world = fakeWorld();
    world.lock.holdAs("gw1", "other-host");
    await expect(rotateGateway(world.gateway, world.deps, { force: true })).rejects.toMatchObject({
      name: "LockHeldError",
      message: expect.stringContaining('"gw1"'),
    });
    expect(world.issuer.mints).toEqual([]);
    expect(world.vault.versions.size).toBe(0);
    expect(world.clusterOf(east).writes).toEqual([]);
  });

  it("takes a short lock (renewed by the adapter), whatever the rollout timeout", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west], rolloutTimeoutInMs: 600_000 }));
    await rotateGateway(world.gateway, world.deps);
    expect(world.lock.acquisitions).toEqual([{ gateway: "gw1", ttlInMs: 90_000 }]);
    expect(world.lock.releases).toEqual(["gw1"]);
  });

  it("names the lock's holder, its last renewal and its expiry when locked", async () => {
    const world = fakeWorld();
    world.lock.holdAs("gw1", "func-host-42", 90_000);
    const error = await failure(rotateGateway(world.gateway, world.deps));
    expect(error).toMatchObject({
      name: "LockHeldError",
      message:
        'another rotation of gateway "gw1" is in progress (held by func-host-42, last renewed 2025-03-01T00:00:00.000Z, expires 2025-03-01T00:01:30.000Z unless renewed); try again later',
    });
    expect(world.log.events).toContainEqual({
      level: "warn",
      event: "rotation.locked",
      fields: {
        gateway: "gw1",
        holder: "func-host-42",
        renewedAt: "2025-03-01T00:00:00.000Z",
        expiresAt: "2025-03-01T00:01:30.000Z",
      },
    });
  });

  it("takes no lock for a fresh gateway, and plans again under the lock before acting", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(1);
    expect((await rotateGateway(world.gateway, world.deps)).status).toBe("fresh");
    expect(world.lock.acquisitions).toHaveLength(1);

    world.clock.advanceDays(22);
    const tryAcquire = world.lock.tryAcquire.bind(world.lock);
    world.lock.tryAcquire = async (gateway, options) => {
      const other = await rotateGateway(world.gateway, { ...world.deps, lock: { tryAcquire } });
      expect(other.status).toBe("rotated");
      return tryAcquire(gateway, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome).toMatchObject({ status: "fresh", plan: { decision: "fresh" } });
    expect(world.issuer.mints).toHaveLength(2);
    expect(world.log.names()).toContain("rotation.replanned");
  });

  it("dry run plans without minting or writing", async () => {
    const world = fakeWorld();
    const outcome = await rotateGateway(world.gateway, world.deps, { dryRun: true });
    expect(outcome.status).toBe("planned");
    expect(outcome.reason).toMatch(/^dry run: /);
    expect(outcome.plan).toMatchObject({ action: "mint", nextKeyType: "primary" });
    expect(outcome.deployments).toEqual([{ target: "east/gateways/gw", status: "unchanged" }]);
    expect(world.issuer.mints).toEqual([]);
    expect(world.vault.versions.size).toBe(0);
    expect(world.clusterOf(east).writes).toEqual([]);
    expect(world.log.events[0].fields).toMatchObject({ dryRun: true, action: "mint" });

    await rotateGateway(world.gateway, world.deps);
    const fresh = await rotateGateway(world.gateway, world.deps, { dryRun: true });
    expect(fresh.status).toBe("fresh");
  });

  it("dry run takes no lock, so it plans while another rotation holds it", async () => {
    const world = fakeWorld();
    world.lock.holdAs("gw1", "other-host");
    const outcome = await rotateGateway(world.gateway, world.deps, { dryRun: true });
    expect(outcome).toMatchObject({ status: "planned", plan: { action: "mint" } });
    expect(world.lock.acquisitions).toEqual([]);
    expect(world.log.metrics).toEqual([]);
  });

  it("hands the plan to onPlan before anything changes", async () => {
    const world = fakeWorld();
    const seen: Array<{ plan: RotationPlan; mints: number; writes: number }> = [];
    const outcome = await rotateGateway(world.gateway, world.deps, {
      onPlan: (plan) =>
        seen.push({ plan, mints: world.issuer.mints.length, writes: world.clusterOf(east).writes.length }),
    });
    expect(seen).toEqual([{ plan: outcome.plan, mints: 0, writes: 0 }]);
  });

  it("pre-flights every target before the lock and minting: a paused or refusing one stops the run, naming each", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const westCluster = world.clusterOf(west);
    const secret = westCluster.secrets.get(targetLabel(west))!;
    westCluster.addDeployment(west, { token: secret.token, annotations: secret.annotations, paused: true });
    world
      .clusterOf(east)
      .preflightFailures.set(
        targetLabel(east),
        new PreflightError('secrets "gw-token" is immutable: data cannot change'),
      );
    const writes = world.clusterOf(east).writes.length + westCluster.writes.length;

    const error = await failure(rotateGateway(world.gateway, world.deps, { force: true }));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toBe(
      'gateway "gw1" cannot be delivered to, so nothing was minted or changed: east/gateways/gw: secrets "gw-token" is immutable: data cannot change; west/apim/gateway: Deployment apim/gateway is paused; resume it (kubectl rollout resume deployment/gateway -n apim) and rotate again',
    );
    expect(world.issuer.mints).toHaveLength(1);
    expect(world.vault.versions.get("gw1-token")).toHaveLength(1);
    expect(world.lock.acquisitions).toHaveLength(1);
    expect(world.clusterOf(east).writes.length + westCluster.writes.length).toBe(writes);
    expect(world.log.metrics.at(-1)).toEqual({
      name: "rotation.outcome",
      value: 1,
      dimensions: { gateway: "gw1", status: "failed" },
    });
  });

  it("throws a transient pre-flight error as it is, so the caller retries", async () => {
    const world = fakeWorld();
    world.clusterOf(east).preflightFailures.set(targetLabel(east), new Error("socket hang up"));
    await expect(rotateGateway(world.gateway, world.deps)).rejects.toThrow("socket hang up");
    expect(world.issuer.mints).toEqual([]);
    expect(world.lock.acquisitions).toEqual([]);
  });

  it("removes on rollback the annotations the Secret did not have before (null in the merge patch)", async () => {
    const world = fakeWorld();
    const cluster = world.clusterOf(east);
    cluster.addDeployment(east, { token: "gw1&202503200000&aGFuZG1hZGU=" });
    cluster.stalls.set(targetLabel(east), 1);
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.status).toBe("rolled-back");
    expect(cluster.tokenOf(east)).toBe("gw1&202503200000&aGFuZG1hZGU=");
    expect(cluster.secrets.get(targetLabel(east))!.annotations).toEqual({});
  });

  it("emits metrics for the outcome and the days left, never a token", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(2);
    await rotateGateway(world.gateway, world.deps);
    world.clusterOf(east).stalls.set(targetLabel(east), 1);
    await rotateGateway(world.gateway, world.deps, { force: true });
    await rotateGateway(world.gateway, world.deps, { force: true, dryRun: true });
    expect(world.log.metrics).toEqual([
      { name: "rotation.outcome", value: 1, dimensions: { gateway: "gw1", status: "rotated" } },
      { name: "token.days_left", value: 29, dimensions: { gateway: "gw1" } },
      { name: "rotation.outcome", value: 1, dimensions: { gateway: "gw1", status: "fresh" } },
      { name: "token.days_left", value: 27, dimensions: { gateway: "gw1" } },
      { name: "rotation.outcome", value: 1, dimensions: { gateway: "gw1", status: "rolled-back" } },
    ]);
    expectNoTokenIn(world);
  });

  it("throws when Key Vault cannot store, changes no cluster and releases the lock", async () => {
    const world = fakeWorld();
    world.vault.failStore = Object.assign(new Error("Forbidden"), { name: "PermissionDeniedError" });
    await expect(rotateGateway(world.gateway, world.deps)).rejects.toMatchObject({
      name: "PermissionDeniedError",
    });
    expect(world.clusterOf(east).writes).toEqual([]);
    expect(world.lock.held.size).toBe(0);
    expect(world.log.names()).toEqual(["rotation.planned"]);
  });

  it("names the error behind a failed deployment, so a caller can tell a 403 is permanent", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    cluster.writeToken = async () => {
      throw new PermissionDeniedError("403 patch secrets", "patch secrets");
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome.status).toBe("failed");
    expect(outcome.deployments[0]).toMatchObject({ status: "failed", errorName: "PermissionDeniedError" });
  });

  it("names the rollout's error on a rolled-back deployment", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clusterOf(east).stalls.set(targetLabel(east), 1);
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome.deployments[0]).toMatchObject({ status: "rolled-back", errorName: "RolloutError" });
  });

  it("starts no further deployment once the abort signal has fired, and reports failed", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const westWrites = world.clusterOf(west).writes.length;
    const deadline = new AbortController();
    const eastCluster = world.clusterOf(east);
    const wait = eastCluster.waitForRollout.bind(eastCluster);
    eastCluster.waitForRollout = async (t, o) => {
      await wait(t, o);
      deadline.abort(new RolloutError("the worker's deadline passed"));
    };
    const outcome = await rotateGateway(world.gateway, world.deps, {
      force: true,
      abortSignal: deadline.signal,
    });
    expect(outcome.status).toBe("failed");
    expect(outcome.reason).toContain(
      "stopped before west/apim/gateway (RolloutError: the worker's deadline passed)",
    );
    expect(outcome.deployments).toEqual([
      { target: "east/gateways/gw", status: "rotated" },
      { target: "west/apim/gateway", status: "unchanged", reason: "not attempted: the run was stopped" },
    ]);
    expect(world.clusterOf(west).writes).toHaveLength(westWrites);
    expect(world.lock.held.size).toBe(0);
  });

  it("throws a step's error without the token in it, keeping its name and properties", async () => {
    const world = fakeWorld();
    let token = "";
    world.vault.store = async (_name, value) => {
      token = value;
      throw new PermissionDeniedError(`setSecret refused ${value}`, "secrets/set", {
        cause: new Error(`body: ${value}`),
      });
    };
    const error = await rotateGateway(world.gateway, world.deps).then(
      () => undefined,
      (e: unknown) => e as PermissionDeniedError,
    );
    expect(token).not.toBe("");
    expect(error).toMatchObject({
      name: "PermissionDeniedError",
      permission: "secrets/set",
      message: "setSecret refused <redacted>",
    });
    expect(`${error?.stack} ${(error?.cause as Error).message}`).not.toContain(token);
    expect((error?.cause as Error).message).toBe("body: <redacted>");
  });

  it("keeps statusCode on a scrubbed error, and drops other properties that may hold a token", async () => {
    const world = fakeWorld();
    world.vault.store = async (_name, token) => {
      throw Object.assign(new Error(`throttled while storing ${token}`), {
        name: "RestError",
        statusCode: 429,
        response: { bodyAsText: token },
      });
    };
    const error = await rotateGateway(world.gateway, world.deps).then(
      () => undefined,
      (e: unknown) => e as Error & { statusCode?: number; response?: unknown },
    );
    expect(error).toMatchObject({ name: "RestError", statusCode: 429 });
    expect(error?.response).toBeUndefined();
    expect(error?.message).toBe("throttled while storing <redacted>");
  });

  it("never lets a token into logs or reasons, even from an adapter's error message", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    const leaky: RotationDeps = {
      ...world.deps,
      clusterFor: () => ({
        readToken: (t) => cluster.readToken(t),
        preflight: (t) => cluster.preflight(t),
        listSecretConsumers: (t) => cluster.listSecretConsumers(t),
        writeToken: async (_t, token) => {
          throw new Error(`rejected value GatewayKey ${token}`);
        },
        restart: (t) => cluster.restart(t),
        waitForRollout: (t, o) => cluster.waitForRollout(t, o),
      }),
    };
    const outcome = await rotateGateway(world.gateway, leaky, { force: true });
    expect(outcome.status).toBe("failed");
    expect(outcome.deployments[0].reason).toContain("rejected value GatewayKey <redacted>");
    expectNoTokenIn(world, outcome);
  });
});

describe("rotateGateway when the lock is lost", () => {
  const north = target("north", "gw", "north");

  /** A world rotated once (every deployment runs a token), revoking the old key on the next run. */
  async function rotatedWorld() {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west, north], revokeOldKey: true }));
    await rotateGateway(world.gateway, world.deps);
    const before = {
      versions: world.vault.versions.get("gw1-token")?.length ?? 0,
      tokens: [east, west, north].map((t) => world.clusterOf(t).tokenOf(t)),
      writes: [east, west, north].map((t) => world.clusterOf(t).writes.length),
      restarts: [east, west, north].map((t) => world.clusterOf(t).restarts.length),
    };
    world.log.events.length = 0;
    return { world, before };
  }

  it("stores nothing in Key Vault and writes no Secret when lost before the Key Vault write", async () => {
    const { world, before } = await rotatedWorld();
    const mint = world.issuer.mint.bind(world.issuer);
    world.issuer.mint = async (...args) => {
      const token = await mint(...args);
      world.lock.lose("gw1");
      return token;
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "failed", errorName: "LockHeldError" });
    expect(outcome.reason).toContain(
      "the rotation lock was lost (LockHeldError: Lost the rotation lock of gw1)",
    );
    expect(world.vault.versions.get("gw1-token")).toHaveLength(before.versions);
    expect([east, west, north].map((t) => world.clusterOf(t).writes.length)).toEqual(before.writes);
    expect(outcome.deployments.map((d) => d.status)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(world.issuer.revocations).toEqual([]);
    expect(world.log.events.find((e) => e.event === "rotation.lock-lost")).toMatchObject({
      level: "error",
      fields: { gateway: "gw1", error: "LockHeldError: Lost the rotation lock of gw1" },
    });
    expect(world.lock.held.size).toBe(0);
    expectNoTokenIn(world, outcome);
  });

  it("writes no Secret when lost after the Key Vault write, and the next run delivers Key Vault's token", async () => {
    const { world, before } = await rotatedWorld();
    const store = world.vault.store.bind(world.vault);
    world.vault.store = async (...args) => {
      const stored = await store(...args);
      world.lock.lose("gw1", new PermissionDeniedError("Lease update forbidden", "update leases"));
      return stored;
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "failed", errorName: "PermissionDeniedError" });
    expect(world.vault.versions.get("gw1-token")).toHaveLength(before.versions + 1);
    expect([east, west, north].map((t) => world.clusterOf(t).writes.length)).toEqual(before.writes);
    expect([east, west, north].map((t) => world.clusterOf(t).tokenOf(t))).toEqual(before.tokens);
    expect(outcome.deployments.every((d) => d.status === "unchanged")).toBe(true);
    expect(world.issuer.revocations).toEqual([]);
    expectNoTokenIn(world, outcome);

    world.vault.store = store;
    const next = await rotateGateway(world.gateway, world.deps);
    expect(next.plan.decision).toBe("out-of-sync");
    expect(next.status).toBe("delivered");
    const vaultToken = (await world.vault.current("gw1-token"))?.token;
    expect([east, west, north].map((t) => world.clusterOf(t).tokenOf(t))).toEqual([
      vaultToken,
      vaultToken,
      vaultToken,
    ]);
  });

  it("stops mid-deliveries: the rest unchanged, nothing rolled back, no key revoked", async () => {
    const { world, before } = await rotatedWorld();
    const westCluster = world.clusterOf(west);
    const wait = westCluster.waitForRollout.bind(westCluster);
    westCluster.waitForRollout = async (t, options) => {
      world.lock.lose("gw1");
      options.abortSignal?.throwIfAborted();
      await wait(t, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    const vaultToken = (await world.vault.current("gw1-token"))?.token;
    expect(outcome).toMatchObject({ status: "failed", errorName: "LockHeldError" });
    expect(outcome.revokedKeyType).toBeUndefined();
    expect(world.issuer.revocations).toEqual([]);
    expect(outcome.deployments).toEqual([
      { target: "east/gateways/gw", status: "rotated" },
      {
        target: "west/apim/gateway",
        status: "failed",
        reason:
          "the rotation lock was lost after its Secret was written; not rolled back: LockHeldError: Lost the rotation lock of gw1",
        errorName: "LockHeldError",
      },
      { target: "north/gw/north", status: "unchanged", reason: "not attempted: the rotation lock was lost" },
    ]);
    expect(westCluster.tokenOf(west)).toBe(vaultToken);
    expect(westCluster.writes).toHaveLength(before.writes[1] + 1);
    expect(westCluster.restarts).toHaveLength(before.restarts[1] + 1);
    expect(world.clusterOf(north).writes).toHaveLength(before.writes[2]);
    expect(world.clusterOf(north).tokenOf(north)).toBe(before.tokens[2]);
    expect(world.log.names()).not.toContain("rotation.rolling-back");
    expect(world.log.names()).toContain("rotation.lock-lost");
    expectNoTokenIn(world, outcome);
  });

  it("does not revoke when lost after the last deployment", async () => {
    const { world } = await rotatedWorld();
    const northCluster = world.clusterOf(north);
    const wait = northCluster.waitForRollout.bind(northCluster);
    northCluster.waitForRollout = async (t, options) => {
      await wait(t, options);
      world.lock.lose("gw1");
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "failed", errorName: "LockHeldError" });
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "rotated", "rotated"]);
    expect(world.issuer.revocations).toEqual([]);
  });
});
