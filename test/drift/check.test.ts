import { describe, expect, it } from "vitest";
import { parseBaseline } from "../../shared/drift/baseline.js";
import { checkBundles, checkObjects, summarize } from "../../shared/drift/check.js";
import { parseManifest } from "../../shared/drift/load.js";
import type { Finding, GatewayBundle, Rule, RuleContext, RuleResult } from "../../shared/drift/types.js";
import { bundleFromYaml } from "./helpers.js";

const manifest = (annotations: Record<string, string> = {}, namespace = "prod") => `
apiVersion: v1
kind: ConfigMap
metadata: {name: gw-env, namespace: ${namespace}}
data: {config.service.endpoint: x.configuration.azure-api.net}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gw
  namespace: ${namespace}
  annotations: ${JSON.stringify(annotations)}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
        envFrom: [{configMapRef: {name: gw-env}}]
`;

function rule(
  id: string,
  check: (bundle: GatewayBundle, context: RuleContext) => RuleResult[],
  extra: Partial<Rule> = {},
): Rule {
  return {
    id,
    severity: "warning",
    title: `${id} title`,
    rationale: "because",
    source: "seed",
    remediation: `fix: ${id}`,
    check,
    ...extra,
  };
}

const result = (status: RuleResult["status"], extra: Partial<RuleResult> = {}): RuleResult => ({
  status,
  path: "spec.replicas",
  expected: ">= 2",
  actual: "1",
  message: `${status} message`,
  ...extra,
});

const failing = rule("replicas", () => [result("fail")]);
const passing = rule("namespace", () => [result("pass")]);
const now = new Date("2026-11-26T10:00:00Z");

/** The bundle's Secrets plus one holding `value` (as if the Deployment referenced it). */
const bundlesSecrets = (bundle: GatewayBundle, value: string) => [
  ...bundle.secrets,
  { ...bundle.deployment, object: { kind: "Secret", metadata: { name: "s" }, stringData: { value } } },
];

const byRule = (findings: Finding[], id: string): Finding[] => findings.filter((f) => f.rule === id);

