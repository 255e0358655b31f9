/**
 * The engine's guarantees through the real adapters and SDK clients against the stand-ins: revocation
 * that really revokes (the ARM stand-in validates tokens against the current keys) and the short
 * Lease. Kubernetes faults, pre-flight refusals and unknown Secret consumers over the stand-ins are in
 * test/kube/rotation.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../shared/config/types.js";
import { lockTtlInMs, rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationDeps } from "../../shared/rotation/types.js";
import { failure } from "../failure.js";
import { startFleet, type Fleet, type FleetDeployment } from "../standins/fleet.js";

let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

/** A fleet and the real adapters for `orders` (two clusters, token expiring). */
async function setup(options: { progressDeadlineInMs?: number } = {}) {
  const f = (fleet = await startFleet({ rolloutStepInMs: 10, ...options }));
  const config = await f.loadConfig();
  const gateway = config.gateways[0];
  const depsFor = async (g: GatewayConfig): Promise<RotationDeps> =>
    (await f.connect()(config)).rotationDeps(g);
  return { f, gateway, seeded: f.gateways[0], deps: await depsFor(gateway), depsFor };
}

function calls(f: Fleet, operation: string): number {
  return f.arm.calls.filter((c) => c.operation === operation).length;
}

/** Every token a seeded deployment's Secret or running pods hold, and Key Vault's current one. */
function heldTokens(f: Fleet): string[] {
  const [orders] = f.gateways;
  const tokens = new Set<string>([f.keyVault.versions(orders.vaultSecret).at(-1)!.value]);
  for (const d of orders.deployments) {
    tokens.add(f.secretToken(d)!);
    for (const pod of d.standin.podTokens(d.namespace, d.deployment)) {
      for (const value of Object.values(pod.env)) tokens.add(value.replace(/^GatewayKey /, ""));
    }
  }
  return [...tokens];
}

describe("revocation through the real adapters", () => {
  it("a rolled-back --force --revoke-old-key, then a re-run: refused; the advised run leaves no earlier token valid", async () => {
    const { f, gateway, seeded, deps } = await setup({ progressDeadlineInMs: 150 });
    const [east, west] = seeded.deployments;
    const leaked = f.secretToken(west)!;
    west.standin.stallRollouts(west.namespace, west.deployment);

    const first = await rotateGateway(gateway, deps, { force: true, revokeOldKey: true });
    expect(first).toMatchObject({ status: "rolled-back", final: true });
    expect(f.secretToken(west)).toBe(leaked);
    expect(f.secretToken(east)).not.toBe(leaked);
    const minted = calls(f, "generateToken");

    const again = await failure(rotateGateway(gateway, deps, { force: true, revokeOldKey: true }));
    expect(again.name).toBe("PreflightError");
    expect(again.message).toContain("the tokens in use span both keys");
    expect(calls(f, "generateToken")).toBe(minted);
    expect(calls(f, "regenerateKey")).toBe(0);

    const before = heldTokens(f);
    const advised = await rotateGateway(gateway, deps, { revokeOldKey: true });
    expect(advised).toMatchObject({ status: "delivered", revokedKeyType: "primary" });
    expect(f.arm.isValid(leaked)).toMatchObject({ valid: false, reason: "bad-signature" });
    const current = f.keyVault.versions(seeded.vaultSecret).at(-1)!.value;
    for (const token of before) expect(f.arm.isValid(token).valid).toBe(token === current);

    const earlier = heldTokens(f);
    const second = await rotateGateway(gateway, deps, { force: true, revokeOldKey: true });
    expect(second).toMatchObject({ status: "rotated", revokedKeyType: "secondary" });
    for (const token of earlier) expect(f.arm.isValid(token).valid).toBe(false);
    for (const token of heldTokens(f)) expect(f.arm.isValid(token).valid).toBe(true);
  });
});

describe("the short Lease through the real adapters", () => {
  /** A Lease left by a holder that crashed `agoInMs` after its last renewal, with the engine's TTL. */
  function crashedLease(d: FleetDeployment, agoInMs: number) {
    const renewed = new Date(Date.now() - agoInMs).toISOString().replace("Z", "000Z");
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "gateway-guard-orders", namespace: d.namespace },
      spec: {
        holderIdentity: "func-host-7-1a2b3c4d",
        leaseDurationSeconds: lockTtlInMs() / 1000,
        acquireTime: renewed,
        renewTime: renewed,
      },
    };
  }

  it("a crashed holder's Lease blocks with its holder named, and a run after it expired succeeds", async () => {
    const { gateway, seeded, deps } = await setup();
    const [east] = seeded.deployments;
    await east.standin.apply([crashedLease(east, 5_000)]);
    const locked = await failure(rotateGateway(gateway, deps));
    expect(locked.name).toBe("LockHeldError");
    expect(locked.message).toMatch(
      /held by func-host-7-1a2b3c4d, last renewed .*, expires .* unless renewed/,
    );

    await east.standin.apply([crashedLease(east, lockTtlInMs() + 1_000)]);
    expect((await rotateGateway(gateway, deps)).status).toBe("rotated");
  });
});
