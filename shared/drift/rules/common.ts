/**
 * Small helpers the rules share: reading fields of the gateway Deployment, JSON paths and their lines,
 * and reading gateway settings with the partial-input logic of baseline.md ("unknown, not pass").
 */

import { namespaceOf } from "../../gateway/bundle.js";
import type { GatewayBundle, RuleResult, SettingValue, Severity, SourcedObject } from "../types.js";

export type Path = ReadonlyArray<string | number>;
type Plain = Record<string, unknown>;

/** The message of every live rule when the input is a manifest. */
export const NEEDS_LIVE_CHECK = "needs a live check: gateway-guard check --config";

/** Entra ID modes of `config.service.auth` (no token to rotate). */
export const ENTRA_AUTH_MODES: readonly string[] = ["workloadidentity", "azureadapp"];

/**
 * Reads a nested field of plain data.
 * @param value - the root.
 * @param path - keys and array indexes.
 * @returns the field, or undefined when any step is missing.
 */
export function get(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Plain)[key as string];
  }
  return current;
}

/** The value as a plain object, or undefined. */
export function asObject(value: unknown): Plain | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Plain) : undefined;
}

/** The value as an array (empty when it is not one). */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/**
 * Renders a path as in JSON: `spec.template.spec.containers[0].image`, `data["config.service.endpoint"]`.
 * @param path - keys and array indexes.
 */
export function pathString(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/**
 * The line of a field, or of its nearest ancestor that exists, or of the object itself.
 * @param source - the object.
 * @param path - the field.
 */
export function lineOf(source: SourcedObject, path: Path): number | undefined {
  for (let length = path.length; length > 0; length--) {
    const line = source.lineOf(length === path.length ? path : path.slice(0, length));
    if (line !== undefined) return line;
  }
  return source.line;
}

/** `Kind/namespace/name` of an object (namespace `default` when it has none, as in findings). */
export function objectName(source: SourcedObject): string {
  return `${source.object.kind}/${namespaceOf(source.object)}/${source.object.metadata.name}`;
}

/** A Kubernetes IntOrString limit (`maxUnavailable`, `maxSurge`, `minAvailable`) read as a count or a percentage. */
export type IntOrPercent = { kind: "count"; value: number } | { kind: "percent"; value: number };

/**
 * Reads an IntOrString limit: a non-negative integer, or a whole percentage such as `25%`.
 * @returns the count or percentage, or undefined when the value is neither.
 */
export function intOrPercent(value: unknown): IntOrPercent | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? { kind: "count", value } : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = /^(\d+)%$/.exec(value.trim());
  return match ? { kind: "percent", value: Number(match[1]) } : undefined;
}

/** Path of the pod spec in a Deployment. */
export const POD: Path = ["spec", "template", "spec"];

/** Path of the gateway container. */
export function containerPath(bundle: GatewayBundle, ...rest: Path): Path {
  return [...POD, "containers", bundle.containerIndex, ...rest];
}

/** The pod spec of the Deployment. */
export function podSpec(bundle: GatewayBundle): Plain {
  return asObject(get(bundle.deployment.object, POD)) ?? {};
}

/** The gateway container. */
export function gatewayContainer(bundle: GatewayBundle): Plain {
  return asObject(asArray(podSpec(bundle).containers)[bundle.containerIndex]) ?? {};
}

/** What a result says, without its location. */
export interface Outcome {
  status: RuleResult["status"];
  expected: string;
  actual: string;
  message: string;
  severity?: Severity;
}

/**
 * A result about a field of the Deployment (path and line filled in).
 * @param bundle - the bundle.
 * @param path - the field in the Deployment.
 * @param outcome - status, expected, actual, message.
 */
export function at(bundle: GatewayBundle, path: Path, outcome: Outcome): RuleResult {
  return { ...outcome, path: pathString(path), line: lineOf(bundle.deployment, path) };
}

/**
 * A result about a field of a related object (ConfigMap, Service, PDB, HPA): the path names the object,
 * and the line and file are that object's.
 * @param bundle - the bundle.
 * @param source - the related object.
 * @param path - the field in that object.
 * @param outcome - status, expected, actual, message.
 */
export function atRelated(
  _bundle: GatewayBundle,
  source: SourcedObject,
  path: Path,
  outcome: Outcome,
): RuleResult {
  const result: RuleResult = {
    ...outcome,
    path: `${objectName(source)}:${pathString(path)}`,
    line: lineOf(source, path),
  };
  if (source.file !== undefined) result.file = source.file;
  return result;
}

/** Names of ConfigMaps the gateway container reads (env valueFrom and envFrom) that the input does not hold. */
export function missingConfigMaps(bundle: GatewayBundle): string[] {
  const container = gatewayContainer(bundle);
  const names = new Set<string>();
  for (const entry of asArray(container.envFrom)) {
    const name = get(entry, ["configMapRef", "name"]);
    if (typeof name === "string") names.add(name);
  }
  for (const entry of asArray(container.env)) {
    const name = get(entry, ["valueFrom", "configMapKeyRef", "name"]);
    if (typeof name === "string") names.add(name);
  }
  const held = new Set(bundle.configMaps.map((cm) => cm.object.metadata.name));
  return [...names].filter((name) => !held.has(name));
}

