/**
 * Grouping loaded objects around each gateway Deployment: the gateway container, the related objects
 * (ConfigMaps, Secrets, PVCs, PDBs, HPAs, KEDA ScaledObjects, Services), its settings and its token source.
 */
import { redacted } from "../token/redact.js";
import { asArray, isRecord, record, scalarText } from "./values.js";
import type { GatewayBundle, KubeObject, SettingValue, SourcedObject, TokenSource } from "./types.js";

/** The image repository (after any registry) that marks the gateway container. */
export const gatewayRepository = "azure-api-management/gateway";

/** Values of `config.service.auth` that name an authentication mode instead of holding a token. */
export const authModes: ReadonlySet<string> = new Set(["key", "workloadidentity", "azureadapp"]);

const authSettings = new Set(["config.service.auth", "config.service.auth.key"]);

/** Namespace used for matching when an object has none. */
export const defaultNamespace = "default";

export interface ParsedImage {
  /** `host[:port]`, when the reference names one. */
  registry?: string;
  /** Path without registry, tag or digest, e.g. `azure-api-management/gateway`. */
  repository: string;
  tag?: string;
  /** `sha256:...` */
  digest?: string;
}

/** Split an image reference such as `host:5000/a/b:tag@sha256:...` into its parts. */
export function parseImage(ref: string): ParsedImage {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const image: ParsedImage = { repository: rest };
  if (registry !== undefined) image.registry = registry;
  if (tag !== undefined) image.tag = tag;
  if (digest !== undefined) image.digest = digest;
  return image;
}

/** True when the image's repository ends in `azure-api-management/gateway` (any registry, tag or digest). */
export function isGatewayImage(ref: unknown): boolean {
  if (typeof ref !== "string" || ref === "") return false;
  const repository = parseImage(ref).repository.toLowerCase();
  return repository === gatewayRepository || repository.endsWith(`/${gatewayRepository}`);
}

/** Looks up a ConfigMap's data by name (in the deployment's namespace). */
export type ConfigMapLookup = (name: string) => Record<string, unknown> | undefined;

/**
 * Index of the gateway container in `spec.template.spec.containers`: the one running the gateway image,
 * else the one that reads `config.service.endpoint` (env, or an envFrom ConfigMap found by `configMaps`); -1 if none.
 */
export function findGatewayContainer(deployment: KubeObject, configMaps?: ConfigMapLookup): number {
  const containers = podContainers(deployment);
  const byImage = containers.findIndex((container) => isGatewayImage(container.image));
  if (byImage >= 0) return byImage;
  return containers.findIndex((container) => readsEndpoint(container, configMaps));
}

function readsEndpoint(container: Container, configMaps?: ConfigMapLookup): boolean {
  if (asArray(container.env).some((entry) => record(entry).name === "config.service.endpoint")) return true;
  if (!configMaps) return false;
  return asArray(container.envFrom).some((entry) => {
    const from = record(entry);
    const name = record(from.configMapRef).name;
    if (typeof name !== "string") return false;
    const data = configMaps(name);
    if (!data) return false;
    const prefix = typeof from.prefix === "string" ? from.prefix : "";
    return Object.keys(data).some((key) => prefix + key === "config.service.endpoint");
  });
}

export interface BuildBundlesOptions {
  /** True (the default) when the input may simply not include related objects: a manifest, not a cluster. */
  partial?: boolean;
}

/**
 * One bundle per gateway Deployment (a Deployment without a gateway container is skipped), with the related
 * objects from the same input and namespace (a missing namespace counts as `default`). Returns `[]` when
 * there is none; callers that need a gateway raise the error.
 */
export function buildBundles(objects: SourcedObject[], options: BuildBundlesOptions = {}): GatewayBundle[] {
  const index = indexObjects(objects);
  const bundles: GatewayBundle[] = [];
  for (const deployment of index.deployments) {
    const bundle = bundleFor(deployment, index.namespaces.get(namespaceOf(deployment.object)), options);
    if (bundle) bundles.push(bundle);
  }
  return bundles;
}

interface Container {
  name?: string;
  image?: unknown;
  env?: unknown;
  envFrom?: unknown;
  [key: string]: unknown;
}

interface NamespaceIndex {
  configMaps: Map<string, SourcedObject>;
  secrets: Map<string, SourcedObject>;
  persistentVolumeClaims: Map<string, SourcedObject>;
  /** Scale targets `Kind/name` → HPAs / ScaledObjects. */
  horizontalPodAutoscalers: Map<string, SourcedObject[]>;
  scaledObjects: Map<string, SourcedObject[]>;
  /** Objects that select pods by label. */
  podDisruptionBudgets: SelectorIndex;
  services: SelectorIndex;
}

/**
 * Selecting objects grouped by the keys of their `matchLabels` (sorted), then by those keys' values: a pod's
 * labels find their selectors with one lookup per group, however many objects share labels.
 */
