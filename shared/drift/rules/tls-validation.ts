import type { Rule } from "../types.js";
import { atSetting, readSetting, unknownSetting } from "./common.js";

const KEY = "config.service.endpoint.disableCertificateValidation";

/** The gateway validates the configuration endpoint's certificate. */
export const tlsValidationRule: Rule = {
  id: "tls-validation",
  severity: "error",
  title: "Certificate validation of the configuration endpoint",
  rationale:
    "With certificate validation off, anyone who can intercept the gateway's traffic can serve it a configuration (APIs, policies, backends) and read its token (settings).",
  source: "settings",
  remediation: `# in the gateway's ConfigMap: remove the key, or
data:
  config.service.endpoint.disableCertificateValidation: "false"`,
  check(bundle) {
    const expected = "absent or false";
    const read = readSetting(bundle, KEY);
    if (read.kind === "unknown" || read.kind === "unresolved")
      return [unknownSetting(bundle, KEY, expected, read.reason)];
    if (read.kind === "absent") {
      return [
        atSetting(bundle, KEY, {
          status: "pass",
          expected,
          actual: "(unset)",
          message: "Certificates are validated.",
        }),
      ];
    }
    const off = read.value.trim().toLowerCase() === "false";
    return [
      atSetting(bundle, KEY, {
        status: off ? "pass" : "fail",
        expected,
        actual: read.value,
        message: off
          ? "Certificates are validated."
          : "Certificate validation of the configuration endpoint is disabled.",
      }),
    ];
  },
};
