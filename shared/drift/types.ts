/**
 * The data the drift checker works on: Kubernetes objects as loaded from a manifest or a cluster,
 * the bundle of objects around one gateway Deployment, rules, findings and reports.
 * Shapes follow ../shared/design/baseline.md ("Finding shape").
 */

export type Severity = "error" | "warning" | "info";
export type FindingStatus = "pass" | "fail" | "unknown" | "exempt";

/** A Kubernetes object as plain data (only what every object has is typed). */
export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One object with where it came from. */
export interface SourcedObject {
  object: KubeObject;
  /** File the object was read from (`<stdin>` for standard input); absent for live objects. */
  file?: string;
  /** 1-based line of the object's start in that file. */
  line?: number;
  /** 1-based line of a field inside the object (path as in JSON, e.g. `["spec","replicas"]`), if present. */
  lineOf(path: ReadonlyArray<string | number>): number | undefined;
}

/** A setting the gateway reads (`config.service.endpoint`, `telemetry.logs.std.level`, ...) and where it comes from. */
export interface SettingValue {
  /** The literal value, or undefined when it comes from a reference that the input does not resolve. */
  value: string | undefined;
  from: "env" | "env-secret" | "configmap" | "secret";
  /** The object that holds it (`ConfigMap/ns/name`), or the Deployment for a literal env var. */
  object: string;
  source?: SourcedObject;
  path: ReadonlyArray<string | number>;
}

/** Where the gateway token comes from, found by following env/envFrom (rotation.md: "never by guessing"). */
export interface TokenSource {
  kind: "secretKeyRef" | "secretRef" | "literal" | "none";
  secretName?: string;
  /** The key in the Secret: the secretKeyRef key, or for envFrom the key named `config.service.auth` (prefix applied). */
  key?: string;
  /** Field path of the env entry in the Deployment. */
  path?: ReadonlyArray<string | number>;
}

/** Data that only a live check has; absent when checking a manifest. */
export interface LiveData {
  /** When the token in the cluster Secret expires (from the annotation or, as a fallback, the token). */
  tokenExpiresOn?: Date;
  /** When that token was issued, if known (expiry minus lifetime asked for). */
  tokenIssuedOn?: Date;
  /** SHA-256 (hex) of the Secret's token and of Key Vault's current token; never the tokens. */
  secretTokenSha256?: string;
  vaultTokenSha256?: string;
  /** When the Secret was last rotated (annotation `gateway-guard.io/rotated-at`). */
  lastRotatedAt?: Date;
  /** Ready pods of the deployment with their start times. */
  pods?: Array<{ name: string; ready: boolean; startedAt?: Date }>;
  /** Why part of the live data could not be read (e.g. "Key Vault: 403"), for `unknown` findings. */
  errors?: string[];
}

/** Everything the rules see for one gateway Deployment. */
export interface GatewayBundle {
  deployment: SourcedObject;
  /** Index of the gateway container in `spec.template.spec.containers`. */
  containerIndex: number;
  /** Objects the Deployment references or that select/target it, from the same input. */
  configMaps: SourcedObject[];
  secrets: SourcedObject[];
  persistentVolumeClaims: SourcedObject[];
  podDisruptionBudgets: SourcedObject[];
  horizontalPodAutoscalers: SourcedObject[];
  scaledObjects: SourcedObject[];
  services: SourcedObject[];
  /** Kinds the input could hold but does not (for `unknown`): a single manifest may simply not include them. */
  partial: boolean;
  /** Gateway settings from env and envFrom ConfigMaps/Secrets; later sources win as in Kubernetes (env over envFrom). */
  settings: Map<string, SettingValue>;
  token: TokenSource;
  live?: LiveData;
}

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
}

/** What `check` returns for a whole input: one report per gateway Deployment. */
export interface CheckResult {
  reports: Report[];
}
