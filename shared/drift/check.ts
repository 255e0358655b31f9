/**
 * Running rules over gateway bundles: baseline overrides, exemptions, findings and one report per deployment.
 */
import { InputError } from "../errors.js";
import { defaultBaseline, thresholdsOf, type Baseline, type BaselineExemption } from "./baselineTypes.js";
import { buildBundles, namespaceOf } from "../gateway/bundle.js";
import { annotationResults, annotationRules, exemptAnnotation, readExemption } from "./exemptions.js";
import { redactFinding, secretValuesOf } from "./redaction.js";
import { redactTokens } from "../token/redact.js";
import type {
  CheckResult,
  Finding,
  GatewayBundle,
  Report,
  ReportSummary,
  Rule,
  RuleResult,
  Severity,
  SourcedObject,
} from "./types.js";
import type { RuleInfo } from "./exemptions.js";

export interface CheckOptions {
  /** Overrides, thresholds and exemptions (default: {@link defaultBaseline}). */
  baseline?: Baseline;
  /** Shown in reports: `default` or the baseline file's path. */
  baselineName?: string;
  /** Ignore exemption annotations (also on when `baseline.strict`). Baseline-file exemptions always apply. */
  strict?: boolean;
  /** The time rules compare against (tests); defaults to now. */
  now?: Date;
}

/**
 * Check each bundle against the rules: one report per gateway Deployment.
 *
 * Severity of a finding: the baseline's `rules.<id>.severity` when set (it replaces every result's severity),
 * else the result's own severity, else the rule's. A rule that throws yields one `unknown` finding.
 * Only failing findings are exempted.
 */
export function checkBundles(
  bundles: GatewayBundle[],
  rules: readonly Rule[],
  options: CheckOptions = {},
): CheckResult {
  const baseline = options.baseline ?? defaultBaseline;
  const now = options.now ?? new Date();
  const strict = options.strict === true || baseline.strict;
  const reports = bundles.map((bundle) =>
    checkBundle(bundle, rules, { baseline, now, strict, baselineName: options.baselineName ?? "default" }),
  );
  return { reports };
}

/**
 * Build the gateway bundles of the objects and check them.
 * @throws InputError when the objects hold no gateway Deployment.
 */
export function checkObjects(
  objects: SourcedObject[],
  rules: readonly Rule[],
  options: CheckOptions = {},
): CheckResult {
  const bundles = buildBundles(objects);
  if (bundles.length === 0) {
    const files = [...new Set(objects.map((o) => o.file).filter((f): f is string => f !== undefined))];
    const where =
      files.length === 0 ? "the input" : files.slice(0, 3).join(", ") + (files.length > 3 ? ", ..." : "");
    throw new InputError(
      `No gateway Deployment found in ${where}: expected a Deployment with a container running the image ` +
        "`mcr.microsoft.com/azure-api-management/gateway` (any registry) or reading `config.service.endpoint`.",
    );
  }
  return checkBundles(bundles, rules, options);
}

interface Resolved {
  baseline: Baseline;
  baselineName: string;
  now: Date;
  strict: boolean;
}

function checkBundle(bundle: GatewayBundle, rules: readonly Rule[], options: Resolved): Report {
  const deployment = bundle.deployment;
  const namespace = namespaceOf(deployment.object);
  const name = deployment.object.metadata.name;
  const objectRef = `Deployment/${namespace}/${name}`;
  const annotation = readExemption(deployment);
  const secrets = secretValuesOf(bundle);
  const findings: Finding[] = [];

  const waive = (finding: Finding): Finding => {
    if (finding.status !== "fail") return finding;
    const fromFile = options.baseline.exemptions.find((e) =>
      exemptionMatches(e, finding.rule, namespace, name),
    );
    if (fromFile) return { ...finding, status: "exempt", exemptReason: fromFile.reason };
    if (!options.strict && annotation.reason !== undefined && annotation.rules.has(finding.rule)) {
      return { ...finding, status: "exempt", exemptReason: annotation.reason };
    }
    return finding;
  };
  const add = (rule: RuleInfo, result: RuleResult) => {
    const override = options.baseline.rules[rule.id];
    findings.push(
      redactFinding(
        waive({
          rule: rule.id,
          severity: override?.severity ?? result.severity ?? rule.severity,
          status: result.status,
          object: objectRef,
          file: result.file ?? deployment.file,
          line: result.line ?? deployment.line,
          path: result.path,
          expected: result.expected,
          actual: result.actual,
          message: result.message,
          remediation: rule.remediation,
          source: rule.source,
        }),
        secrets,
      ),
    );
  };

  for (const rule of rules) {
    if (options.baseline.rules[rule.id]?.enabled === false) continue;
    for (const result of runRule(rule, bundle, options)) add(rule, result);
  }
  const knownIds = new Set([...rules, ...annotationRules].map((rule) => rule.id));
  for (const { rule, result } of annotationResults(deployment, knownIds)) {
    if (options.baseline.rules[rule.id]?.enabled !== false) add(rule, result);
  }

  const location = deployment.file
    ? ` (${deployment.file}${deployment.line ? `:${deployment.line}` : ""})`
    : "";
  const report: Report = {
    target: redactTokens(`${objectRef}${location}`),
    baseline: options.baselineName,
    checkedAt: options.now.toISOString(),
    summary: summarize(findings),
    findings,
  };
  if (options.strict && annotation.rules.size > 0) {
    report.notes = [
      `strict: the ${exemptAnnotation} annotation (${[...annotation.rules].join(", ")}) was ignored; only baseline-file exemptions apply.`,
    ];
  }
  return report;
}

/** A rule's results; a rule that throws or returns nothing yields one `unknown` result. */
function runRule(rule: Rule, bundle: GatewayBundle, options: Resolved): RuleResult[] {
  try {
    const results = rule.check(bundle, {
      settings: { ...rule.defaults, ...thresholdsOf(options.baseline.rules[rule.id]) },
      now: options.now,
    });
    if (!Array.isArray(results) || results.length === 0) throw new Error("the rule returned no result");
    return results;
  } catch (error) {
    return [
      {
        status: "unknown",
        path: "",
        expected: "",
        actual: "",
        message: `The rule could not run: ${error instanceof Error ? error.message : "unknown error"}`,
      },
    ];
  }
}

function exemptionMatches(
  exemption: BaselineExemption,
  rule: string,
  namespace: string,
  name: string,
): boolean {
  return (
    exemption.rule === rule &&
    (exemption.namespace === undefined || exemption.namespace === namespace) &&
    (exemption.deployment === undefined || exemption.deployment === name)
  );
}

/** Counts by status; `bySeverity` counts failing findings only. */
export function summarize(findings: readonly Finding[]): ReportSummary {
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const summary: ReportSummary = { pass: 0, fail: 0, unknown: 0, exempt: 0, bySeverity };
  for (const finding of findings) {
    summary[finding.status] += 1;
    if (finding.status === "fail") bySeverity[finding.severity] += 1;
  }
  return summary;
}
