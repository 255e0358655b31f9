import { describe, expect, it } from "vitest";
import { RolloutError } from "../../shared/errors.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { targetLabel } from "../../shared/rotation/target.js";
import { secretAnnotations, type RestartOptions } from "../../shared/rotation/types.js";
import { fakeWorld, gatewayConfig, target } from "./fakes.js";

const east = target("east");
const west = target("west", "apim", "gateway");

describe("one request restarts each deployment at most once and rolls it back at most once", () => {
  it("picks restartedAt once, so an adapter that retries the restart patch rolls nothing twice", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    const seen: Array<RestartOptions | undefined> = [];
    for (const t of [east, west]) {
      const cluster = world.clusterOf(t);
      const restart = cluster.restart.bind(cluster);
      cluster.restart = async (target, options) => {
        seen.push(options);
        await restart(target, options);
        await restart(target, options);
      };
    }
    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome).toMatchObject({ status: "rotated", final: true });
    expect(world.clusterOf(east).restarts).toEqual(["east/gateways/gw"]);
    expect(world.clusterOf(west).restarts).toEqual(["west/apim/gateway"]);
    expect(seen.map((o) => o?.restartedAt)).toEqual([
      world.clock.current.toISOString(),
      world.clock.current.toISOString(),
    ]);
  });

  it("rolls back with a later restartedAt than the rollout's, once", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    cluster.stalls.set(targetLabel(east), 1);
    const stamps: string[] = [];
    const restart = cluster.restart.bind(cluster);
    cluster.restart = async (t, options) => {
      stamps.push(options?.restartedAt ?? "");
      await restart(t, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "rolled-back", final: true });
    expect(stamps).toHaveLength(2);
    expect(new Date(stamps[1]).getTime()).toBeGreaterThan(new Date(stamps[0]).getTime());
    expect(cluster.restarts).toHaveLength(3);
  });

  it("reports failed, without a rollback restart, when the Secret already held the token (an unconfirmed earlier rollout)", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clock.advanceDays(23);
    const cluster = world.clusterOf(east);
    cluster.stalls.set(targetLabel(east), 1);
    const first = await rotateGateway(world.gateway, world.deps);
    expect(first.status).toBe("rolled-back");
    const vaultToken = (await world.vault.current("gw1-token"))!;
    const { resourceVersion } = await cluster.readToken(east);
    await cluster.writeToken(east, vaultToken.token, {
      resourceVersion,
      annotations: { [secretAnnotations.vaultVersion]: vaultToken.version },
    });
    const restarts = cluster.restarts.length;
    cluster.waitForRollout = async () => {
      throw new RolloutError("image pull back-off");
    };

    const outcome = await rotateGateway(world.gateway, world.deps);
    expect(outcome.plan).toMatchObject({ action: "deliver" });
    expect(outcome).toMatchObject({ status: "failed", final: true });
    expect(outcome.deployments[0]).toMatchObject({ status: "failed", errorName: "RolloutError" });
    expect(outcome.deployments[0].reason).toBe(
      "rollout failed (RolloutError: image pull back-off); the Secret already held this token before this run (an earlier rollout was never confirmed), so there is nothing to roll back to",
    );
    expect(cluster.restarts.length - restarts).toBe(1);
    expect(cluster.tokenOf(east)).toBe(vaultToken.token);
    expect(world.log.names().filter((n) => n === "rotation.rolling-back")).toHaveLength(1);
  });

  it("restores only the Secret when the restart call itself failed: no second restart", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const before = world.clusterOf(east).tokenOf(east);
    const cluster = world.clusterOf(east);
    cluster.restart = async () => {
      throw Object.assign(new Error("Internal error"), { statusCode: 500 });
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "rolled-back", final: true });
    expect(outcome.deployments[0].reason).toBe(
      "restart failed (Internal error); previous token put back in the Secret, not restarted again",
    );
    expect(cluster.tokenOf(east)).toBe(before);
    expect(cluster.restarts).toHaveLength(1);
  });

  it("is not final when it failed before restarting anything: retrying it is safe", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clusterOf(east).writeToken = async () => {
      throw new Error("connection reset");
    };
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true });
    expect(outcome).toMatchObject({ status: "failed", final: false });
  });
});

describe("the caller's deadline", () => {
  it("never aborts a rollout in progress: it stops the run before the next deployment", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const deadline = new AbortController();
    const eastCluster = world.clusterOf(east);
    const wait = eastCluster.waitForRollout.bind(eastCluster);
    const signals: Array<AbortSignal | undefined> = [];
    eastCluster.waitForRollout = async (t, options) => {
      deadline.abort(new RolloutError("the worker's deadline passed"));
      signals.push(options.abortSignal);
      options.abortSignal?.throwIfAborted();
      await wait(t, options);
    };
    const outcome = await rotateGateway(world.gateway, world.deps, {
      force: true,
      abortSignal: deadline.signal,
    });
    expect(signals.map((s) => s?.aborted)).toEqual([false]);
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "unchanged"]);
    expect(outcome).toMatchObject({ status: "failed", final: true });
    expect(eastCluster.podTokens.get(targetLabel(east))).toBe(eastCluster.tokenOf(east));
  });
});

describe("an interrupt (the CLI's Ctrl-C)", () => {
  it("abandons the rollout in flight: nothing rolled back or revoked, the lock released, the next run finishes", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west], revokeOldKey: true }));
    await rotateGateway(world.gateway, world.deps);
    const interrupt = new AbortController();
    const eastCluster = world.clusterOf(east);
    const wait = eastCluster.waitForRollout.bind(eastCluster);
    eastCluster.waitForRollout = async (_t, options) => {
      interrupt.abort(new Error("interrupted by SIGINT"));
      options.abortSignal?.throwIfAborted();
    };
    const outcome = await rotateGateway(world.gateway, world.deps, {
      force: true,
      interruptSignal: interrupt.signal,
    });
    expect(outcome).toMatchObject({ status: "failed", final: true, errorName: "Error" });
    expect(outcome.reason).toMatch(
      /^stopped: the run was interrupted \(interrupted by SIGINT\); Key Vault holds/,
    );
    expect(outcome.deployments.map((d) => d.status)).toEqual(["failed", "unchanged"]);
    expect(world.log.names()).toContain("rotation.interrupted");
    expect(world.log.names()).not.toContain("rotation.rolling-back");
    expect(world.issuer.revocations).toEqual([]);
    expect(world.lock.held.size).toBe(0);

    eastCluster.waitForRollout = wait;
    const next = await rotateGateway(world.gateway, world.deps);
    expect(next).toMatchObject({ status: "delivered", plan: { action: "deliver" } });
  });
});
