import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatNames } from "../../shared/drift/format/index.js";
import { rules } from "../../shared/drift/rules/index.js";
import { sarifProblems, xmlProblems } from "../drift/format/wellFormed.js";
import { runMain, tempFiles } from "./harness.js";
import { literalToken, literalTokenYaml, malformedYaml, noGatewayYaml, portalYaml } from "./manifests.js";

const portalDir = tempFiles({ "gateway.yaml": portalYaml });
const portalFile = join(portalDir, "gateway.yaml");

describe("gateway-guard check: formats", () => {
  it("prints a table by default, grouped by deployment, with a summary line", async () => {
    const run = await runMain(["check", portalFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Deployment\/default\/selfhost \(.*gateway\.yaml:\d+\)/);
    expect(run.stdout).toMatch(/^ {2}FAIL +error +replicas /m);
    expect(run.stdout).toMatch(/^1 deployment checked: \d+ failing \(2 error/m);
    expect(run.stdout).not.toContain("\u001b[");
  });

  it("colours the table only on a terminal without NO_COLOR", async () => {
    expect((await runMain(["check", portalFile], { isTTY: true })).stdout).toContain("\u001b[");
    expect(
      (await runMain(["check", portalFile], { isTTY: true, env: { NO_COLOR: "1" } })).stdout,
    ).not.toContain("\u001b[");
  });

  it("json: one report per deployment in the Finding shape", async () => {
    const run = await runMain(["check", portalFile, "--format", "json"]);
    const { reports } = JSON.parse(run.stdout);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ baseline: "default", summary: { bySeverity: { error: 2 } } });
    const replicas = reports[0].findings.find((f: { rule: string }) => f.rule === "replicas");
    expect(replicas).toMatchObject({
      status: "fail",
      severity: "error",
      object: "Deployment/default/selfhost",
      path: "spec.replicas",
    });
    expect(replicas.line).toBeGreaterThan(1);
    expect(Object.keys(replicas)).toEqual(
      expect.arrayContaining([
        "rule",
        "severity",
        "status",
        "object",
        "file",
        "line",
        "path",
        "expected",
        "actual",
        "message",
        "remediation",
        "source",
      ]),
    );
  });

  it("sarif: valid 2.1.0 with every rule's metadata and a result per failing finding", async () => {
    const json = await runMain(["check", portalFile, "--format", "json"]);
    const failing = JSON.parse(json.stdout).reports[0].findings.filter(
      (f: { status: string }) => f.status === "fail",
    );
    const run = await runMain(["check", portalFile, "--format", "sarif"], { cwd: portalDir });
    const log = JSON.parse(run.stdout);
    expect(sarifProblems(log)).toEqual([]);
    const driver = log.runs[0].tool.driver;
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining(rules.map((r) => r.id)),
    );
    expect(driver.version).toMatch(/^\d+\.\d+\.\d+/);
    const results = log.runs[0].results;
    expect(results).toHaveLength(failing.length);
    expect(results.find((r: { ruleId: string }) => r.ruleId === "replicas")).toMatchObject({
      level: "error",
      locations: [
        { physicalLocation: { artifactLocation: { uri: "gateway.yaml" }, region: { startLine: 29 } } },
      ],
    });
    expect(results.find((r: { ruleId: string }) => r.ruleId === "log-level").level).toBe("note");
  });

  it("junit: one test case per rule, well-formed", async () => {
    const run = await runMain(["check", portalFile, "--format", "junit"]);
    expect(xmlProblems(run.stdout)).toEqual([]);
    const cases = run.stdout.match(/<testcase /g) ?? [];
    expect(cases.length).toBe(rules.length);
    expect(run.stdout).toMatch(/name="replicas"[^>]*>\s*<failure type="error"/);
    expect(run.stdout).toMatch(/name="token-expiry"[^>]*>\s*<skipped /);
  });

  it("markdown and html", async () => {
    const md = await runMain(["check", portalFile, "--format", "markdown"]);
    expect(md.stdout).toContain("| Deployment | Errors | Warnings |");
    expect(md.stdout).toContain("```yaml\n");
    const html = await runMain(["check", portalFile, "--format", "html"]);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).not.toContain("<script");
    expect(html.stdout).toContain("&lt;apim-name&gt;.configuration.azure-api.net");
  });

  it("never prints a token written literally in a manifest, in any format", async () => {
    const dir = tempFiles({ "literal.yaml": literalTokenYaml });
    expect(literalTokenYaml).toContain(literalToken);
    const secretPart = literalToken.split("&")[2];
    for (const format of formatNames) {
      const run = await runMain(["check", join(dir, "literal.yaml"), "--format", format]);
      expect(run.code, format).toBe(1);
      const output = run.stdout + run.stderr;
      expect(output, format).not.toContain(secretPart);
      expect(output, format).toContain("token-from-secret");
    }
    const json = JSON.parse((await runMain(["check", join(dir, "literal.yaml"), "--format", "json"])).stdout);
    const finding = json.reports[0].findings.find((f: { rule: string }) => f.rule === "token-from-secret");
    expect(finding).toMatchObject({ status: "fail", severity: "error" });
  });
});

