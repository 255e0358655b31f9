import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import { LeaseRotationLock, leaseName } from "../../shared/kube/lock.js";
import type { GatewayConfig } from "../../shared/config/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { kubeConfigOf } from "./fixtures.js";

const ns = "gateways";
let standin: KubeStandin;
let cluster: KubeGatewayCluster;

const gateway: GatewayConfig = {
  name: "Edge_West",
  apim: { subscriptionId: "s", resourceGroup: "rg", service: "svc", gatewayId: "edge" },
  keyVault: { url: "https://kv.vault.azure.net", secretName: "edge" },
  deployments: [
    { cluster: { type: "kubeconfig", context: "a" }, namespace: ns, deployment: "edge" },
    { cluster: { type: "kubeconfig", context: "b" }, namespace: "other", deployment: "edge" },
  ],
  tokenLifetimeInDays: 29,
  renewBeforeInDays: 7,
  revokeOldKey: false,
  rolloutTimeoutInMs: 600_000,
};

function lock(options: {
  identity: string;
  now?: () => Date;
  renewIntervalInMs?: number;
}): LeaseRotationLock {
  return new LeaseRotationLock({ clusterFor: () => cluster, renewIntervalInMs: 0, ...options });
}

function lease(): { spec: Record<string, unknown> } | undefined {
  return standin.get("Lease", ns, leaseName(gateway.name)) as { spec: Record<string, unknown> } | undefined;
}

beforeEach(async () => {
  standin = await startKubeStandin({ namespaces: [ns] });
  cluster = new KubeGatewayCluster({ config: kubeConfigOf(standin) });
});

afterEach(async () => {
  await standin.close();
});

describe("LeaseRotationLock", () => {
  it("creates a Lease in the first deployment's namespace with MicroTime times", async () => {
    const handle = await lock({ identity: "worker-a" }).tryAcquire(gateway, { ttlInMs: 60_000 });
    expect(handle).toBeDefined();
    expect(leaseName(gateway.name)).toBe("gateway-guard-edge-west");
    const spec = lease()?.spec ?? {};
    expect(spec.holderIdentity).toMatch(/^worker-a-/);
    expect(spec.leaseDurationSeconds).toBe(60);
    expect(spec.acquireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(spec.renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("is exclusive: a second holder gets undefined until the first releases", async () => {
    const first = await lock({ identity: "worker-a" }).tryAcquire(gateway, { ttlInMs: 60_000 });
    const b = lock({ identity: "worker-b" });
    expect(await b.tryAcquire(gateway, { ttlInMs: 60_000 })).toBeUndefined();
    await first?.release();
    expect(lease()?.spec.holderIdentity).toBeUndefined();
    const second = await b.tryAcquire(gateway, { ttlInMs: 60_000 });
    expect(second).toBeDefined();
    expect(lease()?.spec.holderIdentity).toMatch(/^worker-b-/);
    expect(lease()?.spec.leaseTransitions).toBe(1);
  });

  it("lets exactly one of several concurrent takers win", async () => {
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((id) =>
        lock({ identity: `worker-${id}` }).tryAcquire(gateway, { ttlInMs: 60_000 }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("takes over a lease whose holder stopped renewing, and exactly one of two racing takers wins", async () => {
    await lock({ identity: "crashed" }).tryAcquire(gateway, { ttlInMs: 5_000 });
    const later = () => new Date(Date.now() + 6_000);
    expect(await lock({ identity: "early" }).tryAcquire(gateway, { ttlInMs: 5_000 })).toBeUndefined();
    const takers = await Promise.all([
      lock({ identity: "late-1", now: later }).tryAcquire(gateway, { ttlInMs: 5_000 }),
      lock({ identity: "late-2", now: later }).tryAcquire(gateway, { ttlInMs: 5_000 }),
    ]);
    expect(takers.filter(Boolean)).toHaveLength(1);
    expect(lease()?.spec.holderIdentity).toMatch(/^late-/);
  });

  it("renews the lease while held and stops on release", async () => {
    const handle = await lock({ identity: "renewer", renewIntervalInMs: 20 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    const first = lease()?.spec.renewTime;
    const deadline = Date.now() + 5_000;
    while (lease()?.spec.renewTime === first && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(lease()?.spec.renewTime).not.toBe(first);
    await handle?.release();
    expect(lease()?.spec.holderIdentity).toBeUndefined();
  });

  it("names the denied permission", async () => {
    standin.forbid({ verb: "create", resource: "leases" });
    await expect(lock({ identity: "a" }).tryAcquire(gateway, { ttlInMs: 1_000 })).rejects.toMatchObject({
      name: "PermissionDeniedError",
      permission: "create leases.coordination.k8s.io",
    });
  });
});
