import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBuilt, root } from "../cli/harness.js";

describe("npm run demo (test/standins/demo.ts)", () => {
  it("runs status, rotate, status, a live check and a repair through the real CLI, then pull mode, and exits 0", async () => {
    ensureBuilt();
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "test", "standins", "demo.ts")],
        { cwd: root, encoding: "utf8", timeout: 150_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.stdout).toContain("Demo complete: every step ended as expected");
    expect(run.code).toBe(0);
    expect(run.stdout.match(/^=== \d\/6 /gm)).toHaveLength(6);
    expect(run.stdout).toMatch(/orders: rotated: rotated 2 of 2 deployments with the secondary key/);
    expect(run.stdout).toMatch(/orders: delivered: delivered 1 of 2 deployments/);
    expect(run.stdout.match(/^=== pull \d\/4 /gm)).toHaveLength(4);
    expect(run.stdout).toContain(
      "edge: unrevoked: rotated 1 of 1 deployments with the secondary key; revoke pending: waiting for reports from edge-paris/apim-gateway/edge-gateway",
    );
    expect(run.stdout).toContain(
      "pulled:edge-paris/apim-gateway/edge-gateway: unchanged (delivered by the agent of edge-paris)",
    );
    expect(run.stdout).toContain("edge: delivered");
    expect(run.stdout).toMatch(
      /edge: fresh: .*; primary key regenerated, older tokens signed with it no longer work/,
    );
    expect(run.stdout).not.toContain("!!!");
  }, 180_000);
});