describe("gateway-guard check: exit codes", () => {
  it("exits 1 on a failing error and 0 with --fail-on none", async () => {
    expect((await runMain(["check", portalFile])).code).toBe(1);
    expect((await runMain(["check", portalFile, "--fail-on", "none"])).code).toBe(0);
  });

  it("--fail-on compares with the severities that fail", async () => {
    const baseline = tempFiles({
      "baseline.yaml": "rules:\n  replicas: { severity: warning }\n  image-tag-pinned: { enabled: false }\n",
    });
    const args = ["check", portalFile, "--baseline", join(baseline, "baseline.yaml")];
    expect((await runMain([...args, "--format", "json"])).code).toBe(0);
    expect((await runMain([...args, "--fail-on", "error"])).code).toBe(0);
    expect((await runMain([...args, "--fail-on", "warning"])).code).toBe(1);
    expect((await runMain([...args, "--fail-on", "info"])).code).toBe(1);
  });

  it("names the baseline file in reports", async () => {
    const baseline = tempFiles({ "b.yaml": "rules: {}\n" });
    const run = await runMain([
      "check",
      portalFile,
      "--baseline",
      join(baseline, "b.yaml"),
      "--format",
      "json",
    ]);
    expect(JSON.parse(run.stdout).reports[0].baseline).toBe(join(baseline, "b.yaml"));
  });
});

describe("gateway-guard check: input", () => {
  it("reads standard input for -", async () => {
    const run = await runMain(["check", "-", "--format", "json"], { stdin: portalYaml });
    expect(run.code).toBe(1);
    const { reports } = JSON.parse(run.stdout);
    expect(reports[0].target).toContain("<stdin>");
    expect(reports[0].findings[0].file).toBe("<stdin>");
  });

  it("checks the bundled example with no path, and says so on stderr", async () => {
    const run = await runMain(["check", "--format", "json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^gateway-guard: no path given, so checking the bundled example .*portal-generated-v2\.yaml\n$/,
    );
    expect(JSON.parse(run.stdout).reports[0].target).toMatch(
      /^Deployment\/default\/selfhost \(.*portal-generated-v2\.yaml:\d+\)$/,
    );
  });

  it("fits the table in 80 columns (or COLUMNS) and lists passing rules only with --verbose", async () => {
    const brief = await runMain(["check", portalFile]);
    expect(brief.stdout.split("\n").filter((line) => line.length > 80)).toEqual([]);
    expect(brief.stdout.match(/^ {2}PASS /gm)).toHaveLength(1);
    const verbose = await runMain(["check", portalFile, "--verbose"], { env: { COLUMNS: "100" } });
    expect(verbose.stdout.split("\n").filter((line) => line.length > 100)).toEqual([]);
    expect(verbose.stdout.match(/^ {2}PASS /gm)!.length).toBeGreaterThan(5);
  });

  it("reads standard input with no path when it is not a terminal", async () => {
    const run = await runMain(["check", "--format", "json"], { stdin: literalTokenYaml });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout).reports[0].target).toContain("(<stdin>:");
  });

  it("writes the report to --output and nothing to stdout", async () => {
    const dir = tempFiles({});
    const out = join(dir, "report.sarif");
    const run = await runMain(["check", portalFile, "--format", "sarif", "--output", out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`wrote the sarif report to ${out}`);
    expect(sarifProblems(JSON.parse(readFileSync(out, "utf8")))).toEqual([]);
  });

  it("checks every manifest in a directory", async () => {
    const dir = tempFiles({
      "a.yaml": portalYaml,
      "b.yml": portalYaml.replace(/name: selfhost$/m, "name: other").replace(/namespace: .*/g, "$&"),
      "notes.txt": "not a manifest",
    });
    const run = await runMain(["check", dir, "--format", "json"]);
    expect(JSON.parse(run.stdout).reports.length).toBeGreaterThanOrEqual(2);
  });
});

