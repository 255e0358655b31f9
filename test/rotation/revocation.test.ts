import { describe, expect, it } from "vitest";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { targetLabel } from "../../shared/rotation/target.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { failure } from "../failure.js";
import { dayInMs, fakeWorld, gatewayConfig, target } from "./fakes.js";

const east = target("east");
const west = target("west", "apim", "gateway");

type World = ReturnType<typeof fakeWorld>;

/** Every token a configured Secret, a running pod or Key Vault's current version holds now. */
async function heldTokens(world: World): Promise<string[]> {
  const tokens = new Set<string>();
  for (const t of world.gateway.deployments) {
    const cluster = world.clusterOf(t);
    const inSecret = cluster.tokenOf(t);
    const inPods = cluster.podTokens.get(targetLabel(t));
    if (inSecret) tokens.add(inSecret);
    if (inPods) tokens.add(inPods);
  }
  const vault = await world.vault.current(world.gateway.keyVault.secretName);
  if (vault) tokens.add(vault.token);
  return [...tokens];
}

describe("revocation that really revokes", () => {
  it("after a successful revoking run, no token held before it still validates", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const before = await heldTokens(world);

    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "rotated", keyType: "secondary", revokedKeyType: "primary" });
    expect(before.map((t) => world.issuer.isValid(t))).toEqual(before.map(() => false));
    for (const t of await heldTokens(world)) expect(world.issuer.isValid(t)).toBe(true);
    expect(world.issuer.identifications).toBe(0);
  });

  it("a rolled-back leak response, then the same command again: refused before minting, saying what to do; the advice then kills the leaked token", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const leaked = world.clusterOf(west).tokenOf(west)!;
    world.clusterOf(west).stalls.set(targetLabel(west), 1);

    const first = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(first).toMatchObject({ status: "rolled-back", final: true });
    expect(world.issuer.revocations).toEqual([]);
    const mints = world.issuer.mints.length;

    const again = await failure(
      rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true }),
    );
    expect(again.name).toBe("PreflightError");
    expect(again.message).toContain(
      `the tokens in use span both keys (primary: west/apim/gateway; secondary: east/gateways/gw, Key Vault's current version)`,
    );
    expect(again.message).toContain('"gateway-guard rotate gw1 --revoke-old-key" without --force');
    expect(world.issuer.mints).toHaveLength(mints);
    expect(world.issuer.revocations).toEqual([]);
    expect(world.lock.acquisitions).toHaveLength(2);
    expect(world.issuer.isValid(leaked)).toBe(true);

    const before = await heldTokens(world);
    const advised = await rotateGateway(world.gateway, world.deps, { revokeOldKey: true });
    expect(advised).toMatchObject({ status: "delivered", keyType: "secondary", revokedKeyType: "primary" });
    expect(world.issuer.isValid(leaked)).toBe(false);
    const vaultToken = (await world.vault.current("gw1-token"))!.token;
    for (const t of before) expect(world.issuer.isValid(t)).toBe(t === vaultToken);

    const both = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(both).toMatchObject({ status: "rotated", keyType: "primary", revokedKeyType: "secondary" });
    expect(world.issuer.isValid(vaultToken)).toBe(false);
  });

  it("identifies the key of a hand-placed token from the token itself, only when revoking", async () => {
    const world = fakeWorld(gatewayConfig({ deployments: [east, west] }));
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    const handMade = await world.issuer.mint(
      world.gateway.apim,
      "secondary",
      new Date(world.clock.current.getTime() + 20 * dayInMs),
    );
    const { resourceVersion } = await cluster.readToken(east);
    await cluster.writeToken(east, handMade, { resourceVersion, annotations: {} });
    expect(cluster.secrets.get(targetLabel(east))!.annotations[secretAnnotations.keyType]).toBe("primary");

    await rotateGateway(world.gateway, world.deps, { dryRun: true, force: true });
    expect(world.issuer.identifications).toBe(0);
    const refused = await failure(
      rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true }),
    );
    expect(refused.message).toContain(
      "(primary: west/apim/gateway, Key Vault's current version; secondary: east/gateways/gw)",
    );
    expect(world.issuer.identifications).toBe(1);
    expect(refused.message).not.toContain(handMade);
  });

  it("skips a held token that neither current key signed: it already does not validate", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const cluster = world.clusterOf(east);
    const { resourceVersion } = await cluster.readToken(east);
    await cluster.writeToken(east, "gw1&203001010000&Zm9yZ2Vk", { resourceVersion, annotations: {} });
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "rotated", keyType: "secondary", revokedKeyType: "primary" });
  });
});

describe("looking for every consumer before revoking", () => {
  it("does not revoke under a canary Deployment that shares the Secret: unrevoked, naming the pods and the fix", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    const old = (await world.vault.current("gw1-token"))!.token;
    const canary = {
      namespace: "gateways",
      pod: "gw-canary-5c7b-0",
      deployment: "gw-canary",
      phase: "Running",
    };
    world
      .clusterOf(east)
      .otherConsumers.set("gateways", [
        canary,
        { namespace: "gateways", pod: "gw-job-1", phase: "Succeeded" },
      ]);

    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "unrevoked", final: true, unknownConsumers: [canary] });
    expect(outcome.revokedKeyType).toBeUndefined();
    expect(outcome.deployments).toEqual([{ target: "east/gateways/gw", status: "rotated" }]);
    expect(outcome.reason).toContain(
      "the primary key was NOT regenerated: pods outside the configured deployments read the gateway's Secret and would keep a dead token: gateways/gw-canary-5c7b-0 (deployment gw-canary)",
    );
    expect(outcome.reason).toContain(
      "Add their deployment to the gateway's deployments in the configuration",
    );
    expect(outcome.reason).toContain("kubectl rollout restart deployment/gw-canary -n gateways");
    expect(world.issuer.revocations).toEqual([]);
    expect(world.issuer.isValid(old)).toBe(true);
    expect(world.log.names()).toContain("rotation.revoke-blocked");
  });

  it("revokes under unknown consumers only when explicitly allowed", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clusterOf(east).otherConsumers.set("gateways", [{ namespace: "gateways", pod: "debug-shell" }]);
    const outcome = await rotateGateway(world.gateway, world.deps, {
      force: true,
      revokeOldKey: true,
      allowUnknownConsumers: true,
    });
    expect(outcome).toMatchObject({ status: "rotated", revokedKeyType: "primary" });
  });

  it("does not revoke when the consumers cannot be listed", async () => {
    const world = fakeWorld();
    await rotateGateway(world.gateway, world.deps);
    world.clusterOf(east).consumerFailures.set(targetLabel(east), new Error("pods is forbidden"));
    const outcome = await rotateGateway(world.gateway, world.deps, { force: true, revokeOldKey: true });
    expect(outcome.status).toBe("unrevoked");
    expect(outcome.reason).toContain(
      "the pods reading the gateway's Secret could not be listed (pods is forbidden)",
    );
    expect(world.issuer.revocations).toEqual([]);
  });
});
