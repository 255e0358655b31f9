/**
 * The stand-in's object store: one cluster's objects with the API server's bookkeeping (a global
 * resourceVersion raised by every write, `uid`, `creationTimestamp`, `generation`), optimistic
 * concurrency, and a stream of changes for watches and the deployment controller.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { prepareForWrite, validateName, validateUpdate } from "./kinds.js";
import { copyOf, kubeTime, type KubeObject } from "./objects.js";
import { apiVersionOf, resourceNamed, type ResourceType } from "./resources.js";
import { alreadyExists, conflict, invalid, notFound } from "./status.js";

/** One change, as a watch reports it. */
export interface StoreChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: ResourceType;
  object: KubeObject;
  resourceVersion: number;
}

/** How a write is made. */
export interface WriteOptions {
  /** Write only `status` (the `/status` subresource). */
  subresource?: "status";
  /**
   * A write by the stand-in itself (seeding, the controller): a `status` in the object is taken as
   * given instead of being kept (update) or cleared (create) as the API server does for clients.
   */
  trusted?: boolean;
  /** `dryRun=All`: validate and answer as for a real write, but persist nothing. */
  dryRun?: boolean;
}

const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
const historyLength = 1000;

/** A random suffix as the API server makes for `generateName` and pod names. */
export function randomSuffix(length = 5): string {
  let suffix = "";
  for (let i = 0; i < length; i++) suffix += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return suffix;
}

function keyOf(resource: ResourceType, namespace: string | undefined, name: string): string {
  return `${resource.group}/${resource.plural}/${namespace ?? ""}/${name}`;
}

function sameExceptVersion(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: "" } });
  return strip(a) === strip(b);
}

/** In-memory objects of one cluster. */
export class ObjectStore {
  /** Emits `change` with a {@link StoreChange} after every write, synchronously. */
  readonly events = new EventEmitter();
  private version = 0;
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: StoreChange[] = [];

  constructor() {
    this.events.setMaxListeners(0);
  }

  /** The current global resourceVersion, as lists report it. */
  get resourceVersion(): string {
    return String(this.version);
  }

