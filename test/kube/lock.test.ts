import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import type { V1Lease } from "@kubernetes/client-node";
import { LeaseRotationLock, isHeld, leaseName } from "../../shared/kube/lock.js";
import type { GatewayConfig } from "../../shared/config/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { kubeConfigOf, recordedRetry } from "./fixtures.js";
import { failure } from "../failure.js";

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
  releaseTimeoutInMs?: number;
}): LeaseRotationLock {
  return new LeaseRotationLock({
    clusterFor: () => cluster,
    renewIntervalInMs: 0,
    retry: recordedRetry().retry,
    ...options,
  });
}

const leaseRequests = (verb: string) =>
  standin.requests.filter((r) => r.verb === verb && r.resource === "leases").map((r) => r.status);

function lease(): { spec: Record<string, unknown> } | undefined {
  return standin.get("Lease", ns, leaseName(gateway.name)) as { spec: Record<string, unknown> } | undefined;
}

/** Resolves with the abort reason once the signal aborts. */
function lostReason(signal: AbortSignal | undefined): Promise<Error> {
  if (!signal) return Promise.reject(new Error("the handle has no lost signal"));
  if (signal.aborted) return Promise.resolve(signal.reason as Error);
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(signal.reason as Error), { once: true }),
  );
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

  it("keeps renewing through transient failures and does not report the lock lost", async () => {
    const handle = await lock({ identity: "steady", renewIntervalInMs: 20 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    const first = lease()?.spec.renewTime;
    standin.failNext({ status: 503, verb: "update", resource: "leases", count: 3 });
    const deadline = Date.now() + 5_000;
    while (lease()?.spec.renewTime === first && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(lease()?.spec.renewTime).not.toBe(first);
    expect(handle?.lost).toBeInstanceOf(AbortSignal);
    expect(handle?.lost?.aborted).toBe(false);
    await handle?.release();
  });

  it("reports the lock lost when renewal keeps failing until the lease expires", async () => {
    const acquired = Date.now();
    const handle = await lock({ identity: "flaky", renewIntervalInMs: 100 }).tryAcquire(gateway, {
      ttlInMs: 1_000,
    });
    standin.failNext({ status: 500, verb: "update", resource: "leases", count: 100_000 });
    const reason = await lostReason(handle?.lost);
    expect(Date.now() - acquired).toBeGreaterThanOrEqual(900);
    expect(reason.name).toBe("LockHeldError");
    expect(reason.message).toMatch(
      /Lease gateways\/gateway-guard-edge-west expired at .* without a successful renewal: .*HTTP 500/,
    );
    expect(isHeld(lease() as V1Lease, new Date())).toBe(false);
  });

  it("reports the lock lost at once when another holder took the lease", async () => {
    const handle = await lock({ identity: "first", renewIntervalInMs: 20 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    const current = standin.get("Lease", ns, leaseName(gateway.name)) as { spec: Record<string, unknown> };
    await standin.apply([{ ...current, spec: { ...current.spec, holderIdentity: "intruder" } }]);
    const reason = await lostReason(handle?.lost);
    expect(reason.name).toBe("LockHeldError");
    expect(reason.message).toContain("now held by intruder");
  });

  it("renews on after someone else touched the lease but left it ours", async () => {
    const handle = await lock({ identity: "owner", renewIntervalInMs: 20 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    const current = standin.get("Lease", ns, leaseName(gateway.name)) as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    await standin.apply([{ ...current, metadata: { ...current.metadata, labels: { touched: "yes" } } }]);
    const touched = lease()?.spec.renewTime;
    const deadline = Date.now() + 5_000;
    while (lease()?.spec.renewTime === touched && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(lease()?.spec.renewTime).not.toBe(touched);
    expect(handle?.lost?.aborted).toBe(false);
    await handle?.release();
  });

  it("reports the lock lost with PermissionDeniedError when renewal is forbidden", async () => {
    const handle = await lock({ identity: "denied", renewIntervalInMs: 20 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    const lift = standin.forbid({ verb: "update", resource: "leases" });
    const reason = (await lostReason(handle?.lost)) as Error & { permission?: string };
    expect(reason.name).toBe("PermissionDeniedError");
    expect(reason.permission).toBe("update leases.coordination.k8s.io");
    lift();
    await handle?.release();
  });

  it("names the denied permission", async () => {
    standin.forbid({ verb: "create", resource: "leases" });
    await expect(lock({ identity: "a" }).tryAcquire(gateway, { ttlInMs: 1_000 })).rejects.toMatchObject({
      name: "PermissionDeniedError",
      permission: "create leases.coordination.k8s.io",
    });
  });

  it("tells who holds the lease, when it was renewed and when it expires", async () => {
    const acquiredAt = new Date("2026-12-02T03:00:00.000Z");
    const a = lock({ identity: "worker-a", now: () => acquiredAt });
    const handle = await a.tryAcquire(gateway, { ttlInMs: 90_000 });
    const holder = await lock({ identity: "worker-b", now: () => acquiredAt }).holder(gateway);
    expect(holder?.identity).toMatch(/^worker-a-[0-9a-f]{8}$/);
    expect(holder?.renewedAt).toEqual(acquiredAt);
    expect(holder?.expiresAt).toEqual(new Date("2026-12-02T03:01:30.000Z"));
    await handle?.release();
    expect(await a.holder(gateway)).toBeUndefined();
  });

  it("is free again once a crashed holder's short lease expired", async () => {
    const start = Date.parse("2026-12-02T03:00:00.000Z");
    const at = (seconds: number) => () => new Date(start + seconds * 1000);
    await lock({ identity: "crashed", now: at(0) }).tryAcquire(gateway, { ttlInMs: 60_000 });
    const next = (seconds: number) => lock({ identity: "next", now: at(seconds) });
    expect(await next(59).tryAcquire(gateway, { ttlInMs: 60_000 })).toBeUndefined();
    expect((await next(59).holder(gateway))?.expiresAt).toEqual(new Date(start + 60_000));
    expect(await next(61).holder(gateway)).toBeUndefined();
    expect(await next(61).tryAcquire(gateway, { ttlInMs: 60_000 })).toBeDefined();
    expect(lease()?.spec.holderIdentity).toMatch(/^next-/);
  });

  it("tries a Lease create once (not safe to repeat), but retries the takeover replace", async () => {
    standin.failNext({ status: 503, verb: "create", resource: "leases" });
    const error = await failure(lock({ identity: "a" }).tryAcquire(gateway, { ttlInMs: 60_000 }));
    expect(error.message).toMatch(
      /create leases.coordination.k8s.io gateways\/gateway-guard-edge-west failed \(HTTP 503\)/,
    );
    expect(leaseRequests("create")).toEqual([503]);

    const later = () => new Date(Date.now() + 120_000);
    await lock({ identity: "crashed" }).tryAcquire(gateway, { ttlInMs: 60_000 });
    standin.failNext({ status: 500, verb: "update", resource: "leases", landed: true });
    const handle = await lock({ identity: "taker", now: later }).tryAcquire(gateway, { ttlInMs: 60_000 });
    expect(handle).toBeDefined();
    expect(leaseRequests("update")).toEqual([500, 409]);
    expect(lease()?.spec.holderIdentity).toMatch(/^taker-/);
  });

  it("retries a release, and gives up within its bound, leaving the lease to expire", async () => {
    const first = await lock({ identity: "a" }).tryAcquire(gateway, { ttlInMs: 60_000 });
    standin.failNext({ status: 503, verb: "update", resource: "leases" });
    await first?.release();
    expect(lease()?.spec.holderIdentity).toBeUndefined();

    const second = await lock({ identity: "b", releaseTimeoutInMs: 100 }).tryAcquire(gateway, {
      ttlInMs: 60_000,
    });
    standin.setLatency(5_000);
    const error = await failure(second?.release() ?? Promise.resolve());
    expect(error.message).toMatch(
      /^Could not release Lease gateways\/gateway-guard-edge-west within 0.1s; it expires on its own at \d{4}-/,
    );
  });
});
