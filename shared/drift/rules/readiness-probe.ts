import type { Rule } from "../types.js";
import { at, containerPath, gatewayContainer, get, stringsSetting } from "./common.js";

const PATHS = ["/status-0123456789abcdef", "/internal-status-0123456789abcdef"];

/** The readiness probe asks the gateway's own status endpoint. */
export const readinessProbeRule: Rule = {
  id: "readiness-probe",
  severity: "warning",
  title: "Readiness probe on the gateway status endpoint",
  rationale:
    "Without a readiness probe on the status endpoint, Services send traffic to pods that have not loaded their configuration yet, and a rollout does not wait for new pods to be ready (portal, helm).",
  source: "portal, helm",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        readinessProbe:
          httpGet:
            path: /status-0123456789abcdef
            port: http
            scheme: HTTP
          periodSeconds: 5
          failureThreshold: 3`,
  defaults: { paths: PATHS },
  check(bundle, context) {
    const paths = stringsSetting(context.settings, "paths", PATHS);
    const expected = `readinessProbe.httpGet.path ${paths.join(" or ")}`;
    const probe = gatewayContainer(bundle).readinessProbe;
    if (probe === undefined) {
      return [
        at(bundle, containerPath(bundle, "readinessProbe"), {
          status: "fail",
          expected,
          actual: "(no readiness probe)",
          message: "No readiness probe: traffic reaches pods before they have their configuration.",
        }),
      ];
    }
    const path = get(probe, ["httpGet", "path"]);
    const fieldPath = containerPath(bundle, "readinessProbe", "httpGet", "path");
    if (typeof path === "string" && paths.includes(path)) {
      return [
        at(bundle, fieldPath, {
          status: "pass",
          expected,
          actual: path,
          message: `Readiness probed on ${path}.`,
        }),
      ];
    }
    const actual =
      typeof path === "string"
        ? path
        : get(probe, ["httpGet"]) === undefined
          ? "not an httpGet probe"
          : "(no path)";
    return [
      at(bundle, fieldPath, {
        status: "fail",
        expected,
        actual,
        message:
          "The readiness probe does not ask the gateway's status endpoint, which reports ready only once configuration is loaded.",
      }),
    ];
  },
};
