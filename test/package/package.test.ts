/**
 * The package as users get it. One `npm pack` (which builds through `prepack`) serves both parts:
 * - the tarball installed with production dependencies only into an empty directory, and the command run
 *   from there: the same install the container image holds (see Dockerfile);
 * - action.yml's steps run as GitHub runs them, from the action's own files (the packed files plus the
 *   lock file and action.yml, as a release of the action carries them). Its install step (`npm ci
 *   --omit=dev` beside the lock file) is also what the Dockerfile's install stage runs.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sarifProblems } from "../drift/format/wellFormed.js";
import { runAction } from "./actionRunner.js";
import { installTarball, packWorkingTree, root, runCommand, type PackedPackage } from "./pack.js";

const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
const goodManifest = readFileSync(join(root, "infra", "k8s", "gateway.yaml"), "utf8");
const portalManifest = readFileSync(
  join(root, "shared", "drift", "examples", "portal-generated-v2.yaml"),
  "utf8",
);

let packed: PackedPackage;
let installed: string;

beforeAll(async () => {
  packed = await packWorkingTree();
  installed = await installTarball(packed.tarball, packed.work);
}, 300_000);

afterAll(() => {
  if (packed) rmSync(packed.work, { recursive: true, force: true });
});

/** A new directory below the test's work directory holding the given files. */
function directoryWith(name: string, files: Record<string, string>): string {
  const directory = join(packed.work, name);
  mkdirSync(directory, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    writeFileSync(join(directory, file), text);
  }
  return directory;
}

describe("the packed package", () => {
  it("holds the compiled code, the launcher and the bundled example, and no sources, tests or maps", () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "bin/gateway-guard.js",
        "dist/shared/cli/main.js",
        "shared/drift/examples/portal-generated-v2.yaml",
      ]),
    );
    const unexpected = packed.files.filter(
      (file) =>
        file.endsWith(".ts") ||
        file.endsWith(".map") ||
        /^(test|infra|\.ci)\//.test(file) ||
        (file.startsWith("shared/") && !file.startsWith("shared/drift/examples/")),
    );
    expect(unexpected).toEqual([]);
  });

  it("is publishable and installs without dev dependencies", () => {
    const modules = join(installed, "node_modules");
    const manifest = JSON.parse(readFileSync(join(modules, "gateway-guard", "package.json"), "utf8"));
    expect(manifest.private).toBeUndefined();
    expect(existsSync(join(modules, "gateway-guard", "dist", "shared", "cli", "main.js"))).toBe(true);
    expect(existsSync(join(modules, "yaml"))).toBe(true);
    for (const dev of ["typescript", "vitest", "azurite", "tsx"])
      expect(existsSync(join(modules, dev))).toBe(false);
  });

  it("gateway-guard --version prints the package's version", async () => {
    const run = await runCommand(join(installed, "node_modules", ".bin", "gateway-guard"), ["--version"], {
      cwd: installed,
    });
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("gateway-guard check passes a production-ready manifest (exit 0) and fails the portal's (exit 1)", async () => {
    const manifests = directoryWith("manifests", {
      "good/gateway.yaml": goodManifest,
      "portal.yaml": portalManifest,
    });
    const bin = join(installed, "node_modules", ".bin", "gateway-guard");

    const good = await runCommand(bin, ["check", "good/gateway.yaml"], { cwd: manifests });
    expect(good.stdout).toContain("1 deployment checked: 0 failing");
    expect(good.code).toBe(0);

    const portal = await runCommand(bin, ["check", "portal.yaml", "--format", "json"], { cwd: manifests });
    expect(portal.code).toBe(1);
    const report = (
      JSON.parse(portal.stdout) as { reports: Array<{ summary: { bySeverity: { error: number } } }> }
    ).reports[0];
    expect(report.summary.bySeverity.error).toBeGreaterThan(0);
  });

  it("gateway-guard check with no path checks the example bundled in the package", async () => {
    const run = await runCommand(
      join(installed, "node_modules", ".bin", "gateway-guard"),
      ["check", "--format", "json"],
      { cwd: installed },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("checking the bundled example");
    const { reports } = JSON.parse(run.stdout) as { reports: Array<{ target: string }> };
    expect(reports.map((report) => report.target)).toEqual([
      expect.stringMatching(
        /^Deployment\/default\/selfhost \(node_modules\/gateway-guard\/shared\/drift\/examples\/portal-generated-v2\.yaml:\d+\)$/,
      ),
    ]);
  });

  it("bad input exits 2 with one line and no stack trace", async () => {
    const run = await runCommand(
      join(installed, "node_modules", ".bin", "gateway-guard"),
      ["check", "missing.yaml"],
      {
        cwd: installed,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^gateway-guard: [^\n]*missing\.yaml[^\n]*\n$/);
  });
});

describe("bin/gateway-guard.js", () => {
  it("says how to build when the compiled CLI is missing (a fresh checkout), with exit 2", async () => {
    const checkout = directoryWith("fresh-checkout", {
      "bin/gateway-guard.js": readFileSync(join(root, "bin", "gateway-guard.js"), "utf8"),
      "package.json": '{ "type": "module" }\n',
    });
    const run = await runCommand(process.execPath, [join(checkout, "bin", "gateway-guard.js"), "--version"], {
      cwd: checkout,
    });
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: "gateway-guard: the compiled CLI (dist/) is missing; in a checkout, run `npm run build`.\n",
    });
  });
});

