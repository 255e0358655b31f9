/**
 * Issue 7's cases through the real adapters and SDK clients against the stand-ins: revocation that
 * really revokes, unknown Secret consumers, Kubernetes faults that are retried, and pre-flight
 * failures that mint nothing and create no Lease.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../shared/config/types.js";
import { lockTtlInMs, rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationDeps } from "../../shared/rotation/types.js";
import { failure } from "../failure.js";
import { gatewayDeployment, gatewayImage } from "../standins/kube/fixtures.js";
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

function generation(d: FleetDeployment): number {
  return (d.standin.get("Deployment", d.namespace, d.deployment) as { metadata: { generation: number } })
    .metadata.generation;
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

  it("a canary Deployment sharing the Secret blocks the revocation: unrevoked, naming its pods", async () => {
    const { f, gateway, seeded, deps } = await setup();
    const [east] = seeded.deployments;
    const old = f.secretToken(east)!;
    await east.standin.apply([
      gatewayDeployment(
        east.namespace,
        "orders-canary",
        [{ name: "gateway", image: gatewayImage, envFrom: [{ secretRef: { name: east.secretName } }] }],
        1,
      ),
    ]);
    const outcome = await rotateGateway(gateway, deps, { revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "unrevoked", final: true });
    expect(outcome.unknownConsumers?.map((c) => c.deployment)).toEqual(["orders-canary"]);
    expect(outcome.reason).toContain("(deployment orders-canary)");
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "rotated"]);
    expect(calls(f, "regenerateKey")).toBe(0);
    expect(f.arm.isValid(old).valid).toBe(true);
  });
});

describe("Kubernetes faults through the real adapters", () => {
  it("one 429 on the Secret patch: retried, rotated", async () => {
    const { f, gateway, seeded, deps } = await setup();
    const [east] = seeded.deployments;
    east.standin.failNext({ status: 429, verb: "patch", resource: "secrets", retryAfterInSeconds: 0 });
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.status).toBe("rotated");
    expect(f.secretToken(east)).toBe(f.keyVault.versions(seeded.vaultSecret).at(-1)!.value);
  });

  it("one 500 on the restart that landed: retried with the same restartedAt, rolled once", async () => {
    const { gateway, seeded, deps } = await setup();
    const [east] = seeded.deployments;
    const before = generation(east);
    east.standin.failNext({ status: 500, verb: "patch", resource: "deployments", landed: true });
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.status).toBe("rotated");
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "rotated"]);
    expect(generation(east)).toBe(before + 1);
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

describe("pre-flight through the real adapters: nothing minted, nothing stored, no Lease", () => {
  const lease = (d: FleetDeployment) => d.standin.get("Lease", d.namespace, "gateway-guard-orders");

  it("an immutable Secret", async () => {
    const { f, gateway, seeded, deps } = await setup();
    const [, west] = seeded.deployments;
    const secret = west.standin.get("Secret", west.namespace, west.secretName)!;
    await west.standin.apply([{ ...secret, immutable: true }]);
    const minted = calls(f, "generateToken");
    const error = await failure(rotateGateway(gateway, deps, { force: true }));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toContain(west.secretName);
    expect(calls(f, "generateToken")).toBe(minted);
    expect(f.keyVault.versions(seeded.vaultSecret)).toHaveLength(1);
    expect(lease(seeded.deployments[0])).toBeUndefined();
  });

  it("a 403 on the Secret patch", async () => {
    const { f, gateway, seeded, deps } = await setup();
    const [east] = seeded.deployments;
    east.standin.forbid({ verb: "patch", resource: "secrets" });
    const minted = calls(f, "generateToken");
    const error = await failure(rotateGateway(gateway, deps, { force: true }));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toContain("patch");
    expect(calls(f, "generateToken")).toBe(minted);
    expect(lease(east)).toBeUndefined();
  });

  it("a wrong namespace", async () => {
    const { f, gateway, seeded, depsFor } = await setup();
    const [east] = seeded.deployments;
    const wrong = { ...gateway, deployments: [{ ...gateway.deployments[0], namespace: "gateway-typo" }] };
    const minted = calls(f, "generateToken");
    const error = await failure(rotateGateway(wrong, await depsFor(wrong), { force: true }));
    expect(error.message).toContain("gateway-typo");
    expect(calls(f, "generateToken")).toBe(minted);
    expect(east.standin.get("Lease", "gateway-typo", "gateway-guard-orders")).toBeUndefined();
    expect(lease(east)).toBeUndefined();
  });
});