/** A setting as a rule sees it. */
export type SettingRead =
  | { kind: "value"; value: string; setting: SettingValue }
  /** Set, but from a reference the input does not resolve (a Secret, a missing ConfigMap key). */
  | { kind: "unresolved"; setting: SettingValue; reason: string }
  /** Not set anywhere the rule can see, but a referenced ConfigMap is missing and the input is partial. */
  | { kind: "unknown"; reason: string }
  | { kind: "absent" };

/**
 * Reads a gateway setting (env or ConfigMap) with baseline.md's partial-input logic.
 * @param bundle - the bundle.
 * @param key - the setting, e.g. `config.service.endpoint`.
 */
export function readSetting(bundle: GatewayBundle, key: string): SettingRead {
  const setting = bundle.settings.get(key);
  if (setting) {
    if (setting.value !== undefined) return { kind: "value", value: setting.value, setting };
    return {
      kind: "unresolved",
      setting,
      reason: `${key} comes from ${setting.object}, which the input does not resolve`,
    };
  }
  if (bundle.partial) {
    const missing = missingConfigMaps(bundle);
    if (missing.length > 0) {
      const list = missing.map((name) => `ConfigMap ${name}`).join(", ");
      return { kind: "unknown", reason: `${key} may be set in ${list}, which the input does not hold` };
    }
  }
  return { kind: "absent" };
}

/**
 * A result about a setting: at the setting where it is set, else where it would go (the first
 * ConfigMap the gateway reads, or the container's env).
 * @param bundle - the bundle.
 * @param key - the setting.
 * @param outcome - status, expected, actual, message.
 */
export function atSetting(bundle: GatewayBundle, key: string, outcome: Outcome): RuleResult {
  const setting = bundle.settings.get(key);
  if (setting) {
    if (setting.source && setting.source !== bundle.deployment)
      return atRelated(bundle, setting.source, setting.path, outcome);
    if (setting.source) return at(bundle, setting.path, outcome);
    return at(bundle, containerPath(bundle, "envFrom"), outcome);
  }
  const configMap = bundle.configMaps[0];
  if (configMap) return atRelated(bundle, configMap, ["data", key], outcome);
  return at(bundle, containerPath(bundle, "env"), outcome);
}

/** An `unknown` result for a setting, with the reason. */
export function unknownSetting(
  bundle: GatewayBundle,
  key: string,
  expected: string,
  reason: string,
): RuleResult {
  return atSetting(bundle, key, { status: "unknown", expected, actual: "unknown", message: reason });
}

/** Whether `config.service.auth` selects Entra ID (workloadIdentity or azureAdApp). */
export function usesEntraAuth(bundle: GatewayBundle): boolean {
  const auth = bundle.settings.get("config.service.auth");
  return auth?.from === "configmap" || auth?.from === "env"
    ? ENTRA_AUTH_MODES.includes((auth.value ?? "").trim().toLowerCase())
    : false;
}

/** True for a replica count Kubernetes accepts: a non-negative whole number. */
export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Where the replica floor is read: the HPA's (or KEDA ScaledObject's) minimum when one targets it, else spec.replicas. */
export interface ReplicaFloor {
  /** The count, or the default when the field is unset or invalid (1 for a Deployment or HPA, 0 for KEDA). */
  count: number;
  /** The field's value as parsed, when set (null counts as unset). */
  raw: unknown;
  source: SourcedObject;
  path: Path;
}

/** Replicas the Deployment runs at least: an HPA's (or KEDA ScaledObject's) minimum when one targets it, else spec.replicas. */
export function minimumReplicas(bundle: GatewayBundle): ReplicaFloor {
  const floor = (source: SourcedObject, path: Path, fallback: number): ReplicaFloor => {
    const value = get(source.object, path);
    const raw = value === null ? undefined : value;
    return { count: isCount(raw) ? raw : fallback, raw, source, path };
  };
  const hpa = bundle.horizontalPodAutoscalers[0];
  if (hpa) return floor(hpa, ["spec", "minReplicas"], 1);
  const scaled = bundle.scaledObjects[0];
  if (scaled) return floor(scaled, ["spec", "minReplicaCount"], 0);
  return floor(bundle.deployment, ["spec", "replicas"], 1);
}

/** Replicas the Deployment may run at most: an HPA's (or ScaledObject's) maximum when one targets it, else spec.replicas. */
export function maximumReplicas(bundle: GatewayBundle): number {
  const hpa = bundle.horizontalPodAutoscalers[0];
  if (hpa) {
    const max = get(hpa.object, ["spec", "maxReplicas"]);
    return isCount(max) ? max : 1;
  }
  const scaled = bundle.scaledObjects[0];
  if (scaled) {
    const max = get(scaled.object, ["spec", "maxReplicaCount"]);
    return isCount(max) ? max : 100;
  }
  const replicas = get(bundle.deployment.object, ["spec", "replicas"]);
  return isCount(replicas) ? replicas : 1;
}

/** A threshold from the rule's settings, falling back to its default when missing or of the wrong type. */
export function numberSetting(settings: Record<string, unknown>, key: string, fallback: number): number {
  const value = settings[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** A string-list setting, falling back to its default. */
export function stringsSetting(
  settings: Record<string, unknown>,
  key: string,
  fallback: readonly string[],
): readonly string[] {
  const value = settings[key];
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : fallback;
}
