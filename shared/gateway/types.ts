/**
 * The gateway's object model: Kubernetes objects as plain data with where they came from, and the
 * bundle of objects around one gateway Deployment. Used by the drift checker (manifests) and by the
 * Kubernetes adapter (live objects); it imports neither.
 */

/** A Kubernetes object as plain data (only what every object has is typed). */
export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One object with where it came from. */
export interface SourcedObject {
  object: KubeObject;
  /** File the object was read from (`<stdin>` for standard input); absent for live objects. */
  file?: string;
  /** 1-based line of the object's start in that file. */
  line?: number;
  /** 1-based line of a field inside the object (path as in JSON, e.g. `["spec","replicas"]`), if present. */
  lineOf(path: ReadonlyArray<string | number>): number | undefined;
  /** A field's value as written in the file (`1e400`, `"3"`, `.nan`), for messages; absent for live objects. */
  textOf?(path: ReadonlyArray<string | number>): string | undefined;
}

/** A setting the gateway reads (`config.service.endpoint`, `telemetry.logs.std.level`, ...) and where it comes from. */
export interface SettingValue {
  /** The literal value, or undefined when it comes from a reference that the input does not resolve. */
  value: string | undefined;
  from: "env" | "env-secret" | "configmap" | "secret";
  /** The object that holds it (`ConfigMap/ns/name`), or the Deployment for a literal env var. */
  object: string;
  source?: SourcedObject;
  path: ReadonlyArray<string | number>;
}

/** Where the gateway token comes from, found by following env/envFrom (rotation.md: "never by guessing"). */
export interface TokenSource {
  kind: "secretKeyRef" | "secretRef" | "literal" | "none";
  secretName?: string;
  /** The key in the Secret: the secretKeyRef key, or for envFrom the key named `config.service.auth` (prefix applied). */
  key?: string;
  /** Field path of the env entry in the Deployment. */
  path?: ReadonlyArray<string | number>;
}

/** Data that only a live check has; absent when checking a manifest. */
export interface LiveData {
  /** When the token in the cluster Secret expires (from the annotation or, as a fallback, the token). */
  tokenExpiresOn?: Date;
  /** When that token was issued, if known (expiry minus lifetime asked for). */
  tokenIssuedOn?: Date;
  /** SHA-256 (hex) of the Secret's token and of Key Vault's current token; never the tokens. */
  secretTokenSha256?: string;
  vaultTokenSha256?: string;
  /** When the Secret was last rotated (annotation `gateway-guard.io/rotated-at`). */
  lastRotatedAt?: Date;
  /** Ready pods of the deployment with their start times. */
  pods?: Array<{ name: string; ready: boolean; startedAt?: Date }>;
  /** Why part of the live data could not be read (e.g. "Key Vault: 403"), for `unknown` findings. */
  errors?: string[];
}

/** Everything the rules see for one gateway Deployment. */
export interface GatewayBundle {
  deployment: SourcedObject;
  /** Index of the gateway container in `spec.template.spec.containers`. */
  containerIndex: number;
  /** Objects the Deployment references or that select/target it, from the same input. */
  configMaps: SourcedObject[];
  secrets: SourcedObject[];
  persistentVolumeClaims: SourcedObject[];
  podDisruptionBudgets: SourcedObject[];
  horizontalPodAutoscalers: SourcedObject[];
  scaledObjects: SourcedObject[];
  services: SourcedObject[];
  /** Kinds the input could hold but does not (for `unknown`): a single manifest may simply not include them. */
  partial: boolean;
  /** Gateway settings from env and envFrom ConfigMaps/Secrets; later sources win as in Kubernetes (env over envFrom). */
  settings: Map<string, SettingValue>;
  token: TokenSource;
  live?: LiveData;
}