type SelectorIndex = Map<string, { keys: string[]; byValues: Map<string, SourcedObject[]> }>;

interface ObjectIndex {
  deployments: SourcedObject[];
  namespaces: Map<string, NamespaceIndex>;
}

function indexObjects(objects: SourcedObject[]): ObjectIndex {
  const deployments: SourcedObject[] = [];
  const namespaces = new Map<string, NamespaceIndex>();
  const at = (namespace: string): NamespaceIndex => {
    let entry = namespaces.get(namespace);
    if (!entry) {
      entry = {
        configMaps: new Map(),
        secrets: new Map(),
        persistentVolumeClaims: new Map(),
        horizontalPodAutoscalers: new Map(),
        scaledObjects: new Map(),
        podDisruptionBudgets: new Map(),
        services: new Map(),
      };
      namespaces.set(namespace, entry);
    }
    return entry;
  };
  for (const sourced of objects) {
    const object = sourced.object;
    const name = object.metadata?.name;
    switch (object.kind) {
      case "Deployment":
        deployments.push(sourced);
        break;
      case "ConfigMap":
        at(namespaceOf(object)).configMaps.set(name, sourced);
        break;
      case "Secret":
        at(namespaceOf(object)).secrets.set(name, sourced);
        break;
      case "PersistentVolumeClaim":
        at(namespaceOf(object)).persistentVolumeClaims.set(name, sourced);
        break;
      case "HorizontalPodAutoscaler":
        addTo(at(namespaceOf(object)).horizontalPodAutoscalers, scaleTarget(object, false), sourced);
        break;
      case "ScaledObject":
        addTo(at(namespaceOf(object)).scaledObjects, scaleTarget(object, true), sourced);
        break;
      case "PodDisruptionBudget":
        indexSelector(
          at(namespaceOf(object)).podDisruptionBudgets,
          labelSelector(record(object.spec).selector),
          sourced,
        );
        break;
      case "Service": {
        const selector = record(object.spec).selector;
        if (isRecord(selector) && Object.keys(selector).length > 0) {
          indexSelector(
            at(namespaceOf(object)).services,
            { matchLabels: selector as Record<string, unknown> },
            sourced,
          );
        }
        break;
      }
    }
  }
  return { deployments, namespaces };
}

function scaleTarget(object: KubeObject, defaultToDeployment: boolean): string | undefined {
  const ref = record(record(object.spec).scaleTargetRef);
  const kind = typeof ref.kind === "string" ? ref.kind : defaultToDeployment ? "Deployment" : undefined;
  return typeof ref.name === "string" && kind ? `${kind}/${ref.name}` : undefined;
}

function addTo(map: Map<string, SourcedObject[]>, key: string | undefined, sourced: SourcedObject): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(sourced);
  else map.set(key, [sourced]);
}

interface LabelSelector {
  matchLabels?: Record<string, unknown>;
  matchExpressions?: unknown;
}

function labelSelector(value: unknown): LabelSelector | undefined {
  if (!isRecord(value)) return undefined;
  return value as LabelSelector;
}

function indexSelector(
  index: SelectorIndex,
  selector: LabelSelector | undefined,
  sourced: SourcedObject,
): void {
  if (!selector) return;
  const matchLabels = Object.entries(record(selector.matchLabels)).sort(([a], [b]) => (a < b ? -1 : 1));
  const values = matchLabels.map(([, value]) => scalarText(value));
  if (values.some((value) => value === undefined)) return;
  const keys = matchLabels.map(([key]) => key);
  const group = index.get(keys.join("\n")) ?? { keys, byValues: new Map<string, SourcedObject[]>() };
  index.set(keys.join("\n"), group);
  addTo(group.byValues, values.join("\n"), sourced);
}

function selecting(
  index: SelectorIndex,
  labels: Record<string, string>,
  selectorOf: (o: KubeObject) => LabelSelector,
): SourcedObject[] {
  const found: SourcedObject[] = [];
  for (const { keys, byValues } of index.values()) {
    if (!keys.every((key) => Object.hasOwn(labels, key))) continue;
    for (const sourced of byValues.get(keys.map((key) => labels[key]).join("\n")) ?? []) {
      if (selectorMatches(selectorOf(sourced.object), labels)) found.push(sourced);
    }
  }
  return found;
}

