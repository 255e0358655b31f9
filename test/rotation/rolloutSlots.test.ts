/**
 * The engine under a rollout limiter (deps.rollouts): each deployment's delivery holds a slot of its
 * cluster; while every slot is taken the run waits, reporting it; a deadline or a lost lock while
 * waiting changes nothing and is left to a retry; a slot is freed whatever the rollout's outcome.
 */
import { describe, expect, it } from "vitest";
import { finalEventOf } from "../../shared/app/worker.js";
import { PermissionDeniedError } from "../../shared/errors.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { targetLabel } from "../../shared/rotation/target.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import { secretAnnotations, type RolloutProgress } from "../../shared/rotation/types.js";
import { FakeRolloutLimiter, fakeWorld, gatewayConfig, target } from "./fakes.js";

const eastA = target("east", "gateways", "gw-a");
const eastB = target("east", "gateways", "gw-b");
const west = target("west", "gateways", "gw-a");

/** Two gateways sharing the `east` cluster (and the second one `west` too), one fake world, a limiter. */
function twoGateways(slots = 1) {
  const world = fakeWorld(gatewayConfig({ name: "gw-a", deployments: [eastA] }));
  const second = gatewayConfig({
    name: "gw-b",
    keyVault: { url: "https://kv.vault.azure.net", secretName: "gw-b-token" },
    deployments: [eastB, west],
  });
  for (const t of second.deployments) world.clusterOf(t).addDeployment(t);
  const limiter = new FakeRolloutLimiter(slots);
  const restartsWhileHolding: Array<{ target: string; held: boolean }> = [];
  const writesWhileHolding: Array<{ target: string; confirms: boolean; held: boolean }> = [];
  const holding = (label: string) =>
    limiter.timeline.filter((e) => e.target === label).at(-1)?.event === "acquired";
  const watched = new Set<unknown>();
  const clusterFor = (t: DeploymentTarget) => {
    const cluster = world.clusterOf(t);
    if (watched.has(cluster)) return cluster;
    watched.add(cluster);
    const restart = cluster.restart.bind(cluster);
    cluster.restart = async (rolled, options) => {
      const label = targetLabel(rolled);
      restartsWhileHolding.push({ target: label, held: holding(label) });
      return restart(rolled, options);
    };
    const writeToken = cluster.writeToken.bind(cluster);
    cluster.writeToken = async (written, token, options) => {
      const label = targetLabel(written);
      const confirms = secretAnnotations.rolledOutVersion in (options.annotations ?? {});
      writesWhileHolding.push({ target: label, confirms, held: holding(label) });
      return writeToken(written, token, options);
    };
    return cluster;
  };
  const deps = { ...world.deps, clusterFor, rollouts: limiter };
  return { world, second, limiter, deps, restartsWhileHolding, writesWhileHolding };
}

