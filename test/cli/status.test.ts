import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWith as rotate } from "../../shared/cli/commands/rotate.js";
import { runWith as status } from "../../shared/cli/commands/status.js";
import type { GatewayStatusView } from "../../shared/live/status.js";
import { join } from "node:path";
import { seedGateways, writeFleetConfig } from "../bench/fleet/seed.js";
import { fleetShape } from "../bench/fleet/shape.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { captureIO, expectNoToken, tableRow } from "./capture.js";
import { ensureBuilt, runBin } from "./harness.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ identity: true });
});

afterAll(async () => {
  await fleet?.stop();
});

async function run(command: typeof status, ...args: string[]) {
  const out = captureIO();
  const code = await command([...args, "--config", fleet.configPath], out.io, fleet.connect());
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

describe("gateway-guard status", () => {
  it("shows each gateway's tokens before and after a rotation, never a token", async () => {
    const before = await run(status);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/Key Vault secret orders-gateway-token: primary key, expires in 4\.0 days/);
    expect(before.stdout).toContain("Rotation now: expiring (mint)");
    expect(tableRow(before.stdout, "aks-east/apim-gateway/orders-gateway")).toEqual([
      "aks-east/apim-gateway/orders-gateway",
      "primary",
      "in 4.0 days",
      "yes",
      "3/3",
    ]);
    expect(before.stdout).toContain("Rotation now: fresh (nothing to do)");

    expect((await run(rotate, "orders")).code).toBe(0);

    const after = await run(status, "orders");
    expect(after.code).toBe(0);
    expect(after.stdout).not.toContain("Gateway payments");
    expect(after.stdout).toMatch(/orders-gateway-token: secondary key, expires in 29\.0 days/);
    for (const target of ["aks-east/apim-gateway/orders-gateway", "aks-west/apim-gateway/orders-gateway"]) {
      expect(tableRow(after.stdout, target)).toEqual([target, "secondary", "in 29.0 days", "yes", "3/3"]);
    }
    expectNoToken(before.stdout + before.stderr + after.stdout + after.stderr, fleet.tokens());
  });

  it("shows a Secret changed behind gateway-guard's back as out of sync", async () => {
    const [, west] = fleet.gateways[0].deployments;
    const original = fleet.secretToken(west);
    if (!original) throw new Error("seeded Secret has no token");
    await fleet.tamperSecret(west, "orders-gw&203001010000&c29tZXRoaW5nIGVsc2U=");
    try {
      const out = await run(status, "orders");
      expect(out.code).toBe(0);
      const [, key, expires, inSync, pods] = tableRow(out.stdout, "aks-west/apim-gateway/orders-gateway");
      expect([key, inSync, pods]).toEqual(["unknown", "NO", "0/3"]);
      const daysLeft = (Date.parse("2030-01-01T00:00:00Z") - Date.now()) / 86_400_000;
      expect(Math.abs(Number(/^in ([\d.]+) days$/.exec(expires)?.[1]) - daysLeft)).toBeLessThan(0.2);
      expect(out.stdout).toContain(
        "aks-west/apim-gateway/orders-gateway: the Secret differs from Key Vault: no pod runs Key Vault's token",
      );
      expect(out.stdout).toContain("Rotation now: out-of-sync (deliver)");
      expectNoToken(out.stdout, fleet.tokens());
    } finally {
      await fleet.tamperSecret(west, original);
    }
  });

  it("--format json gives the same facts as data, without hashes", async () => {
    const out = await run(status, "--format", "json");
    expect(out.code).toBe(0);
    const { gateways } = JSON.parse(out.stdout) as { gateways: GatewayStatusView[] };
    expect(gateways.map((g) => [g.gateway, g.decision, g.deployments.length])).toEqual([
      ["orders", "fresh", 2],
      ["payments", "fresh", 1],
    ]);
    expect(gateways[0].deployments[0]).toMatchObject({
      inSync: true,
      keyType: "secondary",
      pods: { ready: 3, onCurrentToken: 3 },
    });
    expect(out.stdout).not.toContain("sha256");
    expectNoToken(out.stdout, fleet.tokens());
  });

  it("exits 1 when a cluster denies reading, naming the verb and resource", async () => {
    const east = fleet.clusters[0];
    const lift = east.forbid({ verb: "get", resource: "secrets", namespace: "payments" });
    try {
      const out = await run(status, "payments");
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(/aks-east\/payments\/payments-gateway\s+\?/);
      expect(out.stdout).toMatch(/get.*secrets/);
    } finally {
      lift();
    }
  });

  it("exits 2 for an unknown gateway or format", async () => {
    expect((await run(status, "nope")).code).toBe(2);
    const bad = await run(status, "--format", "yaml");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown format "yaml"');
    const help = await run(status, "--help");
    expect(help.stdout).toMatch(/GATEWAY_GUARD_CONFIG setting\s+\(the configuration as JSON\)/);
  });

  it("takes --all, and refuses it together with names", async () => {
    const all = await run(status, "--all", "--format", "json");
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as { gateways: GatewayStatusView[] }).gateways).toHaveLength(2);
    const both = await run(status, "--all", "orders");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give either gateway names or --all, not both");
  });

  it("--format html prints the fleet page; --output to a path that cannot be written exits 2 naming it", async () => {
    const page = await run(status, "--format", "html");
    expect(page.code).toBe(0);
    expect(page.stdout).toMatch(/^<!doctype html>/);
    expect(page.stdout).toContain('data-gateway="payments"');
    expectNoToken(page.stdout, fleet.tokens());
    const bad = await run(status, "--format", "html", "--output", "/nonexistent-dir/fleet.html");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /\/nonexistent-dir\/fleet\.html: cannot write the status \(ENOENT\); expected a writable file path/,
    );
  });

  it("runs as a real process with DefaultAzureCredential and the stand-ins' CA from the environment", async () => {
    ensureBuilt();
    const out = await runBin(["status", "--config", fleet.configPath], { env: fleet.env });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("Gateway orders");
    expect(tableRow(out.stdout, "aks-east/payments/payments-gateway")).toEqual([
      "aks-east/payments/payments-gateway",
      "secondary",
      "in 25.0 days",
      "yes",
      "3/3",
    ]);
    // The vault's challenge names https://vault.localhost: the SDK's real resource verification passed.
    expect(fleet.identity?.resources).toEqual(expect.arrayContaining(["https://vault.localhost"]));
    expectNoToken(out.stdout, fleet.tokens());
  }, 180_000);
});

