/**
 * The resource types the Kubernetes stand-in serves, with the facts the router, the store and
 * discovery need about each (group, version, plural, kind, scope, verbs).
 */

/** One served resource type. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Discovery categories (`all` for `kubectl get all`). */
  categories: string[];
  /** Writes through the main endpoint keep `status`; `/status` writes change only `status`. */
  hasStatus: boolean;
  /** `metadata.generation` is raised when `spec` changes. */
  tracksGeneration: boolean;
}

const verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];

function type(
  group: string,
  version: string,
  plural: string,
  kind: string,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames: [],
    categories: [],
    hasStatus: false,
    tracksGeneration: false,
    ...extra,
  };
}

/** Every resource type the stand-in serves. */
export const resourceTypes: readonly ResourceType[] = [
  type("", "v1", "namespaces", "Namespace", { namespaced: false, shortNames: ["ns"], hasStatus: true }),
  type("", "v1", "secrets", "Secret"),
  type("", "v1", "configmaps", "ConfigMap", { shortNames: ["cm"] }),
  type("", "v1", "services", "Service", { shortNames: ["svc"], categories: ["all"], hasStatus: true }),
  type("", "v1", "pods", "Pod", { shortNames: ["po"], categories: ["all"], hasStatus: true }),
  type("apps", "v1", "deployments", "Deployment", {
    shortNames: ["deploy"],
    categories: ["all"],
    hasStatus: true,
    tracksGeneration: true,
  }),
  type("apps", "v1", "replicasets", "ReplicaSet", {
    shortNames: ["rs"],
    categories: ["all"],
    hasStatus: true,
    tracksGeneration: true,
  }),
  type("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", {
    shortNames: ["pdb"],
    hasStatus: true,
    tracksGeneration: true,
  }),
  type("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", {
    shortNames: ["hpa"],
    categories: ["all"],
    hasStatus: true,
  }),
  type("coordination.k8s.io", "v1", "leases", "Lease"),
];

/** The verbs every served type allows (collection delete is not served). */
export const servedVerbs: readonly string[] = verbs;

/** `v1` or `apps/v1`. */
export function apiVersionOf(resource: ResourceType): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** The name the API server uses in messages: `secrets`, `deployments.apps`. */
export function qualifiedName(resource: ResourceType): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/** The type served at a group, version and plural, if any. */
export function resourceAt(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/**
 * Finds a type by kind, plural, singular or short name, case-insensitively (`Secret`, `secrets`,
 * `deploy`, `Deployment`).
 * @throws Error when nothing matches.
 */
export function resourceNamed(name: string): ResourceType {
  const wanted = name.toLowerCase();
  const found = resourceTypes.find(
    (r) =>
      r.kind.toLowerCase() === wanted ||
      r.plural === wanted ||
      r.singular === wanted ||
      r.shortNames.includes(wanted),
  );
  if (!found) {
    const known = resourceTypes.map((r) => r.kind).join(", ");
    throw new Error(`Kubernetes stand-in does not serve "${name}"; it serves ${known}`);
  }
  return found;
}

/** The type of an object from its `apiVersion` and `kind`. */
export function resourceOfObject(apiVersion: unknown, kind: unknown): ResourceType | undefined {
  return resourceTypes.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}
