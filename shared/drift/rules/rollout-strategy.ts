import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, get } from "./common.js";

/** Rolling updates, so that a new version or a token restart never takes every pod down. */
export const rolloutStrategyRule: Rule = {
  id: "rollout-strategy",
  severity: "warning",
  title: "Rolling update strategy",
  rationale:
    "`Recreate` stops every pod before starting new ones: each upgrade and each restart after a token rotation is an outage (seed).",
  source: "seed",
  remediation: `spec:
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%`,
  check(bundle) {
    const type = get(bundle.deployment.object, ["spec", "strategy", "type"]);
    const path = ["spec", "strategy", "type"];
    const expected = "RollingUpdate";
    if (type === undefined) {
      return [
        at(bundle, path, {
          status: "pass",
          expected,
          actual: "(unset: defaults to RollingUpdate)",
          message: "Kubernetes defaults to RollingUpdate.",
        }),
      ];
    }
    if (type === "RollingUpdate") {
      return [
        at(bundle, path, { status: "pass", expected, actual: "RollingUpdate", message: "Rolling updates." }),
      ];
    }
    return [
      at(bundle, path, {
        status: "fail",
        expected,
        actual: displayValue(type),
        message: `Strategy ${displayValue(type)} stops every pod before starting new ones.`,
      }),
    ];
  },
};
