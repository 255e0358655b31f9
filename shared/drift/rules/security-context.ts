import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { asArray, at, containerPath, gatewayContainer, get, podSpec } from "./common.js";

/** The gateway container runs as non-root, without privilege escalation and without capabilities. */
export const securityContextRule: Rule = {
  id: "security-context",
  severity: "warning",
  title: "Restricted security context",
  rationale:
    "The gateway needs no root, no privilege escalation and no Linux capabilities; dropping them limits what an attacker who reaches the gateway can do. The production page recommends this context (prod).",
  source: "prod",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        securityContext:
          runAsNonRoot: true
          allowPrivilegeEscalation: false
          capabilities:
            drop: ["ALL"]`,
  check(bundle) {
    const container = gatewayContainer(bundle);
    const context = container.securityContext;
    const runAsNonRoot =
      get(context, ["runAsNonRoot"]) ?? get(podSpec(bundle), ["securityContext", "runAsNonRoot"]);
    const escalation = get(context, ["allowPrivilegeEscalation"]);
    const drop = asArray(get(context, ["capabilities", "drop"])).map((cap) =>
      displayValue(cap).toUpperCase(),
    );
    const missing: string[] = [];
    if (runAsNonRoot !== true) missing.push("runAsNonRoot: true");
    if (escalation !== false) missing.push("allowPrivilegeEscalation: false");
    if (!drop.includes("ALL")) missing.push("capabilities.drop: [ALL]");
    const expected = "runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL]";
    const path = containerPath(bundle, "securityContext");
    if (missing.length === 0) {
      return [
        at(bundle, path, {
          status: "pass",
          expected,
          actual: expected,
          message: "Restricted security context.",
        }),
      ];
    }
    return [
      at(bundle, path, {
        status: "fail",
        expected,
        actual: `missing ${missing.join(", ")}`,
        message: `The gateway container's security context lacks ${missing.join(", ")}.`,
      }),
    ];
  },
};
