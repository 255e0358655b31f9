import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCertificate } from "../certs.js";
import { startKubeStandin, type KubeStandin } from "./index.js";
import { gatewayObjects } from "./fixtures.js";

const run = promisify(execFile);

function kubectlInstalled(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const ns = "gw";
const oldToken = "selfhost&202601010000&b2xk";
const newToken = "selfhost&202602010000&bmV3";

describe.runIf(kubectlInstalled())("Kubernetes stand-in with kubectl", () => {
  let cluster: KubeStandin;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    const { stdout } = await run("kubectl", ["-n", ns, ...args], {
      env: { ...process.env, KUBECONFIG: join(dir, "kubeconfig") },
    });
    return stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kube-standin-"));
    cluster = await startKubeStandin({ rolloutStepInMs: 20, tls: await makeTestCertificate() });
    await cluster.apply(gatewayObjects(ns, "selfhost", oldToken));
    await cluster.writeKubeConfig(join(dir, "kubeconfig"));
  });

  afterAll(async () => {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists deployments and pods with server-side columns", async () => {
    expect(await kubectl("get", "deploy")).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nselfhost\s+2\/2\s+2\s+2\s/,
    );
    const pods = await kubectl("get", "pods", "-l", "app=selfhost", "-o", "name");
    expect(pods.trim().split("\n")).toHaveLength(2);
  });

  it("patches a Secret, restarts the Deployment and waits with rollout status", async () => {
    const value = Buffer.from(`GatewayKey ${newToken}`).toString("base64");
    expect(
      await kubectl(
        "patch",
        "secret",
        "selfhost-token",
        "--type",
        "merge",
        "-p",
        JSON.stringify({ data: { value } }),
      ),
    ).toContain("patched");
    expect(await kubectl("rollout", "restart", "deploy/selfhost")).toContain("restarted");
    expect(await kubectl("rollout", "status", "deploy/selfhost", "--timeout=20s")).toContain(
      "successfully rolled out",
    );
    const pods = cluster.podTokens(ns, "selfhost");
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.env["config.service.auth"] === `GatewayKey ${newToken}`)).toBe(true);
  });

  it("refuses to restart a paused Deployment, as kubectl does", async () => {
    await kubectl("rollout", "pause", "deploy/selfhost");
    await expect(kubectl("rollout", "restart", "deploy/selfhost")).rejects.toThrow(
      /can't restart paused deployment/,
    );
    await kubectl("rollout", "resume", "deploy/selfhost");
  });
});
