/** What the live rules share: where the token lives, and the results they give before they can check anything. */

import { namespaceOf } from "../../gateway/bundle.js";
import type { GatewayBundle, RuleResult } from "../types.js";
import { atSetting, containerPath, lineOf, NEEDS_LIVE_CHECK, usesEntraAuth } from "./common.js";

/** Path and line of the token for a live result: the Secret and key, and the line where the Deployment reads it. */
export function tokenPlace(
  bundle: GatewayBundle,
  expected: string,
): Pick<RuleResult, "path" | "line" | "expected"> {
  const { secretName, key } = bundle.token;
  const namespace = namespaceOf(bundle.deployment.object);
  const path = secretName
    ? `Secret/${namespace}/${secretName}:data${key ? `[${JSON.stringify(key)}]` : ""}`
    : "Secret:data";
  return {
    path,
    line: lineOf(bundle.deployment, bundle.token.path ?? containerPath(bundle, "env")),
    expected,
  };
}

/**
 * The result a live rule gives before it checks anything: `pass` with Entra ID auth (no token),
 * `unknown` without live data; undefined when the rule should go on.
 */
export function liveGuard(bundle: GatewayBundle, expected: string): RuleResult | undefined {
  if (usesEntraAuth(bundle)) {
    return atSetting(bundle, "config.service.auth", {
      status: "pass",
      expected,
      actual: "Entra ID authentication",
      message: "Entra ID authentication: there is no gateway token.",
    });
  }
  if (!bundle.live)
    return {
      ...tokenPlace(bundle, expected),
      status: "unknown",
      actual: "unknown",
      message: NEEDS_LIVE_CHECK,
    };
  return undefined;
}

/** `unknown` when the live check could not read what the rule needs, with the live check's errors. */
export function liveMissing(bundle: GatewayBundle, expected: string, what: string): RuleResult {
  const errors = bundle.live?.errors?.length ? ` (${bundle.live.errors.join("; ")})` : "";
  return {
    ...tokenPlace(bundle, expected),
    status: "unknown",
    actual: "unknown",
    message: `The live check could not read ${what}${errors}.`,
  };
}

/**
 * True when a pod started before a rotation. Kubernetes records a pod's start time in whole seconds
 * and the `gateway-guard.io/rotated-at` annotation has milliseconds, so both are compared at second
 * precision: a pod started in the same second as the rotation counts as started after it.
 * @param startedAt - the pod's `status.startTime`.
 * @param rotatedAt - the Secret's last rotation.
 */
export function startedBeforeRotation(startedAt: Date, rotatedAt: Date): boolean {
  return Math.floor(startedAt.getTime() / 1000) < Math.floor(rotatedAt.getTime() / 1000);
}