describe("gateway-guard status --all over many gateways", () => {
  it("lists gateways in configuration order when later ones are read first, reusing each cluster's connections", async () => {
    const many = await startFleet({ clusters: ["fast", "slow"], gateways: [] });
    try {
      const specs = fleetShape({ gateways: 40, clusters: 2 });
      await seedGateways(many, specs);
      const configFile = join(many.directory, "many.json");
      await writeFleetConfig(many, specs, configFile);
      many.clusters[1]!.setLatency(15);
      const count = (field: "requests" | "connections") =>
        many.clusters.reduce((sum, c) => sum + (field === "requests" ? c.requests.length : c.connections), 0);
      const [requestsBefore, connectionsBefore] = [count("requests"), count("connections")];

      const out = captureIO();
      const code = await status(["--all", "--config", configFile], out.io, many.connect());

      expect(out.stderr()).toBe("");
      expect(code).toBe(0);
      const shown = [...out.stdout().matchAll(/^Gateway (\S+) /gm)].map((match) => match[1]);
      expect(shown).toEqual(specs.map((spec) => spec.name));
      const requests = count("requests") - requestsBefore;
      const connections = count("connections") - connectionsBefore;
      expect(requests).toBeGreaterThan(specs.length * 3);
      expect(connections).toBeLessThan(requests / 4);
    } finally {
      await many.stop();
    }
  });
});
