/**
 * Findings leave the program (terminal, files, HTTP): every string in them passes through redaction, so a
 * token written anywhere in a manifest (a Secret, a literal env value, an annotation) is never printed.
 */
import { authModes } from "../gateway/bundle.js";
import { asArray, record, scalarText } from "../gateway/values.js";
import { redactText, redactTokens } from "../token/redact.js";
import type { Finding, GatewayBundle } from "./types.js";

const authKeys = ["config.service.auth", "config.service.auth.key"];

/** Shorter values are too common to hide everywhere (and no token is this short). */
const minimumSecretLength = 8;

/**
 * The values of a bundle that may be tokens: every Secret value (decoded), and literal
 * `config.service.auth` / `config.service.auth.key` values in its ConfigMaps and the gateway's env.
 * @param bundle - a gateway bundle.
 */
export function secretValuesOf(bundle: GatewayBundle): string[] {
  const values: string[] = [];
  for (const secret of bundle.secrets) {
    for (const value of Object.values(record(secret.object.data))) {
      const text = scalarText(value);
      if (text !== undefined) values.push(text, Buffer.from(text, "base64").toString("utf8"));
    }
    for (const value of Object.values(record(secret.object.stringData))) values.push(scalarText(value) ?? "");
  }
  for (const configMap of bundle.configMaps) {
    const data = record(configMap.object.data);
    for (const key of authKeys) values.push(scalarText(data[key]) ?? "");
  }
  const spec = record(record(record(bundle.deployment.object.spec).template).spec);
  for (const container of asArray(spec.containers)) {
    for (const entry of asArray(record(container).env).map(record)) {
      if (authKeys.includes(scalarText(entry.name) ?? "")) values.push(scalarText(entry.value) ?? "");
    }
  }
  return values.filter(
    (value) => value.trim().length >= minimumSecretLength && !authModes.has(value.trim().toLowerCase()),
  );
}

/**
 * The finding with its strings redacted: the given secret values, and anything shaped like a gateway token.
 * @param finding - a finding.
 * @param secrets - values to hide, from {@link secretValuesOf}.
 */
export function redactFinding(finding: Finding, secrets: readonly string[]): Finding {
  const clean = (text: string) => redactTokens(redactText(text, secrets));
  const result: Finding = {
    ...finding,
    object: clean(finding.object),
    path: clean(finding.path),
    expected: clean(finding.expected),
    actual: clean(finding.actual),
    message: clean(finding.message),
  };
  if (finding.exemptReason !== undefined) result.exemptReason = clean(finding.exemptReason);
  return result;
}
