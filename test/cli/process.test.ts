import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sarifProblems } from "../drift/format/wellFormed.js";
import { ensureBuilt, root, runBin, tempFiles } from "./harness.js";
import { literalToken, literalTokenYaml, malformedYaml, portalYaml } from "./manifests.js";

describe("node bin/gateway-guard.js (the real command)", () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it("--version", async () => {
    const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    expect(await runBin(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("check with no path checks the bundled example and exits 1", async () => {
    const run = await runBin(["check"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("checking the bundled example");
    expect(run.stdout).toContain(
      "Deployment/default/selfhost (shared/drift/examples/portal-generated-v2.yaml:",
    );
  });

  it("check with no path reads a pipe (cat file | gateway-guard check)", async () => {
    const dir = tempFiles({ "gw.yaml": literalTokenYaml });
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile(
        "sh",
        [
          "-c",
          `cat "${join(dir, "gw.yaml")}" | "${process.execPath}" bin/gateway-guard.js check --format json`,
        ],
        { cwd: root, encoding: "utf8" },
        (_error, out, err) => resolve({ stdout: out, stderr: err }),
      ),
    );
    expect(stderr).toBe("");
    expect(JSON.parse(stdout).reports[0].target).toContain("(<stdin>:");
    expect(stdout).not.toContain(literalToken);
  });

  it("check - reads a pipe, and --output writes SARIF", async () => {
    const dir = tempFiles({});
    const run = await runBin(["check", "-", "--format", "sarif", "--output", join(dir, "out.sarif")], {
      stdin: portalYaml,
    });
    expect(run.code).toBe(1);
    expect(sarifProblems(JSON.parse(readFileSync(join(dir, "out.sarif"), "utf8")))).toEqual([]);
  });

  it("--fail-on none exits 0", async () => {
    const dir = tempFiles({ "g.yaml": portalYaml });
    expect((await runBin(["check", join(dir, "g.yaml"), "--fail-on", "none"])).code).toBe(0);
  });

  it("bad input exits 2 with one line and no stack trace", async () => {
    const dir = tempFiles({ "broken.yaml": malformedYaml });
    const run = await runBin(["check", join(dir, "broken.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^gateway-guard: .*broken\.yaml:\d+: malformed YAML[^\n]*\n$/);
    expect((await runBin(["check", "--nope"])).code).toBe(2);
  });

  it("never prints a literal token", async () => {
    const run = await runBin(["check", "-", "--format", "json"], { stdin: literalTokenYaml });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(literalToken.split("&")[2]);
  });

  it("does not load the Azure or Kubernetes SDKs, nor zod without --baseline, for check", async () => {
    const hooks = `export async function resolve(specifier, context, next) {
  if (/^(@(azure|kubernetes)\\/|zod$)/.test(specifier)) throw new Error("import blocked: " + specifier);
  return next(specifier, context);
}`;
    const register = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const blocker = ["--import", `data:text/javascript,${encodeURIComponent(register)}`];
    const control = await runNode([
      ...blocker,
      "--input-type=module",
      "-e",
      'await import("@azure/identity")',
    ]);
    expect(control.stderr).toContain("import blocked: @azure/identity");
    const run = await runNode([...blocker, "bin/gateway-guard.js", "check", "--format", "sarif"]);
    expect(run.stderr).not.toContain("blocked");
    expect(run.code).toBe(1);
    const zodControl = await runNode([...blocker, "--input-type=module", "-e", 'await import("zod")']);
    expect(zodControl.stderr).toContain("import blocked: zod");
  });
});

function runNode(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, encoding: "utf8" }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}
