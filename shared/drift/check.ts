/**
 * Running rules over gateway bundles: baseline overrides, exemptions, findings and one report per deployment.
 */
import { InputError } from "../errors.js";
import { defaultBaseline, thresholdsOf, type Baseline, type BaselineExemption } from "./baselineTypes.js";
import { buildBundles, namespaceOf } from "../gateway/bundle.js";
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

/** Annotation on a Deployment listing rule ids to waive, comma-separated. */
export const exemptAnnotation = "gateway-guard.io/exempt";
/** Annotation giving the reason for {@link exemptAnnotation}; without it the exemption does not apply. */
export const exemptReasonAnnotation = "gateway-guard.io/exempt-reason";
/** Rule id of the finding raised for an exemption annotation without a reason. */
export const exemptionReasonRuleId = "exemption-reason";

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
  const annotation = annotationExemption(deployment);
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

  for (const rule of rules) {
    const override = options.baseline.rules[rule.id];
    if (override?.enabled === false) continue;
    let results: RuleResult[];
    try {
      results = rule.check(bundle, {
        settings: { ...rule.defaults, ...thresholdsOf(override) },
        now: options.now,
      });
      if (!Array.isArray(results) || results.length === 0) throw new Error("the rule returned no result");
    } catch (error) {
      results = [
        {
          status: "unknown",
          path: "",
          expected: "",
          actual: "",
          message: `The rule could not run: ${error instanceof Error ? error.message : String(error)}`,
        },
      ];
    }
    for (const result of results) {
      findings.push(
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
      );
    }
  }

  if (annotation.rules.size > 0 && annotation.reason === undefined) {
    const override = options.baseline.rules[exemptionReasonRuleId];
    if (override?.enabled !== false) {
      findings.push(
        waive({
          rule: exemptionReasonRuleId,
          severity: override?.severity ?? "warning",
          status: "fail",
          object: objectRef,
          file: deployment.file,
          line: deployment.lineOf(["metadata", "annotations", exemptAnnotation]) ?? deployment.line,
          path: `metadata.annotations["${exemptReasonAnnotation}"]`,
          expected: `a reason in the annotation ${exemptReasonAnnotation}`,
          actual: "missing",
          message: `The exemption of ${[...annotation.rules].join(", ")} has no reason, so it does not apply.`,
          remediation: `metadata:\n  annotations:\n    ${exemptAnnotation}: "${[...annotation.rules].join(",")}"\n    ${exemptReasonAnnotation}: "<why this deployment may differ>"\n`,
          source: "baseline (Exemptions)",
        }),
      );
    }
  }

  const location = deployment.file
    ? ` (${deployment.file}${deployment.line ? `:${deployment.line}` : ""})`
    : "";
  return {
    target: `${objectRef}${location}`,
    baseline: options.baselineName,
    checkedAt: options.now.toISOString(),
    summary: summarize(findings),
    findings,
  };
}

interface AnnotationExemption {
  rules: Set<string>;
  /** Undefined when the reason annotation is missing or blank. */
  reason?: string;
}

function annotationExemption(deployment: SourcedObject): AnnotationExemption {
  const annotations = deployment.object.metadata.annotations ?? {};
  const listed = annotations[exemptAnnotation];
  const rules = new Set(
    (typeof listed === "string" ? listed : "")
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== ""),
  );
  const reason = annotations[exemptReasonAnnotation];
  return { rules, reason: typeof reason === "string" && reason.trim() !== "" ? reason.trim() : undefined };
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
