import { redacted } from "../../token/redact.js";
import type { GatewayBundle, Rule, RuleResult, SettingValue } from "../types.js";
import { authModes } from "../../gateway/bundle.js";
import {
  asObject,
  at,
  atRelated,
  atSetting,
  containerPath,
  ENTRA_AUTH_MODES,
  objectName,
  readSetting,
  unknownSetting,
  type Path,
} from "./common.js";

const AUTH = "config.service.auth";
const AUTH_KEY = "config.service.auth.key";
const EXPECTED = `${AUTH} from a Secret (env valueFrom.secretKeyRef or envFrom secretRef)`;

function fromSecret(setting: SettingValue | undefined): boolean {
  return setting?.from === "env-secret" || setting?.from === "secret";
}

function describe(setting: SettingValue): string {
  return setting.from === "env-secret"
    ? `env secretKeyRef (${setting.object})`
    : `envFrom secretRef (${setting.object})`;
}

/** A literal token: fail, pointing at where it is written, never showing it. */
function literal(
  bundle: GatewayBundle,
  key: string,
  setting: SettingValue | undefined,
  path?: Path,
): RuleResult {
  const where =
    setting && setting.from === "configmap" ? ` in ${setting.object}` : " in the Deployment's env";
  const outcome = {
    status: "fail" as const,
    expected: EXPECTED,
    actual: `literal value ${redacted}${where}`,
    message: `The gateway token is written literally${where}: anyone who can read the manifest holds the gateway's access, and rotation cannot replace it. Move it to a Secret.`,
  };
  return !setting && path ? at(bundle, path, outcome) : atSetting(bundle, key, outcome);
}

/** The gateway token comes from a Secret, never a literal in the manifest. */
export const tokenFromSecretRule: Rule = {
  id: "token-from-secret",
  severity: "error",
  title: "Gateway token comes from a Secret",
  rationale:
    "A token written in a Deployment or ConfigMap ends up in Git, in `kubectl get -o yaml` and in every CI log that prints the manifest; it also cannot be rotated without editing the manifest. The seed article and the portal's YAML read it from a Secret (seed, portal).",
  source: "seed, portal",
  remediation: `# kubectl create secret generic apim-gateway-token -n apim-gateway --from-literal=value="GatewayKey <token>"
spec:
  template:
    spec:
      containers:
      - name: gateway
        env:
        - name: config.service.auth
          valueFrom:
            secretKeyRef:
              name: apim-gateway-token
              key: value`,
  check(bundle) {
    return [decide(bundle), ...shadowedLiterals(bundle)];
  },
};

/**
 * Literal tokens in the ConfigMaps the gateway reads that another source overrides (env wins over
 * envFrom): the gateway does not use them, but the manifest still leaks them.
 */
function shadowedLiterals(bundle: GatewayBundle): RuleResult[] {
  const results: RuleResult[] = [];
  for (const configMap of bundle.configMaps) {
    const data = asObject(configMap.object.data) ?? {};
    for (const key of [AUTH, AUTH_KEY]) {
      const value = data[key];
      if (typeof value !== "string" || value.trim() === "" || authModes.has(value.trim().toLowerCase()))
        continue;
      const setting = bundle.settings.get(key);
      if (setting?.source === configMap && setting.path[1] === key) continue;
      const where = ` in ${objectName(configMap)}`;
      results.push(
        atRelated(bundle, configMap, ["data", key], {
          status: "fail",
          expected: EXPECTED,
          actual: `literal value ${redacted}${where} (overridden, but still in the manifest)`,
          message: `A gateway token is written literally${where}. The gateway reads ${key} from elsewhere, but anyone who can read the manifest holds this token: delete it from the ConfigMap and revoke it.`,
        }),
      );
    }
  }
  return results;
}

/** The verdict on the token the gateway actually reads. */
function decide(bundle: GatewayBundle): RuleResult {
  const token = bundle.token;
  const auth = bundle.settings.get(AUTH);
  if (token.kind === "secretKeyRef" || token.kind === "secretRef" || fromSecret(auth)) {
    const actual =
      token.kind === "secretKeyRef" || token.kind === "secretRef"
        ? `${token.kind} ${token.secretName ?? ""}${token.key ? ` key ${token.key}` : ""}`.trim()
        : describe(auth as SettingValue);
    const outcome = {
      status: "pass" as const,
      expected: EXPECTED,
      actual,
      message: `Token read from a Secret (${actual}).`,
    };
    return token.path ? at(bundle, token.path, outcome) : atSetting(bundle, AUTH, outcome);
  }
  const mode = auth?.value?.trim().toLowerCase();
  if (mode !== undefined && ENTRA_AUTH_MODES.includes(mode)) {
    return atSetting(bundle, AUTH, {
      status: "pass",
      expected: EXPECTED,
      actual: `${AUTH}: ${auth?.value ?? ""}`,
      message: "Entra ID authentication: there is no gateway token to keep.",
    });
  }
  if (mode === "key") {
    const key = bundle.settings.get(AUTH_KEY);
    if (fromSecret(key)) {
      const actual = `${AUTH}: key with ${AUTH_KEY} from ${describe(key as SettingValue)}`;
      return atSetting(bundle, AUTH_KEY, {
        status: "pass",
        expected: EXPECTED,
        actual,
        message: `Token read from a Secret (${actual}).`,
      });
    }
    if (key?.value !== undefined) return literal(bundle, AUTH_KEY, key);
    const read = readSetting(bundle, AUTH_KEY);
    if (read.kind === "unknown" || read.kind === "unresolved")
      return unknownSetting(bundle, AUTH_KEY, EXPECTED, read.reason);
    return atSetting(bundle, AUTH_KEY, {
      status: "fail",
      expected: EXPECTED,
      actual: `${AUTH_KEY} not set`,
      message: `${AUTH} is "key" but no ${AUTH_KEY} is given: the gateway has no token.`,
    });
  }
  if (token.kind === "literal" || auth?.value !== undefined) {
    return literal(bundle, AUTH, auth, token.path);
  }
  const read = readSetting(bundle, AUTH);
  if (read.kind === "unknown" || read.kind === "unresolved")
    return unknownSetting(bundle, AUTH, EXPECTED, read.reason);
  return at(bundle, containerPath(bundle, "env"), {
    status: "fail",
    expected: EXPECTED,
    actual: `${AUTH} not set`,
    message: `The gateway has no ${AUTH}: it cannot fetch its configuration.`,
  });
}
