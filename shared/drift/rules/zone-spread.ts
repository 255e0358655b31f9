import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { asArray, at, get, POD, podSpec, stringsSetting } from "./common.js";

const ZONE = "topology.kubernetes.io/zone";

/** Pods spread over zones (or at least kept apart by anti-affinity). */
export const zoneSpreadRule: Rule = {
  id: "zone-spread",
  severity: "warning",
  title: "Pods spread across zones",
  rationale:
    "Replicas on one node or in one zone fail together. The production page and the Helm chart spread gateway pods with topologySpreadConstraints over zones, or keep them apart with pod anti-affinity (prod, helm).",
  source: "prod, helm",
  remediation: `spec:
  template:
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            app: apim-gateway`,
  defaults: { topologyKeys: [ZONE] },
  check(bundle, context) {
    const keys = stringsSetting(context.settings, "topologyKeys", [ZONE]);
    const pod = podSpec(bundle);
    const expected = `topologySpreadConstraints on ${keys.join(" or ")}, or pod anti-affinity`;
    const constraints = asArray(pod.topologySpreadConstraints);
    const index = constraints.findIndex((constraint) =>
      keys.includes(displayValue(get(constraint, ["topologyKey"]))),
    );
    if (index >= 0) {
      return [
        at(bundle, [...POD, "topologySpreadConstraints", index], {
          status: "pass",
          expected,
          actual: `topologySpreadConstraints on ${displayValue(get(constraints[index], ["topologyKey"]))}`,
          message: "Pods spread across zones.",
        }),
      ];
    }
    const antiAffinity = get(pod, ["affinity", "podAntiAffinity"]);
    if (antiAffinity !== undefined && antiAffinity !== null) {
      return [
        at(bundle, [...POD, "affinity", "podAntiAffinity"], {
          status: "pass",
          expected,
          actual: "podAntiAffinity",
          message: "Pods kept apart by anti-affinity.",
        }),
      ];
    }
    const actual =
      constraints.length > 0
        ? `topologySpreadConstraints on ${constraints.map((c) => displayValue(get(c, ["topologyKey"]))).join(", ")} only`
        : "none";
    return [
      at(bundle, [...POD, constraints.length > 0 ? "topologySpreadConstraints" : "affinity"], {
        status: "fail",
        expected,
        actual,
        message: "Nothing keeps the replicas apart: they may all run in one zone or on one node.",
      }),
    ];
  },
};