describe("checkBundles", () => {
  it("turns rule results into findings with object, file, lines, remediation and source", () => {
    const bundle = bundleFromYaml(manifest(), "gw.yaml");
    const withLine = rule("replicas", (b) => [
      result("fail", { line: b.deployment.lineOf(["spec", "replicas"]) }),
    ]);
    const inConfigMap = rule("config-endpoint", (b) => {
      const setting = b.settings.get("config.service.endpoint");
      return [
        result("pass", {
          path: "data.config.service.endpoint",
          line: setting?.source?.lineOf(setting.path),
          file: setting?.source?.file,
        }),
      ];
    });
    const [report] = checkBundles([bundle], [withLine, passing, inConfigMap], { now }).reports;
    expect(report.target).toBe("Deployment/prod/gw (gw.yaml:7)");
    expect(report.baseline).toBe("default");
    expect(report.checkedAt).toBe("2026-11-26T10:00:00.000Z");
    expect(report.findings).toEqual([
      {
        rule: "replicas",
        severity: "warning",
        status: "fail",
        object: "Deployment/prod/gw",
        file: "gw.yaml",
        line: 14,
        path: "spec.replicas",
        expected: ">= 2",
        actual: "1",
        message: "fail message",
        remediation: "fix: replicas",
        source: "seed",
      },
      expect.objectContaining({ rule: "namespace", status: "pass", line: 7, file: "gw.yaml" }),
      expect.objectContaining({ rule: "config-endpoint", line: 5, file: "gw.yaml" }),
    ]);
    expect(report.summary).toEqual({
      pass: 2,
      fail: 1,
      unknown: 0,
      exempt: 0,
      bySeverity: { error: 0, warning: 1, info: 0 },
    });
  });

  it("uses the default namespace in the object name when the deployment has none", () => {
    const bundle = bundleFromYaml(manifest({}, '""'));
    expect(checkBundles([bundle], [passing], { now }).reports[0].findings[0].object).toBe(
      "Deployment/default/gw",
    );
  });

  it("merges rule defaults with baseline thresholds, skips disabled rules, applies severity overrides", () => {
    const seen: RuleContext[] = [];
    const thresholds = rule(
      "replicas",
      (_b, context) => {
        seen.push(context);
        return [result("fail", { severity: "error" }), result("fail", { severity: "warning" })];
      },
      { defaults: { minimum: 2, recommended: 3 } },
    );
    const disabled = rule("dns-policy", () => {
      throw new Error("must not run");
    });
    const baseline = parseBaseline(
      "rules:\n  replicas: {recommended: 5}\n  dns-policy: {enabled: false}\n  namespace: {severity: error}\n",
      "b.yaml",
    );
    const bundle = bundleFromYaml(manifest());
    const report = checkBundles([bundle], [thresholds, disabled, failing2("namespace")], {
      baseline,
      baselineName: "b.yaml",
      now,
    }).reports[0];
    expect(seen).toEqual([{ settings: { minimum: 2, recommended: 5 }, now }]);
    expect(report.baseline).toBe("b.yaml");
    expect(byRule(report.findings, "dns-policy")).toEqual([]);
    expect(byRule(report.findings, "replicas").map((f) => f.severity)).toEqual(["error", "warning"]);
    expect(byRule(report.findings, "namespace").map((f) => f.severity)).toEqual(["error"]);
    expect(report.summary.bySeverity).toEqual({ error: 2, warning: 1, info: 0 });

    const overridden = checkBundles([bundle], [thresholds], {
      baseline: parseBaseline("rules: {replicas: {severity: info}}", "b.yaml"),
    }).reports[0];
    expect(overridden.findings.map((f) => f.severity)).toEqual(["info", "info"]);
  });

  it("turns a rule that throws (or returns nothing) into unknown, and keeps going", () => {
    const throws = rule("readiness-probe", () => {
      throw new TypeError("Cannot read properties of undefined (reading 'httpGet')");
    });
    const empty = rule("liveness-probe", () => []);
    const report = checkBundles([bundleFromYaml(manifest())], [throws, empty, passing], { now }).reports[0];
    expect(report.findings.map((f) => [f.rule, f.status])).toEqual([
      ["readiness-probe", "unknown"],
      ["liveness-probe", "unknown"],
      ["namespace", "pass"],
    ]);
    expect(report.findings[0].message).toBe(
      "The rule could not run: Cannot read properties of undefined (reading 'httpGet')",
    );
    expect(report.findings[1].message).toContain("returned no result");
    expect(report.summary.unknown).toBe(2);
  });

  it("exempts failing findings named by the annotation with a reason, keeping their detail", () => {
    const bundle = bundleFromYaml(
      manifest({
        "gateway-guard.io/exempt": "replicas, namespace",
        "gateway-guard.io/exempt-reason": "canary",
      }),
    );
    const report = checkBundles([bundle], [failing, passing], { now }).reports[0];
    expect(report.findings[0]).toMatchObject({
      rule: "replicas",
      status: "exempt",
      exemptReason: "canary",
      actual: "1",
      message: "fail message",
    });
    expect(report.findings[1]).toMatchObject({ rule: "namespace", status: "pass" });
    expect(report.findings[1].exemptReason).toBeUndefined();
    expect(report.summary).toMatchObject({
      pass: 1,
      fail: 0,
      exempt: 1,
      bySeverity: { error: 0, warning: 0, info: 0 },
    });
  });

  it("does not exempt without a reason, and reports the missing reason at the annotation's line", () => {
    const bundle = bundleFromYaml(
      `kind: Deployment
metadata:
  name: gw
  annotations:
    gateway-guard.io/exempt: replicas
    gateway-guard.io/exempt-reason: "  "
spec:
  template:
    spec:
      containers: [{image: mcr.microsoft.com/azure-api-management/gateway:2.5.0}]
`,
      "gw.yaml",
    );
    const report = checkBundles([bundle], [failing], { now }).reports[0];
    expect(report.findings.map((f) => [f.rule, f.status, f.severity])).toEqual([
      ["replicas", "fail", "warning"],
      ["exemption-reason", "fail", "warning"],
    ]);
    expect(report.findings[1]).toMatchObject({ line: 5, file: "gw.yaml", object: "Deployment/default/gw" });
    expect(report.findings[1].message).toContain("replicas");
    expect(report.findings[1].remediation).toContain("gateway-guard.io/exempt-reason");
  });

  it("reports an unknown rule id in the exemption annotation as a warning naming it", () => {
    const bundle = bundleFromYaml(
      manifest({ "gateway-guard.io/exempt": "replicas,replica", "gateway-guard.io/exempt-reason": "canary" }),
      "gw.yaml",
    );
    const report = checkBundles([bundle], [failing], { now }).reports[0];
    expect(report.findings.map((f) => [f.rule, f.status, f.severity])).toEqual([
      ["replicas", "exempt", "warning"],
      ["exemption-unknown-rule", "fail", "warning"],
    ]);
    expect(report.findings[1].message).toBe(
      'The exemption names "replica", which is no rule: it exempts nothing.',
    );
    expect(report.findings[1].line).toBeGreaterThan(1);
  });

  it("says in the report when strict ignored an exemption annotation", () => {
    const annotated = manifest({
      "gateway-guard.io/exempt": "replicas",
      "gateway-guard.io/exempt-reason": "canary",
    });
    const strict = checkBundles([bundleFromYaml(annotated)], [failing], { strict: true, now }).reports[0];
    expect(strict.notes).toEqual([
      "strict: the gateway-guard.io/exempt annotation (replicas) was ignored; only baseline-file exemptions apply.",
    ]);
    expect(checkBundles([bundleFromYaml(annotated)], [failing], { now }).reports[0].notes).toBeUndefined();
    expect(
      checkBundles([bundleFromYaml(manifest())], [failing], { strict: true, now }).reports[0].notes,
    ).toBeUndefined();
  });

  it("redacts a token wherever the manifest put it, the exemption reason included", () => {
    const token = "gw&202612010000&c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ==";
    const secret = "a-secret-value-of-any-shape";
    const bundle = bundleFromYaml(
      `${manifest({ "gateway-guard.io/exempt": "replicas", "gateway-guard.io/exempt-reason": `token is ${token}` })}---
kind: Secret
metadata: {name: s}
stringData: {value: ${secret}}
`,
    );
    const reads = { ...bundle, secrets: bundlesSecrets(bundle, secret) };
    const echo = rule("replicas", () => [result("fail", { message: `found ${secret} here` })]);
    const report = checkBundles([reads], [echo], { now }).reports[0];
    expect(JSON.stringify(report)).not.toMatch(/c2VjcmV0|a-secret-value/);
    expect(report.findings[0]).toMatchObject({
      status: "exempt",
      exemptReason: "token is <redacted>",
      message: "found <redacted> here",
    });
  });

  it("ignores annotation exemptions when strict (option or baseline), but not baseline-file exemptions", () => {
    const bundle = bundleFromYaml(
      manifest({
        "gateway-guard.io/exempt": "replicas,namespace",
        "gateway-guard.io/exempt-reason": "canary",
      }),
    );
    const rules = [failing, failing2("namespace")];
    const strictOption = checkBundles([bundle], rules, { strict: true, now }).reports[0];
    expect(strictOption.findings.map((f) => f.status)).toEqual(["fail", "fail"]);

    const baseline = parseBaseline(
      "strict: true\nexemptions:\n  - {rule: namespace, namespace: prod, deployment: gw, reason: platform decision}\n",
      "b.yaml",
    );
    const strictBaseline = checkBundles([bundle], rules, { baseline, now }).reports[0];
    expect(strictBaseline.findings.map((f) => [f.status, f.exemptReason])).toEqual([
      ["fail", undefined],
      ["exempt", "platform decision"],
    ]);
  });

  it("applies baseline-file exemptions only to the namespace and deployment they name", () => {
    const rules = [failing];
    const exempts = (yaml: string, namespace = "prod") =>
      checkBundles([bundleFromYaml(manifest({}, namespace))], rules, {
        baseline: parseBaseline(yaml, "b.yaml"),
      }).reports[0].findings[0].status;
    expect(exempts("exemptions: [{rule: replicas, reason: r}]")).toBe("exempt");
    expect(exempts("exemptions: [{rule: replicas, namespace: prod, reason: r}]")).toBe("exempt");
    expect(exempts("exemptions: [{rule: replicas, namespace: dev, reason: r}]")).toBe("fail");
    expect(exempts("exemptions: [{rule: replicas, deployment: other, reason: r}]")).toBe("fail");
    expect(exempts("exemptions: [{rule: namespace, reason: r}]")).toBe("fail");
    expect(exempts("exemptions: [{rule: replicas, namespace: default, reason: r}]", '""')).toBe("exempt");
  });

  it("lets a baseline-file exemption waive the missing-reason finding", () => {
    const bundle = bundleFromYaml(manifest({ "gateway-guard.io/exempt": "replicas" }));
    const baseline = parseBaseline("exemptions: [{rule: exemption-reason, reason: legacy}]", "b.yaml");
    const findings = checkBundles([bundle], [failing], { baseline }).reports[0].findings;
    expect(findings.map((f) => [f.rule, f.status])).toEqual([
      ["replicas", "fail"],
      ["exemption-reason", "exempt"],
    ]);
  });

  it("gives one report per gateway deployment", () => {
    const text = manifest() + "---\n" + manifest().replace("name: gw\n", "name: gw2\n");
    const result = checkObjects(parseManifest(text, "two.yaml"), [passing], { now });
    expect(result.reports.map((r) => r.target)).toEqual([
      "Deployment/prod/gw (two.yaml:7)",
      "Deployment/prod/gw2 (two.yaml:27)",
    ]);
  });
});