/** Kubernetes label selector semantics: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(record(selector.matchLabels))) {
    if (labels[key] !== scalarText(value)) return false;
  }
  for (const expression of asArray(selector.matchExpressions)) {
    const { key, operator, values } = record(expression);
    if (typeof key !== "string") return false;
    const has = Object.hasOwn(labels, key);
    const list = asArray(values).map(scalarText);
    if (operator === "In" && !(has && list.includes(labels[key]))) return false;
    if (operator === "NotIn" && has && list.includes(labels[key])) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function bundleFor(
  deployment: SourcedObject,
  related: NamespaceIndex | undefined,
  options: BuildBundlesOptions,
): GatewayBundle | undefined {
  const object = deployment.object;
  const configMapData: ConfigMapLookup = (name) => {
    const data = related?.configMaps.get(name)?.object.data;
    return isRecord(data) ? data : undefined;
  };
  const containerIndex = findGatewayContainer(object, configMapData);
  if (containerIndex < 0) return undefined;
  const podSpec = record(record(record(object.spec).template).spec);
  const labels = podLabels(object);
  const name = object.metadata.name;

  const configMapNames = new Set<string>();
  const secretNames = new Set<string>();
  const claimNames = new Set<string>();
  for (const container of [...asArray(podSpec.containers), ...asArray(podSpec.initContainers)].map(record)) {
    for (const entry of asArray(container.envFrom).map(record)) {
      addName(configMapNames, record(entry.configMapRef).name);
      addName(secretNames, record(entry.secretRef).name);
    }
    for (const entry of asArray(container.env).map(record)) {
      const valueFrom = record(entry.valueFrom);
      addName(configMapNames, record(valueFrom.configMapKeyRef).name);
      addName(secretNames, record(valueFrom.secretKeyRef).name);
    }
  }
  for (const volume of asArray(podSpec.volumes).map(record)) {
    addName(configMapNames, record(volume.configMap).name);
    addName(secretNames, record(volume.secret).secretName);
    addName(claimNames, record(volume.persistentVolumeClaim).claimName);
  }
  const pick = (map: Map<string, SourcedObject> | undefined, names: Set<string>): SourcedObject[] =>
    [...names].flatMap((n) => map?.get(n) ?? []);

  const { settings, token } = resolveSettings(deployment, containerIndex, related);
  return {
    deployment,
    containerIndex,
    configMaps: pick(related?.configMaps, configMapNames),
    secrets: pick(related?.secrets, secretNames),
    persistentVolumeClaims: pick(related?.persistentVolumeClaims, claimNames),
    podDisruptionBudgets: related
      ? selecting(related.podDisruptionBudgets, labels, (o) => labelSelector(record(o.spec).selector) ?? {})
      : [],
    horizontalPodAutoscalers: related?.horizontalPodAutoscalers.get(`Deployment/${name}`) ?? [],
    scaledObjects: related?.scaledObjects.get(`Deployment/${name}`) ?? [],
    services: related
      ? selecting(related.services, labels, (o) => ({ matchLabels: record(record(o.spec).selector) }))
      : [],
    partial: options.partial ?? true,
    settings,
    token,
  };
}

interface Resolved {
  settings: Map<string, SettingValue>;
  token: TokenSource;
}

/** Where a variable's value came from, for finding the token without guessing. */
type Origin = TokenSource;

/**
 * Merge envFrom sources (later wins) then env entries (env wins over envFrom), as Kubernetes does.
 * Secret values other than an auth mode name are {@link redacted} as they are read; literal (env or ConfigMap)
 * values of `config.service.auth` / `config.service.auth.key` that are not a mode name are redacted afterwards.
 */