describe("gateway-guard check: bad input exits 2 with one line", () => {
  const expectUsageError = (run: { code: number; stdout: string; stderr: string }, pattern: RegExp) => {
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^gateway-guard: [^\n]+\n$/);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  };

  it("malformed YAML, naming file and line", async () => {
    const dir = tempFiles({ "broken.yaml": malformedYaml });
    expectUsageError(await runMain(["check", join(dir, "broken.yaml")]), /broken\.yaml:\d+: malformed YAML/);
  });

  it("malformed JSON", async () => {
    const dir = tempFiles({ "broken.json": '{"kind": "Deployment", ' });
    expectUsageError(await runMain(["check", join(dir, "broken.json")]), /broken\.json:\d+: malformed JSON/);
  });

  it("an empty file and empty stdin", async () => {
    const dir = tempFiles({ "empty.yaml": "" });
    expectUsageError(await runMain(["check", join(dir, "empty.yaml")]), /empty\.yaml/);
    expectUsageError(await runMain(["check", "-"], { stdin: "" }), /No Kubernetes objects found in <stdin>:/);
  });

  it("input without a gateway Deployment", async () => {
    const dir = tempFiles({ "web.yaml": noGatewayYaml });
    expectUsageError(
      await runMain(["check", join(dir, "web.yaml")]),
      /No gateway Deployment found in .*web\.yaml/,
    );
  });

  it("a path that does not exist or cannot be read", async () => {
    expectUsageError(await runMain(["check", "/no/such/file.yaml"]), /\/no\/such\/file\.yaml: cannot read/);
    if (process.getuid?.() !== 0) {
      const dir = tempFiles({ "locked.yaml": portalYaml });
      chmodSync(join(dir, "locked.yaml"), 0o000);
      expectUsageError(await runMain(["check", join(dir, "locked.yaml")]), /locked\.yaml: cannot read/);
    }
  });

  it("an unknown format, --fail-on level or flag, with a hint to --help", async () => {
    expectUsageError(
      await runMain(["check", portalFile, "--format", "xml"]),
      /unknown format "xml"; expected one of table, json, sarif/,
    );
    expectUsageError(
      await runMain(["check", portalFile, "--fail-on", "fatal"]),
      /unknown --fail-on level "fatal"/,
    );
    expectUsageError(
      await runMain(["check", "--frobnicate"]),
      /unknown option --frobnicate\. Run `gateway-guard check --help`/,
    );
    expectUsageError(await runMain(["check", "--format"]), /option --format needs a value/);
    expectUsageError(await runMain(["check", "--strict=yes"]), /option --strict takes no value/);
  });

  it("an unwritable --output path and a missing baseline file", async () => {
    expectUsageError(
      await runMain(["check", portalFile, "--output", "/no/such/dir/report.txt"]),
      /\/no\/such\/dir\/report\.txt: cannot write the report/,
    );
    expectUsageError(
      await runMain(["check", portalFile, "--baseline", "/no/such/baseline.yaml"]),
      /baseline\.yaml/,
    );
  });
});