describe("rotation with a rollout limiter", () => {
  it("with one slot per cluster, two gateways' rollouts in one cluster take turns; other clusters are not held up", async () => {
    const { world, second, limiter, deps, restartsWhileHolding } = twoGateways(1);
    const outcomes = await Promise.all([rotateGateway(world.gateway, deps), rotateGateway(second, deps)]);
    expect(outcomes.map((o) => o.status)).toEqual(["rotated", "rotated"]);
    expect(limiter.maxHeld("east")).toBe(1);
    expect(limiter.timeline.filter((e) => e.cluster === "east").map((e) => e.event)).toEqual([
      "acquired",
      "released",
      "acquired",
      "released",
    ]);
    expect(restartsWhileHolding).toHaveLength(3);
    expect(restartsWhileHolding.every((r) => r.held)).toBe(true);
    const waited = world.log.events.filter((e) => e.event === "rotation.waiting-for-slot");
    expect(waited).toEqual([
      {
        level: "info",
        event: "rotation.waiting-for-slot",
        fields: { gateway: "gw-b", target: targetLabel(eastB), scope: "east", slots: 1 },
      },
    ]);
  });

  it("holds the slot for the Secret write and the rollout, and frees it before recording the finished rollout", async () => {
    const { world, deps, writesWhileHolding } = twoGateways(1);
    expect((await rotateGateway(world.gateway, deps)).status).toBe("rotated");
    expect(writesWhileHolding).toEqual([
      { target: targetLabel(eastA), confirms: false, held: true },
      { target: targetLabel(eastA), confirms: true, held: false },
    ]);
  });

  it("reports the wait through onProgress", async () => {
    const { world, limiter, deps } = twoGateways(1);
    const held = await limiter.acquire(eastB);
    const progress: RolloutProgress[] = [];
    const run = rotateGateway(world.gateway, deps, { onProgress: (p) => progress.push(p) });
    await expect.poll(() => progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({
      target: targetLabel(eastA),
      message: expect.stringMatching(/^waiting for a rollout slot: all 1 in east are taken/),
    });
    await held.release();
    expect((await run).status).toBe("rotated");
  });

  it("the caller's deadline while waiting: nothing written to the deployment, not final, so the queue retries", async () => {
    const { world, limiter, deps } = twoGateways(1);
    const held = await limiter.acquire(eastB);
    const deadline = new AbortController();
    const run = rotateGateway(world.gateway, deps, {
      abortSignal: deadline.signal,
      onProgress: () => deadline.abort(new Error("the worker's deadline")),
    });
    const outcome = await run;
    await held.release();
    expect(outcome.status).toBe("failed");
    expect(outcome.final).toBe(false);
    expect(outcome.deployments).toEqual([
      {
        target: targetLabel(eastA),
        status: "unchanged",
        reason: "not attempted: no rollout slot of its cluster became free before the run's deadline",
      },
    ]);
    expect(outcome.reason).toMatch(/^stopped before east\/gateways\/gw-a/);
    expect(finalEventOf(outcome)).toBeUndefined();
    expect(world.clusterOf(eastA).writes).toEqual([]);
    expect(world.clusterOf(eastA).restarts).toEqual([]);
    expect(world.lock.held.size).toBe(0);

    const retried = await rotateGateway(world.gateway, deps);
    expect(retried.status).toBe("delivered");
    expect(world.issuer.mints).toHaveLength(1);
  });

  it("a lost lock while waiting stops the run without writing", async () => {
    const { world, limiter, deps } = twoGateways(1);
    const held = await limiter.acquire(eastB);
    const outcome = await rotateGateway(world.gateway, deps, {
      onProgress: () => world.lock.lose("gw-a"),
    });
    await held.release();
    expect(outcome.status).toBe("failed");
    expect(outcome.errorName).toBe("LockHeldError");
    expect(outcome.deployments[0]).toMatchObject({
      status: "failed",
      reason: expect.stringContaining("while waiting for a rollout slot"),
    });
    expect(world.clusterOf(eastA).writes).toEqual([]);
  });

  it("a slot that cannot be taken (a 403 on the Lease) fails the deployment with that error, before any write", async () => {
    const { world, limiter, deps } = twoGateways(1);
    limiter.failWith = new PermissionDeniedError(
      'cannot create leases.coordination.k8s.io in namespace "gateways"',
      "create leases.coordination.k8s.io",
    );
    const outcome = await rotateGateway(world.gateway, deps);
    expect(outcome.status).toBe("failed");
    expect(outcome.deployments[0]).toMatchObject({
      status: "failed",
      errorName: "PermissionDeniedError",
      reason: expect.stringMatching(
        /^could not take a rollout slot: PermissionDeniedError: cannot create leases/,
      ),
    });
    expect(finalEventOf(outcome)).toBe("rotation.rejected");
    expect(world.clusterOf(eastA).writes).toEqual([]);
  });

  it("frees the slot after a rolled-back rollout too", async () => {
    const { world, limiter, deps } = twoGateways(1);
    expect((await rotateGateway(world.gateway, deps)).status).toBe("rotated");
    world.clusterOf(eastA).stalls.set(targetLabel(eastA), 1);
    const outcome = await rotateGateway(world.gateway, deps, { force: true });
    expect(outcome.status).toBe("rolled-back");
    expect(limiter.timeline.map((e) => e.event)).toEqual(["acquired", "released", "acquired", "released"]);
    expect(await limiter.acquire(eastB)).toBeDefined();
  });
});
