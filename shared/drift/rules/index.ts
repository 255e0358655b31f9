/**
 * The registry: every rule of the baseline (docs/baseline.md), one unit per file, in the baseline's order.
 * Adding a rule touches its own file, this list and the table in docs/baseline.md (`npm run docs` regenerates the rest).
 */

import type { Rule } from "../types.js";
import { autoscalingRule } from "./autoscaling.js";
import { configBackupGroupRule } from "./config-backup-group.js";
import { configBackupRule } from "./config-backup.js";
import { configEndpointRule } from "./config-endpoint.js";
import { disruptionBudgetRule } from "./disruption-budget.js";
import { dnsPolicyRule } from "./dns-policy.js";
import { entraAuthRule } from "./entra-auth.js";
import { gracefulShutdownRule } from "./graceful-shutdown.js";
import { imageSupportedMajorRule } from "./image-supported-major.js";
import { imageTagPinnedRule } from "./image-tag-pinned.js";
import { livenessProbeRule } from "./liveness-probe.js";
import { localTelemetryRule } from "./local-telemetry.js";
import { logLevelRule } from "./log-level.js";
import { namespaceRule } from "./namespace.js";
import { noReadonlyRootfsRule } from "./no-readonly-rootfs.js";
import { podsHaveCurrentTokenRule } from "./pods-have-current-token.js";
import { readinessProbeRule } from "./readiness-probe.js";
import { replicasRule } from "./replicas.js";
import { resourceRequestsRule } from "./resource-requests.js";
import { rolloutLimitsExplicitRule } from "./rollout-limits-explicit.js";
import { rolloutStrategyRule } from "./rollout-strategy.js";
import { securityContextRule } from "./security-context.js";
import { syncPortsRule } from "./sync-ports.js";
import { tlsValidationRule } from "./tls-validation.js";
import { tokenExpiryRule } from "./token-expiry.js";
import { tokenFromSecretRule } from "./token-from-secret.js";
import { tokenInSyncRule } from "./token-in-sync.js";
import { zoneSpreadRule } from "./zone-spread.js";

/** Every rule, in baseline.md's order. */
export const rules: readonly Rule[] = Object.freeze([
  namespaceRule,
  replicasRule,
  rolloutStrategyRule,
  rolloutLimitsExplicitRule,
  resourceRequestsRule,
  imageTagPinnedRule,
  imageSupportedMajorRule,
  dnsPolicyRule,
  configBackupRule,
  configBackupGroupRule,
  localTelemetryRule,
  logLevelRule,
  tokenFromSecretRule,
  tokenExpiryRule,
  tokenInSyncRule,
  podsHaveCurrentTokenRule,
  readinessProbeRule,
  livenessProbeRule,
  gracefulShutdownRule,
  syncPortsRule,
  disruptionBudgetRule,
  zoneSpreadRule,
  autoscalingRule,
  securityContextRule,
  noReadonlyRootfsRule,
  tlsValidationRule,
  configEndpointRule,
  entraAuthRule,
]);

const byId = new Map(rules.map((rule) => [rule.id, rule]));

/**
 * Looks up a rule by id.
 * @param id - a rule id such as `replicas`.
 * @returns the rule, or undefined when there is none with that id.
 */
export function findRule(id: string): Rule | undefined {
  return byId.get(id);
}
