import { EventEmitter, once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runWith } from "../../shared/cli/commands/rotate.js";
import type { AdaptersFactory } from "../../shared/cli/connect.js";
import { InputError } from "../../shared/errors.js";
import { startFleet, type Fleet, type FleetOptions } from "../standins/fleet.js";
import { captureIO, expectNoToken } from "./capture.js";

let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

async function start(options: FleetOptions = {}): Promise<Fleet> {
  fleet = await startFleet(options);
  return fleet;
}

async function rotate(f: Fleet, ...args: string[]) {
  const out = captureIO();
  const code = await runWith([...args, "--config", f.configPath], out.io, f.connect());
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

function podValues(f: Fleet, gateway: number): string[] {
  return f.gateways[gateway].deployments.flatMap((d) =>
    d.standin.podTokens(d.namespace, d.deployment).flatMap((pod) => Object.values(pod.env)),
  );
}

describe("gateway-guard rotate", () => {
  it("--dry-run prints the plans and changes nothing", async () => {
    const f = await start();
    const [orders] = f.gateways;
    const before = orders.deployments.map((d) => d.standin.get("Secret", d.namespace, d.secretName));
    const seeded = f.arm.calls.length;
    const run = await rotate(f, "--all", "--dry-run");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "orders: plan (dry run, nothing changed): expiring: mint a new token with the secondary key",
    );
    expect(run.stdout).toContain("payments: plan (dry run, nothing changed): fresh: nothing to do");
    expect(f.arm.calls.slice(seeded).filter((c) => c.operation === "generateToken")).toEqual([]);
    expect(f.keyVault.versions(orders.vaultSecret)).toHaveLength(1);
    expect(orders.deployments.map((d) => d.standin.get("Secret", d.namespace, d.secretName))).toEqual(before);
    expectNoToken(run.stdout + run.stderr, f.tokens());
  });

  it("rotates an expiring gateway: new token in Key Vault, every Secret and every pod; the old one still valid", async () => {
    const f = await start();
    const [orders] = f.gateways;
    const [old] = f.keyVault.versions(orders.vaultSecret);
    const run = await rotate(f, "orders");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/orders: rotated: rotated 2 of 2 deployments with the secondary key/);
    expect(run.stderr).toContain('deployment "orders-gateway" successfully rolled out');

    const versions = f.keyVault.versions(orders.vaultSecret);
    expect(versions).toHaveLength(2);
    const fresh = versions[1];
    expect(fresh.tags).toMatchObject({ gateway: "orders", keyType: "secondary" });
    expect(f.arm.isValid(fresh.value)).toMatchObject({ valid: true, keyType: "secondary" });
    for (const d of orders.deployments) expect(f.secretToken(d)).toBe(fresh.value);
    const pods = podValues(f, 0);
    expect(pods).toHaveLength(6);
    expect(pods.every((value) => value === `GatewayKey ${fresh.value}`)).toBe(true);
    expect(f.arm.isValid(old.value).valid).toBe(true);
    expect(f.arm.calls.some((c) => c.operation === "regenerateKey")).toBe(false);
    expectNoToken(run.stdout + run.stderr, f.tokens());
  });

  it("--force --revoke-old-key rotates a fresh gateway and invalidates its old token", async () => {
    const f = await start();
    const payments = f.gateways[1];
    const [old] = f.keyVault.versions(payments.vaultSecret);
    const run = await rotate(f, "payments", "--force", "--revoke-old-key");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("payments: plan: forced");
    expect(run.stdout).toContain("secondary key regenerated");
    const fresh = f.keyVault.versions(payments.vaultSecret)[1];
    expect(f.arm.isValid(fresh.value)).toMatchObject({ valid: true, keyType: "primary" });
    expect(f.arm.isValid(old.value)).toMatchObject({ valid: false, reason: "bad-signature" });
    expect(podValues(f, 1).every((value) => value === `GatewayKey ${fresh.value}`)).toBe(true);
    expectNoToken(run.stdout + run.stderr, f.tokens());
  });

  it("leaves a fresh gateway alone", async () => {
    const f = await start();
    const run = await rotate(f, "payments");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("payments: fresh:");
    expect(f.keyVault.versions(f.gateways[1].vaultSecret)).toHaveLength(1);
  });

  it("exits 1 when a rollout stalls: the deployment is rolled back and no key is revoked", async () => {
    const f = await start({ progressDeadlineInMs: 150 });
    const [east] = f.gateways[0].deployments;
    const [old] = f.keyVault.versions(f.gateways[0].vaultSecret);
    east.standin.stallRollouts(east.namespace, east.deployment);
    const run = await rotate(f, "orders", "--revoke-old-key");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/orders: rolled-back: .*old key not revoked/);
    expect(run.stdout).toMatch(/aks-east\/apim-gateway\/orders-gateway\s+rolled-back/);
    expect(f.secretToken(east)).toBe(old.value);
    expect(f.arm.isValid(old.value).valid).toBe(true);
    expect(f.arm.calls.some((c) => c.operation === "regenerateKey")).toBe(false);
    expectNoToken(run.stdout + run.stderr, f.tokens());
  });

  it("Ctrl-C during a slow rollout: exits 130 within the grace, releases the Lease, and the next run succeeds at once", async () => {
    const f = await start({ progressDeadlineInMs: 600_000 });
    const [east] = f.gateways[0].deployments;
    east.standin.stallRollouts(east.namespace, east.deployment);
    const signals = new EventEmitter();
    const out = captureIO();
    const progress = new EventEmitter();
    const write = out.io.stderr.write;
    out.io.stderr = {
      write: (text: string) => {
        if (text.includes("orders-gateway")) progress.emit("rolling");
        return write(text);
      },
    };
    const rolling = once(progress, "rolling");
    const running = runWith(["orders", "--config", f.configPath], out.io, f.connect(), {
      signals,
      graceInMs: 100,
    });
    await rolling;
    signals.emit("SIGINT");
    expect(await running).toBe(130);
    expect(signals.listenerCount("SIGINT")).toBe(0);
    expect(out.stderr()).toContain("gateway-guard: SIGINT: stopping");
    expect(out.stdout()).toMatch(
      /orders: failed: stopped: the run was interrupted \(interrupted by SIGINT\)/,
    );
    const lease = east.standin.get("Lease", east.namespace, "gateway-guard-orders") as {
      spec?: { holderIdentity?: string };
    };
    expect(lease.spec?.holderIdentity).toBeUndefined();

    const next = await rotate(f, "orders");
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/orders: delivered: /);
    const [, fresh] = f.keyVault.versions(f.gateways[0].vaultSecret);
    expect(podValues(f, 0).every((value) => value === `GatewayKey ${fresh.value}`)).toBe(true);
    expectNoToken(out.stdout() + out.stderr() + next.stdout + next.stderr, f.tokens());
  });

  it("SIGTERM as the first gateway starts: starts nothing new and exits 143", async () => {
    const f = await start();
    const signals = new EventEmitter();
    const out = captureIO();
    const seeded = f.arm.calls.length;
    const connect: AdaptersFactory = async (config) => {
      const adapters = await f.connect()(config);
      return {
        ...adapters,
        rotationDeps: (gateway) => {
          signals.emit("SIGTERM");
          return adapters.rotationDeps(gateway);
        },
      };
    };
    const code = await runWith(["--all", "--config", f.configPath], out.io, connect, { signals });
    expect(code).toBe(143);
    expect(out.stdout()).toContain("orders: failed:");
    expect(out.stdout()).not.toContain("payments");
    expect(f.arm.calls.slice(seeded).filter((c) => c.operation === "generateToken")).toEqual([]);
  });

  it("--format json prints the outcomes as data", async () => {
    const f = await start();
    const run = await rotate(f, "--all", "--dry-run", "--format", "json");
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as {
      dryRun: boolean;
      outcomes: Array<{ gateway: string; status: string }>;
    };
    expect(parsed.dryRun).toBe(true);
    expect(parsed.outcomes.map((o) => [o.gateway, o.status])).toEqual([
      ["orders", "planned"],
      ["payments", "fresh"],
    ]);
    expectNoToken(run.stdout, f.tokens());
  });

  it("exits 1 when a gateway cannot be rotated (ARM denies generateToken), naming the permission", async () => {
    const f = await start();
    f.arm.failNext({ status: 403, path: "generateToken" });
    const run = await rotate(f, "orders");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Microsoft.ApiManagement/service/gateways/generateToken/action");
    expect(f.keyVault.versions(f.gateways[0].vaultSecret)).toHaveLength(1);
  });

  it("reports a gateway rejected as bad input with the others, rotates the rest and exits 2 at the end", async () => {
    const f = await start();
    const real = f.connect();
    const connect: AdaptersFactory = async (config) => {
      const adapters = await real(config);
      return {
        ...adapters,
        rotationDeps: (gateway) => {
          const deps = adapters.rotationDeps(gateway);
          if (gateway.name !== "orders") return deps;
          return {
            ...deps,
            clusterFor: (t) => ({
              ...deps.clusterFor(t),
              readToken: async () => {
                throw new InputError("Deployment apim-gateway/orders-gateway has no gateway container");
              },
            }),
          };
        },
      };
    };
    const out = captureIO();
    const code = await runWith(
      ["--all", "--force", "--format", "json", "--config", f.configPath],
      out.io,
      connect,
    );
    expect(code).toBe(2);
    const { outcomes } = JSON.parse(out.stdout()) as {
      outcomes: Array<{ gateway: string; status: string; errorName?: string; error?: string }>;
    };
    expect(outcomes.map((o) => [o.gateway, o.status, o.errorName])).toEqual([
      ["orders", "failed", "InputError"],
      ["payments", "rotated", undefined],
    ]);
    expect(outcomes[0].error).toContain("has no gateway container");
    expect(f.keyVault.versions(f.gateways[1].vaultSecret)).toHaveLength(2);

    const table = captureIO();
    expect(await runWith(["--all", "--config", f.configPath], table.io, connect)).toBe(2);
    expect(table.stdout()).toContain("orders: failed: InputError: Deployment apim-gateway/orders-gateway");
    expect(table.stdout()).toContain("payments: fresh");
    expectNoToken(out.stdout() + table.stdout() + table.stderr(), f.tokens());
  });

  it("shows rolled-out deployments with a detail", async () => {
    const f = await start();
    const run = await rotate(f, "payments", "--force");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/aks-east\/payments\/payments-gateway\s+rotated\s+rolled out/);
  });

  it("--dry-run plans while another rotation holds the gateway's lock, without any Lease rights", async () => {
    const f = await start();
    const config = await f.loadConfig();
    const [orders] = config.gateways;
    const holder = (await f.connect({ lockIdentity: "other" })(config)).rotationDeps(orders).lock;
    const held = await holder.tryAcquire(orders, { ttlInMs: 60_000 });
    expect(held).toBeDefined();
    const [east] = f.gateways[0].deployments;
    const lift = east.standin.forbid({ resource: "leases", namespace: east.namespace });
    try {
      const run = await rotate(f, "orders", "--dry-run");
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("orders: plan (dry run, nothing changed): expiring");
    } finally {
      lift();
      await held?.release();
    }
  });

  it("exits 2 for bad input", async () => {
    const f = await start({ gateways: [] });
    const dir = await mkdtemp(join(tmpdir(), "gateway-guard-rotate-"));
    const configText = (subscriptionId: string, deployment: string) => `gateways:
  - name: orders
    apim: { subscriptionId: ${subscriptionId}, resourceGroup: rg, service: svc, gatewayId: gw }
    keyVault: { url: https://kv.vault.azure.net, secretName: orders-token }
    deployments:
      - ${deployment}
`;
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, configText("not-a-guid", "{ deployment: orders }"));
    const invalid = captureIO();
    expect(await runWith(["orders", "--config", bad], invalid.io, f.connect())).toBe(2);
    expect(invalid.stderr()).toContain("gateways[0].apim.subscriptionId");
    expect(invalid.stderr()).toContain("gateways[0].deployments[0].namespace");

    const good = join(dir, "good.yaml");
    await writeFile(
      good,
      configText("00000000-0000-4000-8000-000000000000", "{ namespace: apim, deployment: orders }"),
    );
    const cases = [[], ["orders", "--all"], ["nope"], ["--all", "--format", "xml"], ["--all", "--bogus"]];
    for (const args of cases) {
      const out = captureIO();
      expect(await runWith([...args, "--config", good], out.io, f.connect()), args.join(" ")).toBe(2);
      expect(out.stderr()).toMatch(/^gateway-guard: /);
    }
    const none = captureIO();
    expect(await runWith(["--all"], none.io, f.connect())).toBe(2);
    expect(none.stderr()).toContain("--config FILE");
    expect(none.stderr()).toContain("GATEWAY_GUARD_CONFIG (the configuration as JSON)");
    const help = captureIO();
    expect(await runWith(["--help"], help.io, f.connect())).toBe(0);
    expect(help.stdout()).toMatch(/GATEWAY_GUARD_CONFIG setting\s+\(the configuration as JSON\)/);
  });
});
