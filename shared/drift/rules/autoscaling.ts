import type { Rule } from "../types.js";
import { at, atRelated, objectName } from "./common.js";

/** An HPA or KEDA ScaledObject scales the gateway with load. */
export const autoscalingRule: Rule = {
  id: "autoscaling",
  severity: "info",
  title: "Autoscaling",
  rationale:
    "Gateway load follows API traffic; the production page recommends a HorizontalPodAutoscaler (or KEDA) so that capacity follows it, with minReplicas as the floor (prod).",
  source: "prod",
  remediation: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: apim-gateway
  namespace: apim-gateway
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: apim-gateway
  minReplicas: 3
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70`,
  check(bundle) {
    const expected = "an HPA or KEDA ScaledObject targeting the deployment";
    const scaler = bundle.horizontalPodAutoscalers[0] ?? bundle.scaledObjects[0];
    if (scaler) {
      return [
        atRelated(bundle, scaler, ["spec", "scaleTargetRef"], {
          status: "pass",
          expected,
          actual: objectName(scaler),
          message: `Scaled by ${objectName(scaler)}.`,
        }),
      ];
    }
    if (bundle.partial) {
      return [
        at(bundle, ["spec", "replicas"], {
          status: "unknown",
          expected,
          actual: "none in the input",
          message:
            "No HPA or ScaledObject targeting the deployment in the input; it may be defined elsewhere.",
        }),
      ];
    }
    return [
      at(bundle, ["spec", "replicas"], {
        status: "fail",
        expected,
        actual: "none",
        message: "Nothing scales the gateway with load.",
      }),
    ];
  },
};
