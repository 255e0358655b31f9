import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultBaseline,
  knownRuleIds,
  loadBaseline,
  parseBaseline,
  thresholdsOf,
} from "../../shared/drift/baseline.js";
import { rules as registry } from "../../shared/drift/rules/index.js";
import type { Rule } from "../../shared/drift/types.js";

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

const fakeRule = (id: string, defaults?: Record<string, unknown>): Rule => ({
  id,
  severity: "warning",
  title: id,
  rationale: "",
  source: "test",
  remediation: "",
  defaults,
  check: () => [],
});

describe("parseBaseline", () => {
  it("reads YAML with rules, exemptions and strict", () => {
    const baseline = parseBaseline(
      `rules:
  replicas:
    minimum: 3
    severity: warning
  dns-policy:
    enabled: false
exemptions:
  - rule: namespace
    namespace: default
    deployment: selfhost
    reason: lab cluster
strict: true
`,
      "baseline.yaml",
    );
    expect(baseline).toEqual({
      rules: { replicas: { minimum: 3, severity: "warning" }, "dns-policy": { enabled: false } },
      exemptions: [
        { rule: "namespace", namespace: "default", deployment: "selfhost", reason: "lab cluster" },
      ],
      strict: true,
    });
    expect(thresholdsOf(baseline.rules.replicas)).toEqual({ minimum: 3 });
  });

  it("reads JSON and fills defaults", () => {
    expect(parseBaseline('{"rules": {"namespace": {"severity": "error"}}}', "b.json")).toEqual({
      rules: { namespace: { severity: "error" } },
      exemptions: [],
      strict: false,
    });
    expect(parseBaseline("# nothing yet\n", "b.yaml")).toEqual({ rules: {}, exemptions: [], strict: false });
  });

  it("lists every problem with its path and line", () => {
    const error = errorOf(() =>
      parseBaseline(
        `rules:
  replicas:
    severity: critical
  no-such-rule: {}
exemptions:
  - rule: namespace
  - rule: replicas
    reason: ok
    until: tomorrow
strict: "yes"
colour: red
`,
        "b.yaml",
      ),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toMatch(/^invalid baseline in b\.yaml \(\d+ problems\):\n {2}\S/);
    expect(error.message).toMatch(/^ {2}rules\.replicas\.severity: .* \(line 3\)$/m);
    expect(error.message).toContain("  exemptions[0].reason: required (line 6)\n");
    expect(error.message).toMatch(/^ {2}rules\.no-such-rule: unknown rule id "no-such-rule" .* \(line 4\)$/m);
    expect(error.message).toMatch(/^ {2}exemptions\[1\]: .* \(line 7\)$/m);
    expect(error.message).toContain("until");
    expect(error.message).toMatch(/^ {2}strict: .* \(line 10\)$/m);
    expect(error.message).toContain("colour");
  });

  it("refuses unknown rule ids, in rules and exemptions", () => {
    const error = errorOf(() =>
      parseBaseline(
        "rules:\n  replica:\n    enabled: false\nexemptions:\n  - {rule: nmespace, reason: typo}\n",
        "b.yaml",
      ),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toContain(
      '  rules.replica: unknown rule id "replica" (expected one of: namespace,',
    );
    expect(error.message).toContain('  exemptions[0].rule: unknown rule id "nmespace" (line 5)');
  });

  it("checks ids and thresholds against the rules when given", () => {
    const rules = [fakeRule("replicas", { minimum: 2, recommended: 3 }), fakeRule("namespace")];
    expect(parseBaseline("rules: {replicas: {minimum: 1}}", "b.yaml", { rules }).rules.replicas).toEqual({
      minimum: 1,
    });
    const error = errorOf(() =>
      parseBaseline(
        "rules:\n  replicas:\n    minimum: two\n    maximum: 9\n  namespace: {severity: info}\n  dns-policy: {}\n",
        "b.yaml",
        { rules },
      ),
    );
    expect(error.message).toContain('  rules.replicas.minimum: expected a number, got "two" (line 3)');
    expect(error.message).toContain(
      '  rules.replicas.maximum: unknown setting for rule "replicas" (expected minimum, recommended, enabled or severity) (line 4)',
    );
    expect(error.message).toContain('unknown rule id "dns-policy"');
    expect(error.message).not.toContain("rules.namespace");
  });

  it("refuses threshold values the rules cannot use, each with its path and line", () => {
    const error = errorOf(() =>
      parseBaseline(
        'rules:\n  resource-requests: {cpu: "lots", memory: 2Gi}\n  replicas:\n    errorBelow: .nan\n    warnBelow: -1\n  zone-spread: {topologyKeys: [1]}\n',
        "b.yaml",
        { rules: registry },
      ),
    );
    expect(error.message.split("\n").slice(1)).toEqual([
      '  rules.resource-requests.cpu: expected a Kubernetes quantity such as "2" or "2000m", got "lots" (line 2)',
      "  rules.replicas.errorBelow: expected a number of 0 or more, got .nan (line 4)",
      "  rules.replicas.warnBelow: expected a number of 0 or more, got -1 (line 5)",
      "  rules.zone-spread.topologyKeys: expected a list of strings, got 1 in it (line 6)",
    ]);
    expect(
      parseBaseline("rules: {resource-requests: {cpu: 1500m, memory: 3Gi}}", "b.yaml", { rules: registry })
        .rules,
    ).toEqual({
      "resource-requests": { cpu: "1500m", memory: "3Gi" },
    });
  });

  it("refuses malformed YAML and non-mappings", () => {
    const malformed = errorOf(() => parseBaseline("rules:\n  a: [\n", "b.yaml"));
    expect(malformed.name).toBe("InputError");
    expect(malformed.message).toMatch(/^b\.yaml:\d+: malformed YAML: .*expected a baseline file in YAML/);
    const list = errorOf(() => parseBaseline("- a\n", "b.yaml"));
    expect(list.name).toBe("InputError");
    expect(list.message).toContain("(top level)");
  });

  it("knows every rule id of the baseline and the default baseline is empty", () => {
    expect(knownRuleIds).toHaveLength(30);
    expect(new Set(knownRuleIds).size).toBe(30);
    expect(defaultBaseline).toEqual({ rules: {}, exemptions: [], strict: false });
  });
});

describe("loadBaseline", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gg-baseline-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a file", async () => {
    const path = join(dir, "baseline.yaml");
    await writeFile(path, "strict: true\n");
    expect((await loadBaseline(path)).strict).toBe(true);
  });

  it("refuses a missing file, a directory and a file over the limit", async () => {
    await expect(loadBaseline(join(dir, "missing.yaml"))).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("missing.yaml: cannot read the baseline file (ENOENT)"),
    });
    await expect(loadBaseline(dir)).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("not a file"),
    });
    const big = join(dir, "big.yaml");
    await writeFile(big, "#".repeat(2000));
    await expect(loadBaseline(big, { maxBytes: 1000 })).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("larger than the limit of 1000 bytes"),
    });
  });
});
