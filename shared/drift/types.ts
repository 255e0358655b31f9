/**
 * The data the drift checker works on: Kubernetes objects as loaded from a manifest or a cluster,
 * the bundle of objects around one gateway Deployment, rules, findings and reports.
 * The finding shape is described in docs/baseline.md.
 */

export type Severity = "error" | "warning" | "info";
export type FindingStatus = "pass" | "fail" | "unknown" | "exempt";

export type {
  GatewayBundle,
  KubeObject,
  LiveData,
  SettingValue,
  SourcedObject,
  TokenSource,
} from "../gateway/types.js";
import type { GatewayBundle } from "../gateway/types.js";

/** What a rule's check function returns for one bundle: at least one result. */
export interface RuleResult {
  status: "pass" | "fail" | "unknown";
  /** Overrides the rule's severity for this result (e.g. replicas: error below 2, warning at 2). */
  severity?: Severity;
  /** JSON path of the field, e.g. `spec.template.spec.containers[0].image`. */
  path: string;
  expected: string;
  actual: string;
  message: string;
  /** Line of the field in the file, where it exists. */
  line?: number;
  /** File of that line when the field is in another object than the Deployment (e.g. a ConfigMap); defaults to the Deployment's file. */
  file?: string;
}

/** Thresholds a baseline file may change; each rule reads only its own. */
export type RuleSettings = Record<string, unknown>;

export interface RuleContext {
  /** Merged settings for this rule (defaults from the rule, overridden by the baseline file). */
  settings: RuleSettings;
  now: Date;
}

/** One check of the baseline: a small declared unit, as in kube-linter's registry. */
export interface Rule {
  id: string;
  severity: Severity;
  title: string;
  /** Why it matters, with the source (baseline.md's short names: seed, prod, portal, helm, settings). */
  rationale: string;
  source: string;
  /** YAML a person can paste. */
  remediation: string;
  /** True for rules that need data only a live check has (token-expiry, token-in-sync, pods-have-current-token). */
  live?: boolean;
  /** Default thresholds, overridable by a baseline file under `rules.<id>`. */
  defaults?: RuleSettings;
  /**
   * Why a baseline value for one of the thresholds cannot be used (e.g. `cpu: "lots"`), or undefined when it
   * can; replaces the type check against the default for that threshold.
   */
  thresholdProblem?(key: string, value: unknown): string | undefined;
  check(bundle: GatewayBundle, context: RuleContext): RuleResult[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  status: FindingStatus;
  /** `Deployment/<namespace>/<name>` */
  object: string;
  file?: string;
  line?: number;
  path: string;
  expected: string;
  actual: string;
  message: string;
  remediation: string;
  source: string;
  /** For `exempt`: the reason given. */
  exemptReason?: string;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  unknown: number;
  exempt: number;
  /** Failing findings counted by severity. */
  bySeverity: Record<Severity, number>;
}

/** The report for one gateway Deployment. */
export interface Report {
  /** `Deployment/<namespace>/<name>` plus file, e.g. `Deployment/default/selfhost (gateway.yaml:23)`. */
  target: string;
  /** The baseline's name: `default` or the baseline file's path. */
  baseline: string;
  checkedAt: string;
  summary: ReportSummary;
  findings: Finding[];
  /** What a person should know about how the check ran (e.g. `--strict` ignored an exemption annotation). */
  notes?: string[];
}

/** What `check` returns for a whole input: one report per gateway Deployment. */
export interface CheckResult {
  reports: Report[];
}