describe("action.yml", () => {
  let actionPath: string;

  beforeAll(async () => {
    actionPath = join(packed.work, "action");
    await runCommand("tar", ["-xzf", packed.tarball, "-C", packed.work], { cwd: packed.work });
    rmSync(actionPath, { recursive: true, force: true });
    await runCommand("mv", [join(packed.work, "package"), actionPath], { cwd: packed.work });
    for (const file of ["action.yml", "package-lock.json"])
      copyFileSync(join(packed.source, file), join(actionPath, file));
  });

  const run = (workspace: string, inputs: Record<string, string>) =>
    runAction(join(actionPath, "action.yml"), {
      actionPath,
      workspace,
      inputs,
      env: { npm_config_prefer_offline: "true" },
    });

  it("installs its production dependencies, writes SARIF, uploads it and passes a good manifest", async () => {
    const workspace = directoryWith("workspace-good", {
      "k8s/gateway.yaml": goodManifest,
      "README.md": "# app\n",
    });
    const result = await run(workspace, { path: "k8s" });

    expect(result.steps.map((step) => [step.name, step.outcome])).toEqual([
      ["Install gateway-guard's production dependencies", "success"],
      ["Check the gateway deployments", "success"],
      ["Upload the findings to code scanning", "uses"],
      ["Fail on findings at or above fail-on", "success"],
    ]);
    expect(result.success).toBe(true);
    expect(existsSync(join(actionPath, "node_modules", "yaml"))).toBe(true);
    expect(existsSync(join(actionPath, "node_modules", "typescript"))).toBe(false);
    expect(result.outputs).toEqual({ "sarif-file": "gateway-guard.sarif", "exit-code": "0" });

    const upload = result.steps[2];
    expect(upload.uses).toMatch(/^github\/codeql-action\/upload-sarif@/);
    expect(upload.with).toEqual({ sarif_file: "gateway-guard.sarif", category: "gateway-guard" });
    const sarif = JSON.parse(readFileSync(join(workspace, "gateway-guard.sarif"), "utf8")) as {
      runs: Array<{ results: unknown[]; tool: { driver: { name: string } } }>;
    };
    expect(sarifProblems(sarif)).toEqual([]);
    expect(sarif.runs[0].tool.driver.name).toBe("gateway-guard");
    expect(sarif.runs[0].results).toEqual([]);
    expect(result.steps[1].run?.stdout).toContain("1 deployment checked: 0 failing");
  }, 300_000);

  it("fails on findings at or above fail-on after the SARIF is written, and honours the inputs", async () => {
    const workspace = directoryWith("workspace-portal", {
      "deploy/portal.yaml": portalManifest,
      "policy/baseline.yaml": "rules:\n  dns-policy: { enabled: false }\n",
    });
    const result = await run(workspace, {
      path: "deploy",
      baseline: "policy/baseline.yaml",
      "fail-on": "warning",
      format: "markdown",
      "sarif-file": "out/gg.sarif",
      "upload-sarif": "false",
    });

    expect(result.steps.map((step) => step.outcome)).toEqual(["success", "success", "skipped", "failure"]);
    expect(result.success).toBe(false);
    expect(result.outputs).toEqual({ "sarif-file": "out/gg.sarif", "exit-code": "1" });
    expect(result.steps[3].run?.stdout).toContain("::error title=gateway-guard::");
    const check = result.steps[1].run?.stdout ?? "";
    expect(check).toMatch(/^#+ /m);
    expect(check).not.toContain("dns-policy");
    const sarif = JSON.parse(readFileSync(join(workspace, "out", "gg.sarif"), "utf8")) as {
      runs: Array<{ results: Array<{ ruleId: string }> }>;
    };
    expect(sarifProblems(sarif)).toEqual([]);
    expect(sarif.runs[0].results.map((entry) => entry.ruleId)).toContain("image-tag-pinned");
  }, 300_000);

  it("stops at the check step on bad input, with gateway-guard's one-line message", async () => {
    const workspace = directoryWith("workspace-empty", {
      "k8s/app.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: { name: x }\n",
    });
    const result = await run(workspace, { path: "k8s/app.yaml" });
    expect(result.steps.map((step) => step.outcome)).toEqual(["success", "failure"]);
    expect(result.steps[1].run?.code).toBe(2);
    expect(result.steps[1].run?.stderr).toMatch(/^gateway-guard: /);
  }, 300_000);
});
