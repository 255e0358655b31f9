/**
 * The rotation engine through the real Kubernetes adapters (retries, pre-flight, Secret consumers,
 * restart with a fixed restartedAt) against the stand-ins: the cluster faults of issue 7.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../shared/config/types.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationDeps } from "../../shared/rotation/types.js";
import { gatewayDeployment, gatewayImage } from "../standins/kube/fixtures.js";
import type { RolloutEvent } from "../standins/kube/index.js";
import { startFleet, type Fleet, type FleetDeployment } from "../standins/fleet.js";
import { failure } from "../failure.js";

let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

interface Setup {
  f: Fleet;
  gateway: GatewayConfig;
  deps: RotationDeps;
  /** `orders` in cluster 0 (portal layout) and cluster 1 (Helm layout). */
  east: FleetDeployment;
  west: FleetDeployment;
}

/** The default fleet and the real adapters for `orders` (token expiring: a run mints). */
async function setup(edit: (gateway: GatewayConfig) => GatewayConfig = (g) => g): Promise<Setup> {
  const f = (fleet = await startFleet({ rolloutStepInMs: 5 }));
  const config = await f.loadConfig();
  const gateway = edit(config.gateways[0]);
  const deps = (await f.connect()(config)).rotationDeps(gateway);
  const [east, west] = f.gateways[0].deployments;
  return { f, gateway, deps, east, west };
}

/** generateToken calls for `orders` since the fleet was seeded (seeding minted one). */
const generateTokenCalls = (f: Fleet) =>
  f.arm.calls.filter((c) => c.operation === "generateToken" && c.gatewayId === f.gateways[0].apim.gatewayId)
    .length - 1;

/** The statuses of the real (not dry-run) patches of a resource in a deployment's cluster. */
const patches = (d: FleetDeployment, resource: string) =>
  d.standin.requests
    .filter((r) => r.verb === "patch" && r.resource === resource && !r.dryRun)
    .map((r) => r.status);

describe("rotation over the stand-ins' Kubernetes faults", () => {
  it("one 429 with Retry-After on the Secret patch: waits, then rotates", async () => {
    const { f, gateway, deps, east } = await setup();
    east.standin.failNext({ status: 429, verb: "patch", resource: "secrets", dryRun: false });
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.status).toBe("rotated");
    expect(patches(east, "secrets")).toEqual([429, 200, 200]); // the token, then rolled-out-version
    expect(f.secretToken(east)).toBe(f.keyVault.versions(f.gateways[0].vaultSecret).at(-1)?.value);
  });

  it("one 500 on the restart after it landed: one rollout per deployment, no rollback", async () => {
    const { gateway, deps, east, west } = await setup();
    const rollouts: RolloutEvent[] = [];
    for (const d of [east, west]) d.standin.events.on("rollout", (e: RolloutEvent) => rollouts.push(e));
    east.standin.failNext({
      status: 500,
      verb: "patch",
      resource: "deployments",
      dryRun: false,
      landed: true,
    });
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.status).toBe("rotated");
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "rotated"]);
    expect(patches(east, "deployments")).toEqual([500, 200]);
    expect(patches(east, "secrets")).toEqual([200, 200]);
    for (const d of [east, west]) await d.standin.waitForRollout(d.namespace, d.deployment);
    expect(rollouts.map((r) => `${r.name} ${r.outcome}`)).toEqual([
      "orders-gateway complete",
      "orders-gateway complete",
    ]);
  });

  it("an immutable Secret: refused before minting, nothing written, no Lease", async () => {
    const { f, gateway, deps, west } = await setup();
    const secret = west.standin.get("Secret", west.namespace, west.secretName);
    await west.standin.apply([{ ...secret, immutable: true }]);
    const error = await failure(rotateGateway(gateway, deps));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toContain(`Secret ${west.namespace}/${west.secretName} is immutable`);
    expect(generateTokenCalls(f)).toBe(0);
    expect(f.keyVault.versions(f.gateways[0].vaultSecret)).toHaveLength(1);
    expect(f.clusters.flatMap((c) => c.list("Lease"))).toEqual([]);
  });

  it("a 403 on the Secret patch: refused before minting, naming the verb", async () => {
    const { f, gateway, deps, east } = await setup();
    east.standin.forbid({ verb: "patch", resource: "secrets" });
    const error = await failure(rotateGateway(gateway, deps));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toContain(
      `Secret ${east.namespace}/${east.secretName}: RBAC does not allow "patch secrets"`,
    );
    expect(generateTokenCalls(f)).toBe(0);
  });

  it("a wrong namespace: refused before minting, and no Lease is created", async () => {
    const { f, gateway, deps } = await setup((g) => ({
      ...g,
      deployments: [g.deployments[0], { ...g.deployments[1], namespace: "apim-gateways" }],
    }));
    const error = await failure(rotateGateway(gateway, deps));
    expect(error.name).toBe("NotFoundError");
    expect(error.message).toContain("Deployment apim-gateways/orders-gateway: namespace not found");
    expect(generateTokenCalls(f)).toBe(0);
    expect(f.clusters.flatMap((c) => c.list("Lease"))).toEqual([]);
  });

  it("a canary Deployment sharing the Secret: rotated but not revoked, naming its pods", async () => {
    const { f, gateway, deps, east } = await setup();
    await east.standin.apply([
      gatewayDeployment(
        east.namespace,
        "orders-canary",
        [{ name: "gateway", image: gatewayImage, envFrom: [{ secretRef: { name: east.secretName } }] }],
        1,
      ),
    ]);
    const outcome = await rotateGateway(gateway, deps, { revokeOldKey: true });
    expect(outcome.status).toBe("unrevoked");
    expect(outcome.revokedKeyType).toBeUndefined();
    expect(outcome.unknownConsumers).toEqual([
      expect.objectContaining({ namespace: east.namespace, deployment: "orders-canary", phase: "Running" }),
    ]);
    expect(f.arm.calls.filter((c) => c.operation === "regenerateKey")).toEqual([]);
  });
});
