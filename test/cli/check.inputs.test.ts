/**
 * `gateway-guard check` on inputs that are not plain gateway manifests: directories of a repository
 * (Kustomization, package.json, node_modules, .git), fields of the wrong type, strict JSON, baseline thresholds.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain, tempFiles } from "./harness.js";
import { portalYaml } from "./manifests.js";

const expectInputError = (run: { code: number; stdout: string; stderr: string }, pattern: RegExp) => {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(/^gateway-guard: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
};

describe("gateway-guard check: a directory of a repository", () => {
  it("skips what is not a Kubernetes object with a note on stderr, and never enters node_modules or .git", async () => {
    const dir = tempFiles({
      "gateway.yaml": portalYaml,
      "kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gateway.yaml]\n",
      "package.json": '{"name": "infra", "private": true}\n',
    });
    mkdirSync(join(dir, "node_modules", "pkg"), { recursive: true });
    writeFileSync(join(dir, "node_modules", "pkg", "broken.yaml"), "a: [\n");
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "broken.json"), "{");
    const run = await runMain(["check", dir, "--format", "json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).reports).toHaveLength(1);
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([
      `gateway-guard: skipped ${join(dir, "kustomization.yaml")}:1: Kustomization has no \`metadata.name\`, so it is not an object to check`,
      `gateway-guard: skipped ${join(dir, "package.json")}:1: not a Kubernetes object (no \`kind\`)`,
    ]);
  });

  it("stays strict for a file named on the command line", async () => {
    const dir = tempFiles({ "kustomization.yaml": "kind: Kustomization\nresources: [gateway.yaml]\n" });
    expectInputError(
      await runMain(["check", join(dir, "kustomization.yaml")]),
      /kustomization\.yaml:1: Kustomization has no `metadata\.name`/,
    );
  });
});

describe("gateway-guard check: bad field types and JSON", () => {
  it("refuses a metadata.namespace that is not a string, at its line, in every format", async () => {
    const dir = tempFiles({
      "gateway.yaml": portalYaml.replace(
        "metadata:\n  name: selfhost\n",
        "metadata:\n  name: selfhost\n  namespace: 5\n",
      ),
    });
    for (const format of ["table", "markdown", "html"]) {
      expectInputError(
        await runMain(["check", join(dir, "gateway.yaml"), "--format", format]),
        /gateway\.yaml:26: Deployment: expected `metadata\.namespace` to be a string, found a number \(5\)\./,
      );
    }
  });

  it("refuses a .json file with a trailing comma as malformed JSON, naming the line", async () => {
    const dir = tempFiles({ "gw.json": '{\n  "kind": "ConfigMap",\n  "metadata": {"name": "a"},\n}\n' });
    expectInputError(await runMain(["check", join(dir, "gw.json")]), /gw\.json:4: malformed JSON: /);
  });
});

describe("gateway-guard check --baseline", () => {
  it("refuses a threshold the rule does not have", async () => {
    const dir = tempFiles({ "baseline.yaml": "rules:\n  replicas:\n    minimun: 2\n" });
    const run = await runMain(["check", "--baseline", join(dir, "baseline.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^ {2}rules\.replicas\.minimun: unknown setting for rule "replicas" .*\(line 3\)$/m,
    );
  });
});