  /** A copy of one object, or undefined. */
  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(keyOf(resource, resource.namespaced ? namespace : undefined, name));
    return found ? copyOf(found) : undefined;
  }

  /** Copies of the objects of a type, in one namespace or all, sorted by namespace and name. */
  list(resource: ResourceType, namespace?: string, filter?: (object: KubeObject) => boolean): KubeObject[] {
    const prefix = `${resource.group}/${resource.plural}/${resource.namespaced && namespace ? namespace : ""}/`;
    const all = resource.namespaced && !namespace ? `${resource.group}/${resource.plural}/` : prefix;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(all))
      .map(([, object]) => object)
      .filter((object) => !filter || filter(object))
      .sort((a, b) =>
        `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
        ),
      )
      .map(copyOf);
  }

  /** Changes after `resourceVersion` still held in the history, or undefined when too old. */
  changesSince(resourceVersion: number): StoreChange[] | undefined {
    const oldest = this.history[0]?.resourceVersion ?? this.version + 1;
    if (resourceVersion + 1 < oldest && resourceVersion < this.version) return undefined;
    return this.history.filter((change) => change.resourceVersion > resourceVersion);
  }

  /**
   * Creates an object (`POST`).
   * @throws KubeApiError 404 when its namespace does not exist, 409 AlreadyExists, 400/422 on bad input.
   */
  create(resource: ResourceType, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const object = copyOf(input);
    object.apiVersion = apiVersionOf(resource);
    object.kind = resource.kind;
    object.metadata ??= { name: "" };
    const meta = object.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (!meta.name)
      throw invalid(resource, "", "metadata.name", "Required value: name or generateName is required");
    validateName(resource, meta.name);
    if (resource.namespaced) {
      meta.namespace ||= "default";
      if (!this.objects.has(keyOf(resourceNamed("Namespace"), undefined, meta.namespace))) {
        throw notFound(resourceNamed("Namespace"), meta.namespace);
      }
    } else delete meta.namespace;
    const key = keyOf(resource, meta.namespace, meta.name);
    if (this.objects.has(key)) throw alreadyExists(resource, meta.name);
    if (!options.trusted && resource.kind === "Deployment") delete object.status;
    prepareForWrite(resource, object);
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTime();
    if (resource.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (options.dryRun) return object;
    return this.commit("ADDED", resource, key, object);
  }

  /**
   * Replaces an object (`PUT`, and the end of every `PATCH`). A `metadata.resourceVersion` in
   * `input` is a precondition.
   * @throws KubeApiError 404 when missing, 409 Conflict when the resourceVersion is stale.
   */
  replace(resource: ResourceType, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const namespace = resource.namespaced ? input.metadata?.namespace || "default" : undefined;
    const name = input.metadata?.name;
    if (!name) throw invalid(resource, "", "metadata.name", "Required value: name is required");
    const key = keyOf(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) throw notFound(resource, name);
    const precondition = input.metadata.resourceVersion;
    if (
      precondition !== undefined &&
      precondition !== "" &&
      precondition !== existing.metadata.resourceVersion
    ) {
      throw conflict(resource, name);
    }
    let next: KubeObject;
    if (options.subresource === "status") {
      next = copyOf(existing);
      next.status = copyOf(input.status ?? {});
    } else {
      next = copyOf(input);
      next.apiVersion = apiVersionOf(resource);
      next.kind = resource.kind;
      if (resource.hasStatus && (!options.trusted || next.status === undefined))
        next.status = copyOf(existing.status);
      if (next.status === undefined) delete next.status;
      prepareForWrite(resource, next);
      const meta = next.metadata;
      meta.uid = existing.metadata.uid;
      meta.creationTimestamp = existing.metadata.creationTimestamp;
      meta.namespace = existing.metadata.namespace;
      if (meta.namespace === undefined) delete meta.namespace;
      delete meta.generation;
      if (resource.tracksGeneration) {
        const specChanged = JSON.stringify(next.spec) !== JSON.stringify(existing.spec);
        meta.generation = (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      }
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (!options.trusted && !options.subresource) validateUpdate(resource, existing, next);
    if (sameExceptVersion(next, existing) || options.dryRun) return copyOf(next);
    return this.commit("MODIFIED", resource, key, next);
  }

  /**
   * Deletes an object; deleting a namespace deletes everything in it.
   * @returns the object as it was, with the deletion's resourceVersion.
   * @throws KubeApiError 404 when missing.
   */
  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: Pick<WriteOptions, "dryRun"> = {},
  ): KubeObject {
    const key = keyOf(resource, resource.namespaced ? namespace || "default" : undefined, name);
    const existing = this.objects.get(key);
    if (!existing) throw notFound(resource, name);
    if (options.dryRun) return copyOf(existing);
    if (resource.kind === "Namespace") {
      for (const [otherKey, object] of [...this.objects.entries()]) {
        if (object.metadata.namespace === name) {
          this.objects.delete(otherKey);
          this.record("DELETED", resourceNamed(String(object.kind)), object);
        }
      }
    }
    this.objects.delete(key);
    return this.record("DELETED", resource, existing);
  }

  private commit(
    type: StoreChange["type"],
    resource: ResourceType,
    key: string,
    object: KubeObject,
  ): KubeObject {
    this.objects.set(key, object);
    return this.record(type, resource, object);
  }

  private record(type: StoreChange["type"], resource: ResourceType, object: KubeObject): KubeObject {
    this.version++;
    object.metadata.resourceVersion = String(this.version);
    const change: StoreChange = { type, resource, object: copyOf(object), resourceVersion: this.version };
    this.history.push(change);
    if (this.history.length > historyLength) this.history.shift();
    this.events.emit("change", change);
    return copyOf(object);
  }
}
