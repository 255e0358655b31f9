/**
 * Exemption annotations on a gateway Deployment, and the two findings about the annotations themselves:
 * `exemption-reason` (an exemption without a reason does not apply) and `exemption-unknown-rule` (an id that
 * is no rule exempts nothing, so a typo does not pass silently).
 */
import type { Rule, RuleResult, SourcedObject } from "./types.js";

/** Annotation on a Deployment listing rule ids to waive, comma-separated. */
export const exemptAnnotation = "gateway-guard.io/exempt";
/** Annotation giving the reason for {@link exemptAnnotation}; without it the exemption does not apply. */
export const exemptReasonAnnotation = "gateway-guard.io/exempt-reason";

/** A rule's description without a check: the checker itself raises these findings. */
export type RuleInfo = Omit<Rule, "check">;

/** An exemption annotation without a reason: reported, and the exemption does not apply. */
export const exemptionReasonRule: RuleInfo = {
  id: "exemption-reason",
  severity: "warning",
  title: "An exemption annotation gives its reason",
  rationale: `An exemption waives policy for one deployment; the next person to read the manifest needs to know why. ${exemptAnnotation} applies only together with a non-blank ${exemptReasonAnnotation}; without one the exemption is ignored and this finding says so.`,
  source: "baseline (Exemptions)",
  remediation: `metadata:
  annotations:
    ${exemptAnnotation}: "replicas,zone-spread"
    ${exemptReasonAnnotation}: "<why this deployment may differ>"`,
};

/** An exemption annotation naming an id that is no rule. */
export const exemptionUnknownRule: RuleInfo = {
  id: "exemption-unknown-rule",
  severity: "warning",
  title: "An exemption annotation names existing rules",
  rationale: `An id in ${exemptAnnotation} that is no rule (a typo such as "replica") exempts nothing, while the manifest reads as if it did. \`gateway-guard rules\` lists the ids.`,
  source: "baseline (Exemptions)",
  remediation: `metadata:
  annotations:
    ${exemptAnnotation}: "replicas"   # ids from \`gateway-guard rules\``,
};

/** The findings the checker raises about annotations, for `gateway-guard rules` and baseline validation. */
export const annotationRules: readonly RuleInfo[] = Object.freeze([
  exemptionReasonRule,
  exemptionUnknownRule,
]);

/** The exemption annotation of a Deployment. */
export interface AnnotationExemption {
  rules: Set<string>;
  /** Undefined when the reason annotation is missing or blank. */
  reason?: string;
}

/** Reads the exemption annotations (both are strings: the loader refuses annotations of any other type). */
export function readExemption(deployment: SourcedObject): AnnotationExemption {
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

/**
 * The failing results about a Deployment's exemption annotation.
 * @param deployment - the gateway Deployment.
 * @param knownIds - every rule id an exemption may name.
 * @returns each with the rule it belongs to; empty when the annotation is absent or sound.
 */
export function annotationResults(
  deployment: SourcedObject,
  knownIds: ReadonlySet<string>,
): Array<{ rule: RuleInfo; result: RuleResult }> {
  const exemption = readExemption(deployment);
  if (exemption.rules.size === 0) return [];
  const line = deployment.lineOf(["metadata", "annotations", exemptAnnotation]) ?? deployment.line;
  const listed = [...exemption.rules];
  const found: Array<{ rule: RuleInfo; result: RuleResult }> = [];
  const unknown = listed.filter((id) => !knownIds.has(id));
  if (unknown.length > 0) {
    const names = unknown.map((id) => `"${id.slice(0, 60)}"`).join(", ");
    found.push({
      rule: exemptionUnknownRule,
      result: {
        status: "fail",
        path: `metadata.annotations["${exemptAnnotation}"]`,
        expected: "rule ids from `gateway-guard rules`",
        actual: names,
        message: `The exemption names ${names}, which ${unknown.length === 1 ? "is no rule" : "are no rules"}: ${unknown.length === 1 ? "it exempts" : "they exempt"} nothing.`,
        line,
      },
    });
  }
  if (exemption.reason === undefined) {
    found.push({
      rule: exemptionReasonRule,
      result: {
        status: "fail",
        path: `metadata.annotations["${exemptReasonAnnotation}"]`,
        expected: `a reason in the annotation ${exemptReasonAnnotation}`,
        actual: "missing",
        message: `The exemption of ${listed.join(", ")} has no reason, so it does not apply.`,
        line,
      },
    });
  }
  return found;
}
