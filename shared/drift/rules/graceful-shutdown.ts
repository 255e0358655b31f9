import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, numberSetting, POD, podSpec } from "./common.js";

/** Enough time for in-flight requests to finish when a pod stops. */
export const gracefulShutdownRule: Rule = {
  id: "graceful-shutdown",
  severity: "warning",
  title: "Graceful shutdown period",
  rationale:
    "When a pod stops (rollout, token restart, node drain) the gateway finishes in-flight requests; Kubernetes' default of 30 seconds cuts long requests off. The portal YAML and the Helm chart use 60 seconds (portal, helm).",
  source: "portal, helm",
  remediation: `spec:
  template:
    spec:
      terminationGracePeriodSeconds: 60`,
  defaults: { minSeconds: 60 },
  check(bundle, context) {
    const minSeconds = numberSetting(context.settings, "minSeconds", 60);
    const value = podSpec(bundle).terminationGracePeriodSeconds;
    const path = [...POD, "terminationGracePeriodSeconds"];
    const expected = `>= ${minSeconds}`;
    const seconds = typeof value === "number" ? value : 30;
    const actual = typeof value === "number" ? displayValue(value) : "(unset: defaults to 30)";
    if (seconds < minSeconds) {
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual,
          message: `${seconds} seconds to shut down: in-flight requests may be cut off (${minSeconds} recommended).`,
        }),
      ];
    }
    return [
      at(bundle, path, { status: "pass", expected, actual, message: `${seconds} seconds to shut down.` }),
    ];
  },
};