describe("checkObjects", () => {
  it("refuses input without a gateway deployment, saying what was expected", () => {
    const objects = parseManifest("kind: ConfigMap\nmetadata: {name: a}\n", "cm.yaml");
    let error: Error | undefined;
    try {
      checkObjects(objects, [passing]);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.name).toBe("InputError");
    expect(error?.message).toContain("No gateway Deployment found in cm.yaml");
    expect(error?.message).toContain("azure-api-management/gateway");
    expect(error?.message).toContain("config.service.endpoint");
  });
});

describe("summarize", () => {
  it("counts statuses and failing findings by severity", () => {
    const finding = (status: Finding["status"], severity: Finding["severity"]): Finding => ({
      rule: "r",
      severity,
      status,
      object: "Deployment/a/b",
      path: "",
      expected: "",
      actual: "",
      message: "",
      remediation: "",
      source: "",
    });
    expect(
      summarize([
        finding("fail", "error"),
        finding("fail", "info"),
        finding("pass", "error"),
        finding("unknown", "warning"),
        finding("exempt", "error"),
      ]),
    ).toEqual({ pass: 1, fail: 2, unknown: 1, exempt: 1, bySeverity: { error: 1, warning: 0, info: 1 } });
  });
});

function failing2(id: string): Rule {
  return rule(id, () => [result("fail", { path: "metadata.namespace" })]);
}
