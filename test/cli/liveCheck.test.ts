import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigured } from "../../shared/cli/liveCheck.js";
import type { Report } from "../../shared/drift/types.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { captureIO, expectNoToken } from "./capture.js";
import { ensureBuilt, runBin } from "./harness.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ identity: true });
  ensureBuilt();
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
});

function statusOf(report: Report, rule: string): string[] {
  return report.findings.filter((f) => f.rule === rule).map((f) => f.status);
}

describe("gateway-guard check --config (live)", () => {
  it("checks the named gateways through the given adapters", async () => {
    const out = captureIO();
    const result = await checkConfigured(
      out.io,
      { config: fleet.configPath, names: ["payments"] },
      fleet.connect(),
    );
    expect(result.reports.map((r) => r.target)).toEqual([
      "Deployment/payments/payments-gateway (cluster aks-east, gateway payments)",
    ]);
    expect(statusOf(result.reports[0], "token-in-sync")).toEqual(["pass"]);
    expect(statusOf(result.reports[0], "pods-have-current-token")).toEqual(["pass"]);
  });

  it("exits 0 as a real process when no error-level finding fails, with the same formats", async () => {
    const run = await runBin(["check", "--config", fleet.configPath, "payments", "--format", "json"], {
      env: fleet.env,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as { reports: Report[] };
    expect(parsed.reports).toHaveLength(1);
    expect(statusOf(parsed.reports[0], "token-expiry")).toEqual(["pass", "pass"]);
    expectNoToken(run.stdout, fleet.tokens());
  }, 60_000);

  it("exits 1 when a token is about to expire", async () => {
    const run = await runBin(["check", "--config", fleet.configPath, "orders"], { env: fleet.env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+error\s+token-expiry/);
    expect(run.stdout).toContain("(cluster aks-west, gateway orders)");
    expectNoToken(run.stdout + run.stderr, fleet.tokens());
  }, 60_000);

  it("exits 2 for a gateway that is not configured", async () => {
    const run = await runBin(["check", "--config", fleet.configPath, "nope"], { env: fleet.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^gateway-guard: "nope" is not configured; expected one of: orders, payments\n$/,
    );
  }, 60_000);

  it("exits 1 (a failure, not bad input) when a cluster cannot be reached", async () => {
    const closed = await closedPort();
    const kubeconfig = (await readFile(fleet.kubeconfigPath, "utf8")).replace(
      /server: https:\/\/[^\s]+/g,
      `server: https://127.0.0.1:${closed}`,
    );
    const kubeconfigPath = `${fleet.kubeconfigPath}.unreachable`;
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    const configPath = `${fleet.configPath}.unreachable.yaml`;
    await writeFile(
      configPath,
      (await readFile(fleet.configPath, "utf8")).replaceAll(fleet.kubeconfigPath, kubeconfigPath),
    );
    const run = await runBin(["check", "--config", configPath, "payments"], { env: fleet.env });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^gateway-guard: [^\n]+\n$/);
    expectNoToken(run.stderr, fleet.tokens());
  }, 60_000);
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
