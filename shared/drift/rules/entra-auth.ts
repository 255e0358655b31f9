import type { Rule } from "../types.js";
import { at, atSetting, containerPath, ENTRA_AUTH_MODES, readSetting, unknownSetting } from "./common.js";

const AUTH = "config.service.auth";

/** Notes Entra ID authentication (workloadIdentity, azureAdApp) as the token-free alternative. */
export const entraAuthRule: Rule = {
  id: "entra-auth",
  severity: "info",
  title: "Entra ID authentication",
  rationale:
    "A gateway token lasts at most 30 days and must be rotated. With Entra ID authentication (`workloadIdentity` on AKS, gateway image >= 2.11.0, or `azureAdApp`) the gateway authenticates with an identity and there is no token to rotate or leak (prod).",
  source: "prod",
  remediation: `# in the gateway's ConfigMap (AKS with workload identity; see the docs for the Entra app and roles)
data:
  config.service.auth: "workloadIdentity"
---
# pod template
metadata:
  labels:
    azure.workload.identity/use: "true"
spec:
  serviceAccountName: apim-gateway-workload-identity`,
  check(bundle) {
    const expected = "workloadIdentity or azureAdApp (token mode passes with a note)";
    const read = readSetting(bundle, AUTH);
    const mode = read.kind === "value" ? read.value.trim().toLowerCase() : undefined;
    if (mode !== undefined && ENTRA_AUTH_MODES.includes(mode)) {
      return [
        atSetting(bundle, AUTH, {
          status: "pass",
          expected,
          actual: read.kind === "value" ? read.value : mode,
          message: "Entra ID authentication: no token to rotate.",
        }),
      ];
    }
    if (read.kind === "unknown") return [unknownSetting(bundle, AUTH, expected, read.reason)];
    const outcome = {
      status: "pass" as const,
      expected,
      actual: "gateway token",
      message: "Token authentication: consider workloadIdentity or azureAdApp, which need no token rotation.",
    };
    return [
      bundle.token.path
        ? at(bundle, bundle.token.path, outcome)
        : bundle.settings.has(AUTH)
          ? atSetting(bundle, AUTH, outcome)
          : at(bundle, containerPath(bundle, "env"), outcome),
    ];
  },
};
