/**
 * The agent killed (SIGKILL) in the middle of a delivery, as a node eviction or an OOM kill would:
 * its Lease stays held until it expires, so the next pass is `locked`; once the Lease has expired,
 * a pass finishes the delivery (the Secret's rollout was never confirmed) and reports it.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { leaseName } from "../../shared/kube/lock.js";
import { runAgentPass } from "../../shared/agent/pass.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { startPullFleet, type PullFleet } from "./pullFleet.js";

const entry = fileURLToPath(new URL("./agentProcess.ts", import.meta.url));
let pull: PullFleet | undefined;

afterEach(async () => {
  await pull?.stop();
  pull = undefined;
});

it("an agent killed mid-delivery leaves its Lease; once the Lease expires, the next pass finishes the delivery", async () => {
  const p = (pull = await startPullFleet({ identity: true, rolloutStepInMs: 150, replicas: 3 }));
  const minted = await p.centralMint();
  const { namespace, deployment: name, standin } = p.deployment;
  const { path, context } = p.connection as { path: string; context: string };

  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      entry,
      "--config",
      p.configPath,
      "--once",
      "--kubeconfig",
      path,
      "--context",
      context,
    ],
    { env: { PATH: process.env.PATH, ...p.fleet.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  const rolling = new Promise<void>((resolve) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("Waiting for deployment")) resolve();
    });
  });
  const exited = once(child, "exit");
  await Promise.race([rolling, exited]);
  child.kill("SIGKILL");
  await exited;
  expect(stderr).toContain(`${p.deployment.context}/${namespace}/${name}: Waiting for deployment`);

  const secret = standin.get("Secret", namespace, p.deployment.secretName);
  expect(p.fleet.secretToken(p.deployment)).toBe(p.fleet.keyVault.versions(p.seeded.vaultSecret)[1].value);
  expect(secret?.metadata.annotations?.[secretAnnotations.vaultVersion]).toBe(minted.version);
  expect(secret?.metadata.annotations?.[secretAnnotations.rolledOutVersion]).not.toBe(minted.version);
  expect(await p.queue.peekMessages()).toMatchObject({ peekedMessageItems: [] });

  const locked = await runAgentPass(p.config, p.deps());
  expect(locked.gateways).toEqual([
    expect.objectContaining({ gateway: "edge", status: "locked", reports: [] }),
  ]);
  expect(locked.ok).toBe(false);

  const lease = standin.get("Lease", namespace, leaseName("edge"));
  if (!lease) throw new Error("the killed agent left no Lease");
  const spec = (lease as { spec: Record<string, unknown> }).spec;
  const longAgo = new Date(Date.now() - 3_600_000).toISOString().replace("Z", "000Z");
  await standin.apply([{ ...lease, spec: { ...spec, renewTime: longAgo, acquireTime: longAgo } }]);

  const finished = await runAgentPass(p.config, p.deps());
  expect(finished.ok).toBe(true);
  expect(finished.gateways[0]).toMatchObject({ status: "delivered" });
  expect(standin.get("Secret", namespace, p.deployment.secretName)?.metadata.annotations).toMatchObject({
    [secretAnnotations.rolledOutVersion]: minted.version,
  });
  for (const pod of standin.podTokens(namespace, name)) {
    expect(Object.values(pod.env)).toEqual([`GatewayKey ${p.fleet.secretToken(p.deployment)}`]);
  }
  const book = new (await import("../../shared/agent/reports.js")).ReportBook();
  expect((await p.readReports(book)).accepted).toEqual([
    expect.objectContaining({ outcome: "delivered", vaultVersion: minted.version }),
  ]);
});
