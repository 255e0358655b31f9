/**
 * A hand-made check result for the formatter tests: two deployments, every status and severity,
 * and text that would break each format if it were not escaped.
 */
import type { CheckResult, Finding, Report, Rule } from "../../../shared/drift/types.js";
import { summarize } from "../../../shared/drift/check.js";

/** Text from a "manifest" that tries to break out of every format. */
export const hostile = "<script>alert(1)</script> & \"q\" 'a' | `tick` *b* \u0007\u001b[31m]]>";

const base = {
  object: "Deployment/gateways/selfhost",
  file: "k8s/gateway.yaml",
  source: "seed",
  remediation: "spec:\n  replicas: 3\n",
};

export const failingFindings: Finding[] = [
  {
    ...base,
    rule: "replicas",
    severity: "error",
    status: "fail",
    line: 30,
    path: "spec.replicas",
    expected: ">= 2",
    actual: "1",
    message: "Only 1 replica: the gateway goes down during node maintenance.",
  },
  {
    ...base,
    rule: "namespace",
    severity: "warning",
    status: "fail",
    line: 23,
    path: "metadata.namespace",
    expected: "set and not `default`",
    actual: hostile,
    message: `Namespace is ${hostile}`,
    remediation: "metadata:\n  namespace: gateways # ``` fence\n",
  },
  {
    ...base,
    rule: "log-level",
    severity: "info",
    status: "fail",
    line: 12,
    path: 'data["telemetry.logs.std.level"]',
    expected: "warn or error",
    actual: "info",
    message: "Logs at info level.",
    remediation: "data:\n  telemetry.logs.std.level: warn\n",
  },
];

const otherFindings: Finding[] = [
  {
    ...base,
    rule: "disruption-budget",
    severity: "warning",
    status: "unknown",
    line: 23,
    path: "",
    expected: "a PodDisruptionBudget",
    actual: "not in the input",
    message: "No PodDisruptionBudget in the input.",
  },
  {
    ...base,
    rule: "graceful-shutdown",
    severity: "warning",
    status: "exempt",
    line: 40,
    path: "spec.template.spec.terminationGracePeriodSeconds",
    expected: ">= 60",
    actual: "30",
    message: "Grace period 30s.",
    exemptReason: "drains fast <on purpose>",
  },
  {
    ...base,
    rule: "image-tag-pinned",
    severity: "error",
    status: "pass",
    line: 45,
    path: "spec.template.spec.containers[0].image",
    expected: "a pinned tag",
    actual: "2.9.1",
    message: "Pinned.",
  },
];

function report(target: string, findings: Finding[]): Report {
  return {
    target,
    baseline: "default",
    checkedAt: "2025-01-01T00:00:00.000Z",
    summary: summarize(findings),
    findings,
  };
}

const passing: Finding = {
  ...base,
  object: "Deployment/gateways/healthy",
  file: "k8s/healthy.yaml",
  rule: "replicas",
  severity: "error",
  status: "pass",
  line: 9,
  path: "spec.replicas",
  expected: ">= 2",
  actual: "3",
  message: "3 replicas.",
};

/** The healthy deployment comes first here, so formats that put failing deployments first must reorder. */
export const sampleResult: CheckResult = {
  reports: [
    report("Deployment/gateways/healthy (k8s/healthy.yaml:1)", [passing]),
    report("Deployment/gateways/selfhost (k8s/gateway.yaml:23)", [...otherFindings, ...failingFindings]),
  ],
};

/** A result where nothing fails. */
export const passingResult: CheckResult = { reports: [sampleResult.reports[0]] };

/** Rules for SARIF metadata (a subset, so one finding's rule is described from the finding). */
export const sampleRules: Rule[] = ["replicas", "namespace", "graceful-shutdown", "image-tag-pinned"].map(
  (id) => ({
    id,
    severity: id === "namespace" || id === "graceful-shutdown" ? "warning" : "error",
    title: `Title of ${id}`,
    rationale: `Why ${id} matters.`,
    source: "seed",
    remediation: `# fix ${id}\n`,
    check: () => [],
  }),
);
