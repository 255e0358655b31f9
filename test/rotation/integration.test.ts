/**
 * The rotation engine through the real adapters (ARM and Key Vault SDK clients, @kubernetes/client-node,
 * the Lease lock) against the local stand-ins.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayConfig, GuardConfig } from "../../shared/config/types.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import type { RotationDeps, RotationLogger } from "../../shared/rotation/types.js";
import { expectNoToken } from "../cli/capture.js";
import { startFleet, type Fleet, type FleetGateway } from "../standins/fleet.js";

let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

interface Setup {
  fleet: Fleet;
  config: GuardConfig;
  gateway: GatewayConfig;
  seeded: FleetGateway;
  deps: RotationDeps;
  logged: () => string;
}

/** A fleet and the real adapters for its first gateway (`orders`: two clusters, token expiring). */
async function setup(rolloutStepInMs = 20, progressDeadlineInMs?: number): Promise<Setup> {
  const f = (fleet = await startFleet({ rolloutStepInMs, progressDeadlineInMs }));
  const config = await f.loadConfig();
  const gateway = config.gateways[0];
  const lines: string[] = [];
  const log: RotationLogger = {
    info: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`),
    warn: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`),
    error: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`),
  };
  const deps = { ...(await f.connect()(config)).rotationDeps(gateway), log };
  return { fleet: f, config, gateway, seeded: f.gateways[0], deps, logged: () => lines.join("\n") };
}

function generateTokenCalls(f: Fleet, gatewayId: string): number {
  return f.arm.calls.filter((c) => c.operation === "generateToken" && c.gatewayId === gatewayId).length;
}

describe("rotation through the real adapters", () => {
  it("rotates every deployment; without revocation the old token stays valid", async () => {
    const { fleet: f, gateway, seeded, deps, logged } = await setup();
    const [old] = f.keyVault.versions(seeded.vaultSecret);
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome).toMatchObject({ status: "rotated", keyType: "secondary" });
    expect(outcome.deployments.map((d) => d.status)).toEqual(["rotated", "rotated"]);
    const current = f.keyVault.versions(seeded.vaultSecret).at(-1);
    if (!current) throw new Error("no Key Vault version");
    expect(outcome.vaultVersion).toBe(current.version);
    expect(f.arm.isValid(current.value)).toMatchObject({ valid: true, keyType: "secondary" });
    for (const d of seeded.deployments) {
      expect(f.secretToken(d)).toBe(current.value);
      for (const pod of d.standin.podTokens(d.namespace, d.deployment)) {
        expect(Object.values(pod.env)).toEqual([`GatewayKey ${current.value}`]);
      }
    }
    expect(f.arm.isValid(old.value).valid).toBe(true);
    expectNoToken(JSON.stringify(outcome) + logged(), f.tokens());
  });

  it("with revocation the old token is invalid afterwards", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup();
    const [old] = f.keyVault.versions(seeded.vaultSecret);
    const outcome = await rotateGateway(gateway, deps, { revokeOldKey: true });
    expect(outcome).toMatchObject({ status: "rotated", revokedKeyType: "primary" });
    expect(f.arm.isValid(old.value)).toMatchObject({ valid: false, reason: "bad-signature" });
    const current = f.keyVault.versions(seeded.vaultSecret).at(-1);
    expect(f.arm.isValid(current?.value ?? "").valid).toBe(true);
  });

  it("a rollback removes the annotations the Secret did not have before (null in the merge patch)", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup(20, 150);
    const [east] = seeded.deployments;
    const secret = east.standin.get("Secret", east.namespace, east.secretName);
    if (!secret) throw new Error("no seeded Secret");
    const annotations = { "example.com/owner": "team-orders" };
    await east.standin.apply([{ ...secret, metadata: { ...secret.metadata, annotations } }]);
    const before = f.secretToken(east);
    east.standin.stallRollouts(east.namespace, east.deployment);

    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.deployments[0]).toMatchObject({ status: "rolled-back" });
    expect(f.secretToken(east)).toBe(before);
    const after = east.standin.get("Secret", east.namespace, east.secretName);
    expect(after?.metadata.annotations).toEqual(annotations);
  });

  it("a paused Deployment fails the run before anything is minted or written", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup();
    const [, west] = seeded.deployments;
    const deployment = west.standin.get("Deployment", west.namespace, west.deployment);
    if (!deployment) throw new Error("no seeded Deployment");
    const spec = (deployment as { spec: Record<string, unknown> }).spec;
    await west.standin.apply([{ ...deployment, spec: { ...spec, paused: true } }]);
    const minted = generateTokenCalls(f, seeded.apim.gatewayId);

    await expect(rotateGateway(gateway, deps)).rejects.toMatchObject({
      name: "PreflightError",
      message: expect.stringMatching(/is paused; resume it \(kubectl rollout resume deployment\//),
    });
    expect(generateTokenCalls(f, seeded.apim.gatewayId)).toBe(minted);
    expect(f.keyVault.versions(seeded.vaultSecret)).toHaveLength(1);
    for (const d of seeded.deployments)
      expect(f.secretToken(d)).toBe(f.keyVault.versions(seeded.vaultSecret)[0].value);
  });

  it("a crash right after the Key Vault write is finished by the next run without minting again", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup();
    const crashing: RotationDeps = {
      ...deps,
      vault: {
        current: (name, options) => deps.vault.current(name, options),
        async store(name, token, options) {
          await deps.vault.store(name, token, options);
          throw new Error("process killed after the Key Vault write");
        },
      },
    };
    await expect(rotateGateway(gateway, crashing)).rejects.toThrow("process killed");
    const versions = f.keyVault.versions(seeded.vaultSecret);
    expect(versions).toHaveLength(2);
    const stored = versions[1].value;
    for (const d of seeded.deployments) expect(f.secretToken(d)).toBe(versions[0].value);
    const minted = generateTokenCalls(f, seeded.apim.gatewayId);

    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.plan).toMatchObject({ decision: "out-of-sync", action: "deliver" });
    expect(outcome.status).toBe("delivered");
    expect(generateTokenCalls(f, seeded.apim.gatewayId)).toBe(minted);
    expect(f.keyVault.versions(seeded.vaultSecret)).toHaveLength(2);
    for (const d of seeded.deployments) expect(f.secretToken(d)).toBe(stored);
  });

  it("two concurrent rotations of one gateway make exactly one new token", async () => {
    const { fleet: f, config, gateway, seeded } = await setup(60);
    const [a, b] = await Promise.all([
      f.connect({ lockIdentity: "a" })(config),
      f.connect({ lockIdentity: "b" })(config),
    ]);
    const before = generateTokenCalls(f, seeded.apim.gatewayId);
    const results = await Promise.allSettled([
      rotateGateway(gateway, a.rotationDeps(gateway), { force: true }),
      rotateGateway(gateway, b.rotationDeps(gateway), { force: true }),
    ]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r) => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(fulfilled[0].value.status).toBe("rotated");
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toMatchObject({ name: "LockHeldError" });
    expect(generateTokenCalls(f, seeded.apim.gatewayId) - before).toBe(1);
    expect(f.keyVault.versions(seeded.vaultSecret)).toHaveLength(2);
  });

  it("completes through a storm of 429s from ARM and Key Vault, backing off as told", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup();
    f.arm.failNext({ status: 429, count: 4, path: "generateToken", retryAfterInMs: 20 });
    f.keyVault.failNext({ status: 429, count: 3, method: "PUT", retryAfterInMs: 20 });
    const outcome = await rotateGateway(gateway, deps);
    expect(outcome.status).toBe("rotated");
    const throttled = f.arm.calls.filter((c) => c.operation === "generateToken" && c.status === 429);
    expect(throttled).toHaveLength(4);
    expect(f.keyVault.calls.filter((c) => c.operation === "set" && c.status === 429)).toHaveLength(3);
    expect(f.keyVault.versions(seeded.vaultSecret)).toHaveLength(2);
  });

  it("a 403 from each service ends the run with an error naming the missing permission", async () => {
    const { fleet: f, gateway, seeded, deps } = await setup();
    f.arm.failNext({ status: 403, path: "generateToken" });
    await expect(rotateGateway(gateway, deps)).rejects.toMatchObject({
      name: "PermissionDeniedError",
      permission: "Microsoft.ApiManagement/service/gateways/generateToken/action",
    });

    f.keyVault.failNext({ status: 403, method: "PUT" });
    await expect(rotateGateway(gateway, deps)).rejects.toMatchObject({
      name: "PermissionDeniedError",
      message: expect.stringContaining("setSecret"),
    });

    const [east] = seeded.deployments;
    const lift = east.standin.forbid({ verb: "get", resource: "secrets", namespace: east.namespace });
    try {
      await expect(rotateGateway(gateway, deps)).rejects.toMatchObject({
        name: "PermissionDeniedError",
        message: expect.stringMatching(/get.*secrets/),
      });
    } finally {
      lift();
    }
    for (const d of seeded.deployments)
      expect(f.secretToken(d)).toBe(f.keyVault.versions(seeded.vaultSecret)[0].value);
  });
});
