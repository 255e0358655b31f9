/** What the live rules share: where the token lives, and the results they give before they can check anything. */

import { namespaceOf } from "../../gateway/bundle.js";
import type { GatewayBundle, LiveData, RuleResult } from "../types.js";
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

/** A deployment's ready pods and how many run Key Vault's current token: what `status` and `check` both say. */
export interface PodsOnToken {
  ready: number;
  /** Ready pods on the current token; undefined when that cannot be told (`reason` says why). */
  current?: number;
  /** Names of ready pods not on the current token. */
  behind: string[];
  /** Names of ready pods whose start time is unknown. */
  unknownStart: string[];
  /** Why no pod counts, or why it cannot be told. */
  reason?: string;
}

/**
 * Which ready pods run Key Vault's current token: none while the Secret holds another token, else
 * those started after the Secret's last rotation (`lastRotatedAt` is set only while the Secret's
 * annotations describe the token it holds).
 * @param live - the deployment's live data, with Key Vault's hash when Key Vault could be read.
 * @returns undefined when the pods could not be read.
 */
export function podsOnCurrentToken(live: LiveData): PodsOnToken | undefined {
  if (!live.pods) return undefined;
  const ready = live.pods.filter((pod) => pod.ready);
  const { secretTokenSha256: secret, vaultTokenSha256: vault, lastRotatedAt: rotatedAt } = live;
  if (secret && vault && secret.toLowerCase() !== vault.toLowerCase()) {
    return {
      ready: ready.length,
      current: 0,
      behind: ready.map((pod) => pod.name),
      unknownStart: [],
      reason: "the Secret differs from Key Vault: no pod runs Key Vault's token",
    };
  }
  if (!rotatedAt) {
    return {
      ready: ready.length,
      behind: [],
      unknownStart: [],
      reason:
        "no rotation recorded (annotation gateway-guard.io/rotated-at on the Secret, describing the token it holds)",
    };
  }
  const behind = ready.filter((pod) => pod.startedAt && startedBeforeRotation(pod.startedAt, rotatedAt));
  const unknownStart = ready.filter((pod) => !pod.startedAt);
  return {
    ready: ready.length,
    current: ready.length - behind.length - unknownStart.length,
    behind: behind.map((pod) => pod.name),
    unknownStart: unknownStart.map((pod) => pod.name),
  };
}
