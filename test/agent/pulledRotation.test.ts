/**
 * The engine with pulled deployments (pull mode), over the in-memory fakes: it never calls a pulled
 * cluster, and revocation waits until every pulled deployment's agent reported the new version.
 */
import { describe, expect, it } from "vitest";
import { ReportBook } from "../../shared/agent/reports.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationDeps, StoredToken } from "../../shared/rotation/types.js";
import { fakeWorld, gatewayConfig, target } from "../rotation/fakes.js";

const east = target("east");
const onprem: DeploymentTarget = {
  cluster: { type: "pulled", name: "onprem", agentIntervalInMinutes: 5 },
  namespace: "apim",
  deployment: "gateway",
};

/** A gateway with one pushed and one pulled deployment; the pulled cluster must never be called. */
function mixedWorld(revokeOldKey = true) {
  const world = fakeWorld(gatewayConfig({ deployments: [east, onprem], revokeOldKey }));
  const book = new ReportBook();
  const secretName = world.gateway.keyVault.secretName;
  const previous = async (): Promise<StoredToken | undefined> => world.vault.versions.get(secretName)?.at(-2);
  const deps: RotationDeps = {
    ...world.deps,
    vault: Object.assign(world.vault, { previous }),
    clusterFor: (t) => {
      if (t.cluster.type === "pulled") throw new Error("the engine called a pulled cluster");
      return world.clusterOf(t);
    },
    reports: book,
  };
  const report = (vaultVersion: string, outcome: "delivered" | "rolled-back" = "delivered") =>
    book.record({
      v: 1,
      gateway: world.gateway.name,
      cluster: "onprem",
      namespace: "apim",
      deployment: "gateway",
      vaultVersion,
      outcome,
      at: world.clock.now().toISOString(),
    });
  const vaultToken = async () => (await world.vault.current(secretName))?.token ?? "";
  return { world, deps, report, vaultToken };
}

describe("rotation with a pulled deployment", () => {
  it("delivers to the pushed deployment only, and counts the pulled one unchanged, delivered by its agent", async () => {
    const { world, deps } = mixedWorld(false);
    const outcome = await rotateGateway(world.gateway, deps);
    expect(outcome.status).toBe("rotated");
    expect(outcome.deployments).toEqual([
      expect.objectContaining({ target: "east/gateways/gw", status: "rotated" }),
      {
        target: "pulled:onprem/apim/gateway",
        status: "unchanged",
        reason: "delivered by the agent of onprem",
      },
    ]);
    expect(world.clusterOf(east).tokenOf(east)).toBe((await world.vault.current("gw1-token"))?.token);
  });

  it("a pulled deployment without a report never makes the engine mint or deliver", async () => {
    const { world, deps } = mixedWorld(false);
    await rotateGateway(world.gateway, deps);
    const again = await rotateGateway(world.gateway, deps);
    expect(again.status).toBe("fresh");
    expect(again.plan.reason).toContain(
      "every pushed deployment has it; waiting for the agents' reports of pulled:onprem/apim/gateway",
    );
    expect(again.plan.deployments).toContainEqual({ target: "pulled:onprem/apim/gateway", inSync: false });
    expect(world.issuer.mints).toHaveLength(1);
  });

  it("does not revoke before every pulled deployment reported the new version, then revokes in a later run", async () => {
    const { world, deps, report, vaultToken } = mixedWorld();
    await rotateGateway(world.gateway, deps, { revokeOldKey: false });
    report("v1");
    const oldToken = await vaultToken();

    const first = await rotateGateway(world.gateway, deps, { force: true });
    expect(first).toMatchObject({ status: "unrevoked", final: true, vaultVersion: "v2" });
    expect(first.reason).toContain("revoke pending: waiting for reports from onprem/apim/gateway");
    expect(first.revokedKeyType).toBeUndefined();
    expect(world.issuer.revocations).toEqual([]);
    expect(world.issuer.isValid(oldToken)).toBe(true);

    report("v1");
    expect((await rotateGateway(world.gateway, deps)).revokedKeyType).toBeUndefined();
    world.clock.advanceDays(0.01);
    report("v2", "rolled-back");
    expect((await rotateGateway(world.gateway, deps)).revokedKeyType).toBeUndefined();
    expect(world.issuer.isValid(oldToken)).toBe(true);

    world.clock.advanceDays(0.01);
    report("v2");
    const later = await rotateGateway(world.gateway, deps);
    expect(later).toMatchObject({ status: "fresh", revokedKeyType: "primary" });
    expect(later.reason).toContain("primary key regenerated");
    expect(world.issuer.isValid(oldToken)).toBe(false);
    expect(world.issuer.isValid(await vaultToken())).toBe(true);
    expect(world.log.names()).toContain("rotation.revoked");
    expect(world.lock.releases).toContain("gw1");

    const after = await rotateGateway(world.gateway, deps);
    expect(after.revokedKeyType).toBeUndefined();
    expect(world.issuer.revocations).toHaveLength(1);
  });
});
