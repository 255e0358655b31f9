/**
 * The agent's pass and loop over the rotation engine's in-memory fakes, and the `agent` command's
 * input handling and clean stop.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig, type AgentConfig } from "../../shared/agent/config.js";
import { runAgentLoop, runAgentPass, type AgentDeps } from "../../shared/agent/pass.js";
import { agentIssuer, ReadOnlyVault } from "../../shared/agent/readOnly.js";
import type { AgentReport } from "../../shared/agent/report.js";
import { runWith } from "../../shared/cli/commands/agent.js";
import { captureIO } from "../cli/capture.js";
import { dayInMs, fakeWorld } from "../rotation/fakes.js";

const rawConfig = {
  cluster: "edge",
  reportQueueUrl: "https://a.queue.core.windows.net/gateway-guard-reports-edge",
  gateways: ["gw1", "gw2"].map((name) => ({
    name,
    keyVault: { url: "https://kv.vault.azure.net", secretName: `${name}-token` },
    deployments: [{ namespace: "gateways", deployment: name }],
  })),
};

/** Two gateways in one fake cluster, each Secret one Key Vault version behind (so each pass delivers). */
async function agentWorld(send: (report: AgentReport) => Promise<void> = async () => {}) {
  const config = parseAgentConfig(rawConfig, "agent.yaml", {
    connection: { type: "kubeconfig", context: "east" },
  });
  const world = fakeWorld(config.gateways[0]);
  for (const gateway of config.gateways) {
    const [target] = gateway.deployments;
    const expiresOn = new Date(world.clock.now().getTime() + 20 * dayInMs);
    const old = await world.issuer.mint(gateway.apim, "primary", expiresOn);
    world.vault.put(gateway.keyVault.secretName, { token: old, expiresOn, keyType: "primary" });
    world.vault.put(gateway.keyVault.secretName, {
      token: await world.issuer.mint(gateway.apim, "secondary", expiresOn),
      expiresOn,
      keyType: "secondary",
    });
    world.clusterOf(target).addDeployment(target, { token: old });
  }
  const reports: AgentReport[] = [];
  const deps: AgentDeps = {
    rotationDeps: () => ({ ...world.deps, issuer: agentIssuer, vault: new ReadOnlyVault(world.vault) }),
    reports: {
      async send(report) {
        reports.push(report);
        await send(report);
      },
    },
    now: world.clock.now,
  };
  return { config, world, deps, reports };
}

describe("an agent pass", () => {
  it("delivers each gateway's Key Vault token and reports each deployment", async () => {
    const { config, world, deps, reports } = await agentWorld();
    const result = await runAgentPass(config, deps);
    expect(result.ok).toBe(true);
    expect(result.gateways.map((g) => g.status)).toEqual(["delivered", "delivered"]);
    expect(world.issuer.mints).toHaveLength(4);
    expect(reports).toEqual([
      expect.objectContaining({
        gateway: "gw1",
        deployment: "gw1",
        vaultVersion: "v2",
        outcome: "delivered",
      }),
      expect.objectContaining({
        gateway: "gw2",
        deployment: "gw2",
        vaultVersion: "v2",
        outcome: "delivered",
      }),
    ]);
  });

  it("is not ok when a report cannot be sent, and says why", async () => {
    const { config, deps } = await agentWorld(async () => {
      throw new Error("sending a report to queue gateway-guard-reports-edge failed (HTTP 503: ServerBusy)");
    });
    const result = await runAgentPass(config, deps);
    expect(result.ok).toBe(false);
    expect(result.gateways[0]).toMatchObject({
      status: "delivered",
      reportError: "sending a report to queue gateway-guard-reports-edge failed (HTTP 503: ServerBusy)",
    });
  });

  it("skips a gateway whose Lease another run holds, without a report", async () => {
    const { config, world, deps, reports } = await agentWorld();
    world.lock.holdAs("gw1", "another-agent");
    const result = await runAgentPass(config, deps);
    expect(result.gateways.map((g) => g.status)).toEqual(["locked", "delivered"]);
    expect(result.ok).toBe(false);
    expect(reports.map((r) => r.gateway)).toEqual(["gw2"]);
  });

  it("stops before the next gateway when aborted", async () => {
    const controller = new AbortController();
    const { config, deps, reports } = await agentWorld(async () => controller.abort());
    const result = await runAgentPass(config, deps, { abortSignal: controller.signal });
    expect(result.gateways.map((g) => g.gateway)).toEqual(["gw1"]);
    expect(result.ok).toBe(false);
    expect(reports).toHaveLength(1);
  });
});

