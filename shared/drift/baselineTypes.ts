/**
 * The baseline's shape and defaults, without the file parser: what the checker needs at run time.
 * Kept apart from baseline.ts (the zod schema, loadBaseline, parseBaseline) so a check without
 * `--baseline` never loads zod.
 */
import type { RuleSettings, Severity } from "./types.js";

/** Per-rule overrides: `enabled`, `severity`, and the rule's own thresholds. */
export interface RuleOverride {
  enabled?: boolean;
  severity?: Severity;
  [threshold: string]: unknown;
}

/** A waiver that always applies, even with `strict`. */
export interface BaselineExemption {
  rule: string;
  /** Only deployments in this namespace (`default` for those without one). */
  namespace?: string;
  /** Only deployments of this name. */
  deployment?: string;
  reason: string;
}

/** A validated baseline file: per-rule overrides, exemptions and strict mode. */
export interface Baseline {
  rules: Record<string, RuleOverride>;
  exemptions: BaselineExemption[];
  /** Ignore exemption annotations on deployments. */
  strict: boolean;
}

/** The baseline as shipped: every rule on, default severities and thresholds, no exemptions. */
export const defaultBaseline: Baseline = Object.freeze({
  rules: {},
  exemptions: [],
  strict: false,
}) as Baseline;

/** The thresholds in an override: everything but `enabled` and `severity`. */
export function thresholdsOf(override: RuleOverride | undefined): RuleSettings {
  if (!override) return {};
  const { enabled: _enabled, severity: _severity, ...thresholds } = override;
  return thresholds;
}