function resolveSettings(
  deployment: SourcedObject,
  containerIndex: number,
  related?: NamespaceIndex,
): Resolved {
  const object = deployment.object;
  const ns = namespaceOf(object);
  const containerPath = ["spec", "template", "spec", "containers", containerIndex];
  const container = record(podContainers(object)[containerIndex]);
  const deploymentRef = `Deployment/${ns}/${object.metadata.name}`;
  const settings = new Map<string, SettingValue>();
  const origins = new Map<string, Origin>();
  const unresolvedSecretRefs: Origin[] = [];

  asArray(container.envFrom).forEach((raw, index) => {
    const entry = record(raw);
    const prefix = typeof entry.prefix === "string" ? entry.prefix : "";
    const entryPath = [...containerPath, "envFrom", index];
    const configMapName = record(entry.configMapRef).name;
    const secretName = record(entry.secretRef).name;
    if (typeof configMapName === "string") {
      const source = related?.configMaps.get(configMapName);
      for (const [key, { value, path }] of Object.entries(dataOf(source, false))) {
        settings.set(prefix + key, {
          value,
          from: "configmap",
          object: `ConfigMap/${ns}/${configMapName}`,
          source,
          path,
        });
        origins.set(prefix + key, { kind: "literal", path: entryPath });
      }
    } else if (typeof secretName === "string") {
      const source = related?.secrets.get(secretName);
      if (!source) unresolvedSecretRefs.push({ kind: "secretRef", secretName, path: entryPath });
      for (const [key, { value, path }] of Object.entries(dataOf(source, true))) {
        settings.set(prefix + key, {
          value,
          from: "secret",
          object: `Secret/${ns}/${secretName}`,
          source,
          path,
        });
        origins.set(prefix + key, { kind: "secretRef", secretName, key, path: entryPath });
      }
    }
  });

  asArray(container.env).forEach((raw, index) => {
    const entry = record(raw);
    if (typeof entry.name !== "string") return;
    const entryPath = [...containerPath, "env", index];
    const valueFrom = record(entry.valueFrom);
    const secretRef = record(valueFrom.secretKeyRef);
    const configMapRef = record(valueFrom.configMapKeyRef);
    if (typeof secretRef.name === "string" && typeof secretRef.key === "string") {
      const source = related?.secrets.get(secretRef.name);
      const held = dataOf(source, true)[secretRef.key];
      settings.set(entry.name, {
        value: held?.value,
        from: "env-secret",
        object: `Secret/${ns}/${secretRef.name}`,
        source: held ? source : deployment,
        path: held ? held.path : entryPath,
      });
      origins.set(entry.name, {
        kind: "secretKeyRef",
        secretName: secretRef.name,
        key: secretRef.key,
        path: entryPath,
      });
    } else if (typeof configMapRef.name === "string" && typeof configMapRef.key === "string") {
      const source = related?.configMaps.get(configMapRef.name);
      const held = dataOf(source, false)[configMapRef.key];
      settings.set(entry.name, {
        value: held?.value,
        from: "configmap",
        object: `ConfigMap/${ns}/${configMapRef.name}`,
        source: held ? source : deployment,
        path: held ? held.path : entryPath,
      });
      origins.set(entry.name, { kind: "literal", path: entryPath });
    } else {
      const literal = entry.valueFrom === undefined ? (scalarText(entry.value) ?? "") : undefined;
      settings.set(entry.name, {
        value: literal,
        from: "env",
        object: deploymentRef,
        source: deployment,
        path: [...entryPath, entry.valueFrom === undefined ? "value" : "valueFrom"],
      });
      origins.set(entry.name, { kind: "literal", path: entryPath });
    }
  });

  for (const key of authSettings) {
    const setting = settings.get(key);
    if (setting?.value !== undefined && !isAuthMode(setting.value))
      settings.set(key, { ...setting, value: redacted });
  }
  return { settings, token: findToken(settings, origins, unresolvedSecretRefs) };
}

function findToken(
  settings: Map<string, SettingValue>,
  origins: Map<string, Origin>,
  unresolved: Origin[],
): TokenSource {
  const auth = settings.get("config.service.auth");
  const mode = auth?.value !== undefined && isAuthMode(auth.value) ? auth.value.toLowerCase() : undefined;
  if (auth && mode === undefined) return origins.get("config.service.auth") ?? { kind: "none" };
  if (mode === undefined || mode === "key") {
    const origin = origins.get("config.service.auth.key");
    if (origin) return origin;
  }
  if (mode !== undefined && mode !== "key") return { kind: "none" };
  return unresolved[0] ?? { kind: "none" };
}

function isAuthMode(value: string): boolean {
  return authModes.has(value.trim().toLowerCase());
}

interface Held {
  value: string | undefined;
  path: Array<string | number>;
}

/**
 * ConfigMap `data`, or Secret `data` (base64-decoded) overlaid by `stringData`.
 * A Secret value is kept only when it is an auth mode name; every other one becomes {@link redacted}.
 */
function dataOf(source: SourcedObject | undefined, secret: boolean): Record<string, Held> {
  const result: Record<string, Held> = {};
  if (!source) return result;
  const data = record(source.object.data);
  for (const [key, value] of Object.entries(data)) {
    const text = scalarText(value) ?? "";
    result[key] = {
      value: secret ? secretValue(Buffer.from(text, "base64").toString("utf8")) : text,
      path: ["data", key],
    };
  }
  if (secret) {
    for (const [key, value] of Object.entries(record(source.object.stringData))) {
      result[key] = {
        value: secretValue(scalarText(value) ?? ""),
        path: ["stringData", key],
      };
    }
  }
  return result;
}

function secretValue(text: string): string {
  return isAuthMode(text) ? text : redacted;
}

/** The object's namespace, `default` when it has none. */
export function namespaceOf(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  return typeof namespace === "string" && namespace !== "" ? namespace : defaultNamespace;
}

function podContainers(deployment: KubeObject): Container[] {
  return asArray(record(record(record(deployment.spec).template).spec).containers).map(
    (container) => record(container) as Container,
  );
}

function podLabels(deployment: KubeObject): Record<string, string> {
  const labels = record(record(record(deployment.spec).template).metadata).labels;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(labels))) {
    const text = scalarText(value);
    if (text !== undefined) result[key] = text;
  }
  return result;
}

function addName(names: Set<string>, name: unknown): void {
  if (typeof name === "string" && name !== "") names.add(name);
}
