import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at, containerPath, gatewayContainer, get } from "./common.js";

/** readOnlyRootFilesystem is not set: the gateway writes to its file system. */
export const noReadonlyRootfsRule: Rule = {
  id: "no-readonly-rootfs",
  severity: "error",
  title: "Root file system is writable",
  rationale:
    "The gateway writes to its file system at start and at run time; `readOnlyRootFilesystem: true` is not supported and makes it fail (prod).",
  source: "prod",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        securityContext:
          readOnlyRootFilesystem: false`,
  check(bundle) {
    const value = get(gatewayContainer(bundle), ["securityContext", "readOnlyRootFilesystem"]);
    const path = containerPath(bundle, "securityContext", "readOnlyRootFilesystem");
    const expected = "not true";
    if (value === true) {
      return [
        at(bundle, path, {
          status: "fail",
          expected,
          actual: "true",
          message: "readOnlyRootFilesystem: true is unsupported by the gateway; it cannot start.",
        }),
      ];
    }
    return [
      at(bundle, path, {
        status: "pass",
        expected,
        actual: value === undefined ? "(unset)" : displayValue(value),
        message: "The root file system is writable.",
      }),
    ];
  },
};
