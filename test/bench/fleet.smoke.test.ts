/**
 * Keeps the fleet benchmark's harness working (the benchmark itself runs with `npm run bench`):
 * a tiny fleet without latency through the same path, checking that calls are put down to the
 * right gateways and that rollouts and one-by-one times are measured.
 */
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";
import { fleetFigures } from "./fleet/figures.js";
import { forkHost, stopHosts } from "./fleet/hostProcess.js";
import { peakOverlap } from "./fleet/meter.js";
import { runFleet } from "./fleet/runFleet.js";

describe("fleet benchmark harness", () => {
  afterAll(stopHosts);

  it("counts calls per gateway, rollouts per cluster and the one-by-one time of a tiny fleet on two instances", async () => {
    const result = await runFleet({
      gateways: 3,
      clusters: 2,
      latencyInMs: 0,
      rolloutInMs: 80,
      soloPerKind: 1,
      instances: 2,
    });

    expect(result.outcomes).toEqual({ rotated: 1, fresh: 2 });
    expect(result.poisoned).toBe(0);
    expect(result.due).toMatchObject({ gateways: 1, deployments: 1 });
    expect(result.fresh).toMatchObject({ gateways: 2, deployments: 5 });
    expect(result.due.perGateway.arm.generateToken).toBe(1);
    expect(result.fresh.perGateway.arm.generateToken).toBeUndefined();
    expect(result.due.perGateway.keyVault.set).toBe(1);
    expect(result.fresh.perGateway.keyVault.set).toBeUndefined();
    expect(result.due.kubePerDeployment["patch secrets"]).toBeGreaterThanOrEqual(1);
    expect(result.due.kubePerDeployment["patch deployments"]).toBeGreaterThanOrEqual(1);
    expect(Object.keys(result.fresh.kubePerDeployment).filter((kind) => kind.startsWith("patch"))).toEqual(
      [],
    );
    expect(result.rollouts).toBe(1);
    expect([...result.maxRolloutsInFlight].sort()).toEqual([0, 1]);
    expect(result.soloSample).toBe(6);
    expect(result.oneByOneInMs).toBeGreaterThan(0);
    expect(result.memory.peakRssInBytes).toBeGreaterThan(result.memory.peakHeapUsedInBytes);
    expect(result.memory.configInBytes).toBeGreaterThan(0);

    const labels = fleetFigures(result).map((figure) => figure.label);
    expect(labels).toContain("fleet run vs one by one");
    expect(labels).toContain("due gateway: ARM calls");
  }, 180_000);

  it("ends a host process when its parent's IPC channel closes (no orphan after a timeout)", async () => {
    const child = forkHost({});
    const exited = once(child, "exit");
    child.disconnect();
    const [code] = await exited;
    expect(code).toBe(1);
  }, 60_000);

  it("finds the most intervals that overlap", () => {
    expect(peakOverlap([])).toBe(0);
    expect(
      peakOverlap([
        [0, 10],
        [5, 15],
        [10, 20],
      ]),
    ).toBe(2);
    expect(
      peakOverlap([
        [0, 10],
        [1, 9],
        [2, 8],
        [20, 30],
      ]),
    ).toBe(3);
  });
});
