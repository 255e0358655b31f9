import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, get, intOrPercent } from "./common.js";

const LIMIT = ["spec", "strategy", "rollingUpdate"];

/** maxUnavailable and maxSurge written down, not left to Kubernetes' 25%/25%. */
export const rolloutLimitsExplicitRule: Rule = {
  id: "rollout-limits-explicit",
  severity: "warning",
  title: "Rollout limits set explicitly",
  rationale:
    "Kubernetes defaults both maxUnavailable and maxSurge to 25%, so a rollout may take a quarter of the gateways down at once. Setting them explicitly (maxUnavailable 0) keeps capacity during upgrades and token restarts (seed).",
  source: "seed",
  remediation: `spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%`,
  defaults: { requireMaxUnavailableZero: false },
  check(bundle, context) {
    const strict = context.settings.requireMaxUnavailableZero === true;
    const deployment = bundle.deployment.object;
    const expected = strict
      ? "maxUnavailable: 0 and maxSurge set explicitly"
      : "maxUnavailable and maxSurge set explicitly (maxUnavailable 0 recommended)";
    const type = get(deployment, ["spec", "strategy", "type"]);
    if (type !== undefined && type !== "RollingUpdate") {
      return [
        at(bundle, ["spec", "strategy", "type"], {
          status: "pass",
          expected,
          actual: `strategy ${displayValue(type)}`,
          message: "not applicable: strategy is not RollingUpdate (see rollout-strategy)",
        }),
      ];
    }
    const maxUnavailable = get(deployment, [...LIMIT, "maxUnavailable"]);
    const maxSurge = get(deployment, [...LIMIT, "maxSurge"]);
    const actual = `maxUnavailable: ${maxUnavailable === undefined ? "(unset)" : displayValue(maxUnavailable)}, maxSurge: ${maxSurge === undefined ? "(unset)" : displayValue(maxSurge)}`;
    const missing = [
      maxUnavailable === undefined ? "maxUnavailable" : undefined,
      maxSurge === undefined ? "maxSurge" : undefined,
    ].filter((name) => name !== undefined);
    if (missing.length > 0) {
      const path = missing.length === 1 ? [...LIMIT, missing[0]] : LIMIT;
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual,
          message: `${missing.join(" and ")} not set: Kubernetes defaults to 25%.`,
        }),
      ];
    }
    const unavailable = intOrPercent(maxUnavailable);
    const surge = intOrPercent(maxSurge);
    if (!unavailable || !surge) {
      const name = unavailable ? "maxSurge" : "maxUnavailable";
      return [
        at(bundle, [...LIMIT, name], {
          status: "fail",
          expected,
          actual,
          message: `${name} must be a non-negative integer or a percentage like 25%.`,
        }),
      ];
    }
    if (unavailable.value === 0 && surge.value === 0) {
      return [
        at(bundle, LIMIT, {
          status: "fail",
          expected,
          actual,
          message:
            "maxUnavailable and maxSurge cannot both be 0: the rollout could never progress (Kubernetes rejects it).",
        }),
      ];
    }
    if (unavailable.value !== 0) {
      const message = `maxUnavailable ${displayValue(maxUnavailable)} lets a rollout take gateways down before new ones are ready; 0 is recommended.`;
      return [
        at(bundle, [...LIMIT, "maxUnavailable"], {
          status: strict ? "fail" : "pass",
          expected,
          actual,
          message,
        }),
      ];
    }
    return [
      at(bundle, LIMIT, {
        status: "pass",
        expected,
        actual,
        message: "Rollout limits set; no gateway goes down before its replacement is ready.",
      }),
    ];
  },
};