describe("the agent loop", () => {
  it("runs a pass every interval until stopped", async () => {
    const { config, deps, reports } = await agentWorld();
    const controller = new AbortController();
    const passes: boolean[] = [];
    const last = await runAgentLoop(config, deps, {
      intervalInMs: 1,
      abortSignal: controller.signal,
      onPass(result) {
        passes.push(result.ok);
        if (passes.length === 2) controller.abort();
      },
    });
    expect(passes).toEqual([true, true]);
    expect(reports.map((r) => r.outcome)).toEqual(["delivered", "delivered", "in-sync", "in-sync"]);
    expect(last?.gateways.map((g) => g.status)).toEqual(["in-sync", "in-sync"]);
  });
});

describe("gateway-guard agent", () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
    directory = undefined;
  });

  async function configFile(raw: unknown = rawConfig): Promise<string> {
    directory = await mkdtemp(join(tmpdir(), "agent-cli-"));
    const path = join(directory, "agent.yaml");
    await writeFile(path, JSON.stringify(raw));
    return path;
  }

  const noAgent = async (): Promise<AgentDeps> => {
    throw new Error("must not connect");
  };

  it.each([
    [
      [],
      "gateway-guard: agent needs --config FILE (the agent configuration). Run `gateway-guard agent --help`.",
    ],
    [
      ["--config", "a.yaml", "--once", "--interval", "5m"],
      "gateway-guard: give either --once or --interval, not both",
    ],
    [["--config", "a.yaml", "--context", "x"], "gateway-guard: --context needs --kubeconfig FILE"],
    [
      ["--config", "a.yaml", "--interval", "5"],
      "gateway-guard: --interval must be a duration of at least 10s",
    ],
    [["--config", "a.yaml", "orders"], "gateway-guard: unexpected argument orders"],
    [["--config", "missing.yaml"], "gateway-guard: cannot read agent configuration file"],
  ])("exits 2 on bad input: %j", async (args, message) => {
    const captured = captureIO();
    expect(await runWith(args, captured.io, noAgent)).toBe(2);
    expect(captured.stderr()).toContain(message);
    expect(captured.stdout()).toBe("");
  });

  it("exits 2 listing every problem of an invalid configuration", async () => {
    const path = await configFile({ ...rawConfig, cluster: "Edge", interval: "soon" });
    const captured = captureIO();
    expect(await runWith(["--config", path, "--once"], captured.io, noAgent)).toBe(2);
    expect(captured.stderr()).toMatch(
      /invalid configuration in .*agent\.yaml \(2 problems\):\n {2}cluster: .*\n {2}interval: /,
    );
  });

  it("with an interval, runs until stopped and then exits 0", async () => {
    const path = await configFile();
    const controller = new AbortController();
    const captured = captureIO();
    let world: Awaited<ReturnType<typeof agentWorld>> | undefined;
    const code = await runWith(
      ["--config", path, "--interval", "1h", "--kubeconfig", "kubeconfig", "--context", "east"],
      captured.io,
      async (config: AgentConfig) => {
        world = await agentWorld(async () => controller.abort());
        expect(config.intervalInMs).toBe(3_600_000);
        return world.deps;
      },
      { abortSignal: controller.signal },
    );
    expect(code).toBe(0);
    expect(captured.stdout()).toContain(
      "gw1: delivered: delivered 1 of 1 deployments with the secondary key",
    );
    expect(captured.stderr()).toMatch(
      /agent: cluster edge, 2 gateways, reports to gateway-guard-reports-edge\n[\s\S]*agent: stopped\n$/,
    );
    expect(world?.reports).toHaveLength(1);
  });
});

describe("the command table", () => {
  it("lists `agent` and loads its help", async () => {
    const { runMain } = await import("../cli/harness.js");
    expect((await runMain(["--help"])).stdout).toMatch(/\n {2}agent +Pull mode: /);
    const help = await runMain(["agent", "--help"]);
    expect(help).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("Usage: gateway-guard agent --config FILE"),
    });
  });
});
