import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, atRelated, get, intOrPercent, minimumReplicas, numberSetting, objectName } from "./common.js";

/** How many pods (and what share) a PDB lets go down at once, given the replica count. */
function allowedDown(spec: unknown, replicas: number): { pods: number; percent: number } | undefined {
  const maxUnavailable = get(spec, ["maxUnavailable"]);
  const minAvailable = get(spec, ["minAvailable"]);
  if (maxUnavailable !== undefined) {
    const limit = intOrPercent(maxUnavailable);
    if (!limit) return undefined;
    if (limit.kind === "count")
      return { pods: limit.value, percent: replicas > 0 ? (100 * limit.value) / replicas : 100 };
    return { pods: Math.ceil((limit.value * replicas) / 100), percent: limit.value };
  }
  if (minAvailable !== undefined) {
    const limit = intOrPercent(minAvailable);
    if (!limit) return undefined;
    if (limit.kind === "count") {
      const pods = Math.max(0, replicas - limit.value);
      return { pods, percent: replicas > 0 ? (100 * pods) / replicas : 0 };
    }
    return { pods: replicas - Math.ceil((limit.value * replicas) / 100), percent: 100 - limit.value };
  }
  return { pods: 0, percent: 0 };
}

/** A PodDisruptionBudget keeps node drains from taking many gateways down at once. */
export const disruptionBudgetRule: Rule = {
  id: "disruption-budget",
  severity: "warning",
  title: "PodDisruptionBudget",
  rationale:
    "Node drains and cluster upgrades evict pods without regard for the gateway; a PodDisruptionBudget that allows at most 25% (or one pod) down keeps the rest serving (prod, helm).",
  source: "prod, helm",
  remediation: `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: apim-gateway
  namespace: apim-gateway
spec:
  maxUnavailable: 25%
  selector:
    matchLabels:
      app: apim-gateway`,
  defaults: { maxUnavailablePercent: 25, maxUnavailablePods: 1 },
  check(bundle, context) {
    const maxPercent = numberSetting(context.settings, "maxUnavailablePercent", 25);
    const maxPods = numberSetting(context.settings, "maxUnavailablePods", 1);
    const expected = `a PodDisruptionBudget selecting the gateway pods, allowing at most ${maxPercent}% or ${maxPods} pod down`;
    const pdb = bundle.podDisruptionBudgets[0];
    if (!pdb) {
      if (bundle.partial) {
        return [
          at(bundle, ["metadata"], {
            status: "unknown",
            expected,
            actual: "none in the input",
            message:
              "No PodDisruptionBudget selecting the gateway pods in the input; it may be defined elsewhere.",
          }),
        ];
      }
      return [
        at(bundle, ["metadata"], {
          status: "fail",
          expected,
          actual: "none",
          message:
            "No PodDisruptionBudget selects the gateway pods: a node drain can evict them all at once.",
        }),
      ];
    }
    const spec = get(pdb.object, ["spec"]);
    const field =
      get(spec, ["maxUnavailable"]) !== undefined
        ? "maxUnavailable"
        : get(spec, ["minAvailable"]) !== undefined
          ? "minAvailable"
          : undefined;
    const actual = field
      ? `${objectName(pdb)} ${field}: ${displayValue(get(spec, [field]))}`
      : `${objectName(pdb)} without limits`;
    const down = allowedDown(spec, minimumReplicas(bundle).count);
    const path = ["spec", field ?? "selector"];
    if (!down) {
      return [
        atRelated(bundle, pdb, path, {
          status: "fail",
          expected,
          actual,
          message: `${field} must be an integer or a percentage.`,
        }),
      ];
    }
    if (down.pods <= maxPods || down.percent <= maxPercent) {
      const note =
        down.pods === 0 ? " It allows no voluntary disruption, so node drains will wait on it." : "";
      return [
        atRelated(bundle, pdb, path, {
          status: "pass",
          expected,
          actual,
          message: `At most ${down.pods} pod(s) down at once.${note}`,
        }),
      ];
    }
    return [
      atRelated(bundle, pdb, path, {
        status: "fail",
        expected,
        actual,
        message: `The budget lets ${down.pods} pod(s) (${Math.round(down.percent)}%) go down at once.`,
      }),
    ];
  },
};
