/**
 * What the API server does to particular kinds on write: defaults and the few validations that
 * matter to this project (Secret data is base64 and `stringData` folds into `data`, Deployment
 * defaults, Lease MicroTime format, DNS names).
 */
import { isObject, type KubeObject } from "./objects.js";
import type { ResourceType } from "./resources.js";
import { cannotDecode, invalid } from "./status.js";

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const microTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/** Checks `metadata.name` as the API server does for these kinds (a DNS-1123 subdomain). */
export function validateName(resource: ResourceType, name: string): void {
  if (name.length > 253 || !dnsSubdomain.test(name)) {
    throw invalid(
      resource,
      name,
      "metadata.name",
      `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function prepareSecret(resource: ResourceType, secret: KubeObject): void {
  const data = isObject(secret.data) ? { ...secret.data } : {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== "string" || !base64.test(value)) {
      throw cannotDecode(resource, `illegal base64 data in data["${key}"]`);
    }
  }
  if (isObject(secret.stringData)) {
    for (const [key, value] of Object.entries(secret.stringData)) {
      data[key] = Buffer.from(String(value), "utf8").toString("base64");
    }
  }
  delete secret.stringData;
  if (Object.keys(data).length > 0) secret.data = data;
  else delete secret.data;
  secret.type ??= "Opaque";
}

function prepareDeployment(resource: ResourceType, deployment: KubeObject): void {
  const spec = (deployment.spec ??= {});
  const name = deployment.metadata.name;
  const selector = spec.selector as { matchLabels?: Record<string, string> } | undefined;
  if (!isObject(selector)) throw invalid(resource, name, "spec.selector", "Required value");
  const template = spec.template as { metadata?: { labels?: Record<string, string> } } | undefined;
  const labels = template?.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) {
      throw invalid(
        resource,
        name,
        "spec.template.metadata.labels",
        "Invalid value: `selector` does not match template `labels`",
      );
    }
  }
  spec.replicas ??= 1;
  spec.progressDeadlineSeconds ??= 600;
  spec.revisionHistoryLimit ??= 10;
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
}

function prepareLease(resource: ResourceType, lease: KubeObject): void {
  for (const field of ["acquireTime", "renewTime"]) {
    const value = lease.spec?.[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || !microTime.test(value)) {
      const fraction = typeof value === "string" ? (/\.\d*\S*$/.exec(value)?.[0] ?? value) : String(value);
      throw cannotDecode(
        resource,
        `parsing time "${String(value)}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${fraction}" as ".000000"`,
      );
    }
  }
}

/**
 * Applies the API server's defaults and validations for the object's kind, in place.
 * @throws KubeApiError 400 or 422 as the API server would.
 */
export function prepareForWrite(resource: ResourceType, object: KubeObject): void {
  switch (resource.kind) {
    case "Secret":
      return prepareSecret(resource, object);
    case "Deployment":
      return prepareDeployment(resource, object);
    case "Lease":
      return prepareLease(resource, object);
    case "Namespace":
      object.spec ??= { finalizers: ["kubernetes"] };
      object.status = { phase: "Active" };
      return;
  }
}

const immutableWhenSet = "Forbidden: field is immutable when `immutable` is set";

/**
 * Checks an update against the object it replaces, as the API server does: a Secret or ConfigMap
 * with `immutable: true` keeps its data and stays immutable (422).
 * @throws KubeApiError 422 naming the field.
 */
export function validateUpdate(resource: ResourceType, existing: KubeObject, next: KubeObject): void {
  if ((resource.kind !== "Secret" && resource.kind !== "ConfigMap") || existing.immutable !== true) return;
  const name = existing.metadata.name;
  if (next.immutable !== true) throw invalid(resource, name, "immutable", immutableWhenSet);
  for (const field of ["data", "binaryData"]) {
    if (JSON.stringify(next[field] ?? {}) !== JSON.stringify(existing[field] ?? {})) {
      throw invalid(resource, name, field, immutableWhenSet);
    }
  }
}
