/**
 * `gateway-guard agent --once` from the production install (the packed tarball installed with
 * production dependencies only, as the container image holds it), against the stand-ins: it signs in
 * with `DefaultAzureCredential` (the managed identity stand-in), reads Key Vault, delivers to the
 * cluster stand-in and sends its report to an HTTPS queue with a bearer token.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { decodeAgentReport, reportQueueName } from "../../shared/agent/report.js";
import { startPullFleet, cluster, type PullFleet } from "../agent/pullFleet.js";
import { startReportQueueStandin, type ReportQueueStandin } from "../agent/reportQueueStandin.js";
import { installTarball, packWorkingTree, runCommand, type PackedPackage } from "./pack.js";

let packed: PackedPackage;
let installed: string;
let pull: PullFleet;
let queue: ReportQueueStandin;

beforeAll(async () => {
  packed = await packWorkingTree();
  installed = await installTarball(packed.tarball, packed.work);
  pull = await startPullFleet({ identity: true, rolloutStepInMs: 50 });
  queue = await startReportQueueStandin(reportQueueName(cluster));
}, 300_000);

afterAll(async () => {
  await queue?.close();
  await pull?.stop();
  if (packed) rmSync(packed.work, { recursive: true, force: true });
});

it("the installed gateway-guard agent --once delivers Key Vault's token and reports it", async () => {
  const minted = await pull.centralMint();
  const config = parse(readFileSync(pull.configPath, "utf8")) as Record<string, unknown>;
  const configPath = join(packed.work, "agent.yaml");
  writeFileSync(configPath, stringify({ ...config, reportQueueUrl: queue.url }));
  const { path, context } = pull.connection as { path: string; context: string };

  const run = await runCommand(
    join(installed, "node_modules", ".bin", "gateway-guard"),
    ["agent", "--config", configPath, "--once", "--kubeconfig", path, "--context", context],
    { cwd: installed, env: { PATH: process.env.PATH, ...pull.fleet.env } },
  );
  expect(run.stderr).toContain("agent: pass done: every deployment has Key Vault's token");
  expect(run.stdout).toContain("edge: delivered");
  expect(run.code).toBe(0);
  expect(pull.fleet.secretToken(pull.deployment)).toBe(minted.token);
  expect(queue.messages.map(decodeAgentReport)).toEqual([
    expect.objectContaining({ gateway: "edge", cluster, outcome: "delivered", vaultVersion: minted.version }),
  ]);
  expect(pull.fleet.identity?.resources).toContain("https://storage.azure.com");
  for (const token of pull.fleet.tokens()) expect(run.stdout + run.stderr).not.toContain(token);
}, 120_000);
