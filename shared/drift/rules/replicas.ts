import type { Rule } from "../types.js";
import { displayValue } from "../../gateway/values.js";
import {
  at,
  atRelated,
  isCount,
  minimumReplicas,
  numberSetting,
  objectName,
  pathString,
  type Outcome,
} from "./common.js";

/** At least 2 replicas (seed), 3 recommended (prod); with an HPA, its minReplicas counts. */
export const replicasRule: Rule = {
  id: "replicas",
  severity: "error",
  title: "Enough gateway replicas",
  rationale:
    "One replica means every node drain, crash or rollout is an outage. The seed article asks for at least two; the current production page recommends three so that one can be down while two still serve (seed, prod).",
  source: "seed (2), prod (3)",
  remediation: `spec:
  replicas: 3
# or, with an HPA targeting the Deployment:
# spec:
#   minReplicas: 3`,
  defaults: { errorBelow: 2, warnBelow: 3 },
  check(bundle, context) {
    const errorBelow = numberSetting(context.settings, "errorBelow", 2);
    const warnBelow = numberSetting(context.settings, "warnBelow", 3);
    const { count, raw, source, path } = minimumReplicas(bundle);
    const fromDeployment = source === bundle.deployment;
    const what = fromDeployment ? "spec.replicas" : `${objectName(source)} keeps at least`;
    const expected = `>= ${warnBelow} (error below ${errorBelow})`;
    const actual = String(count);
    const place = (outcome: Outcome) =>
      fromDeployment ? at(bundle, path, outcome) : atRelated(bundle, source, path, outcome);
    if (raw !== undefined && !isCount(raw)) {
      const written = source.textOf?.(path) ?? displayValue(raw);
      return [
        place({
          status: "fail",
          severity: "error",
          expected: `a whole number of replicas ${expected}`,
          actual: written,
          message: `${pathString(path)} is ${written}: expected a non-negative whole number such as 3 (Kubernetes refuses anything else).`,
        }),
      ];
    }
    if (count < errorBelow) {
      return [
        place({
          status: "fail",
          severity: "error",
          expected,
          actual,
          message: `${what} ${count}: below the floor of ${errorBelow}; a single pod failure is an outage.`,
        }),
      ];
    }
    if (count < warnBelow) {
      return [
        place({
          status: "fail",
          severity: "warning",
          expected,
          actual,
          message: `${what} ${count}: ${warnBelow} recommended so that one pod can be down while the others serve.`,
        }),
      ];
    }
    return [place({ status: "pass", expected, actual, message: `${what} ${count}.` })];
  },
};
