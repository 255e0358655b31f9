import type { Rule } from "../types.js";
import { at, containerPath, gatewayContainer } from "./common.js";

/** A liveness probe, so that a hung gateway is restarted. */
export const livenessProbeRule: Rule = {
  id: "liveness-probe",
  severity: "info",
  title: "Liveness probe",
  rationale:
    "The Helm chart probes liveness on the status endpoint so that a gateway that stops answering is restarted (helm).",
  source: "helm",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        livenessProbe:
          httpGet:
            path: /status-0123456789abcdef
            port: http
          periodSeconds: 10
          failureThreshold: 6`,
  check(bundle) {
    const probe = gatewayContainer(bundle).livenessProbe;
    const path = containerPath(bundle, "livenessProbe");
    const expected = "livenessProbe present";
    if (probe === undefined || probe === null) {
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual: "(no liveness probe)",
          message: "No liveness probe: a hung gateway keeps its pod.",
        }),
      ];
    }
    return [
      at(bundle, path, { status: "pass", expected, actual: "present", message: "Liveness probe present." }),
    ];
  },
};
