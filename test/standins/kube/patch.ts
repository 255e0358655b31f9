/**
 * The three patch formats the API server accepts: JSON merge patch (RFC 7386), strategic merge
 * patch (merge patch whose lists of named things merge by key, for the fields this project uses),
 * and JSON patch (RFC 6902). Pure functions over plain JSON.
 */
import { KubeApiError } from "./status.js";

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

/** The patch content types, as `PatchStrategy` in @kubernetes/client-node names them. */
export const patchContentTypes = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
} as const;

function isMap(value: unknown): value is JsonMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/**
 * Applies an RFC 7386 JSON merge patch: maps merge, `null` removes, everything else replaces.
 * @returns the patched copy; `target` is not changed.
 */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return clone(patch);
  const result: JsonMap = isMap(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}

/** List fields whose items merge by a key in a strategic merge patch (from the Kubernetes API types). */
const mergeKeys: Record<string, string[]> = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  env: ["name"],
  volumes: ["name"],
  imagePullSecrets: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  ports: ["containerPort", "port"],
  conditions: ["type"],
  ownerReferences: ["uid"],
  hostAliases: ["ip"],
  topologySpreadConstraints: ["topologyKey"],
};

function mergeKeyFor(field: string, items: Json[]): string | undefined {
  const candidates = mergeKeys[field];
  if (!candidates) return undefined;
  return candidates.find((key) => items.some((item) => isMap(item) && key in item)) ?? candidates[0];
}

function mergeList(field: string, target: Json | undefined, patch: Json[]): Json {
  const current = Array.isArray(target) ? target : [];
  const key = mergeKeyFor(field, [...current, ...patch]);
  if (!key) return patch.map((item) => stripDirectives(item));
  const result = current.map((item) => clone(item));
  for (const item of patch) {
    if (!isMap(item)) continue;
    const index = result.findIndex((existing) => isMap(existing) && existing[key] === item[key]);
    if (item.$patch === "delete") {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = applyStrategicMergePatch(result[index], item);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isMap(value)) return value;
  const result: JsonMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (!key.startsWith("$")) result[key] = stripDirectives(item);
  }
  return result;
}

/**
 * Applies a strategic merge patch for the fields this project touches: a merge patch, except that
 * lists of named things (containers, env, volumes, ports, ...) merge item by item on their key,
 * `$patch: delete` removes a list item, `$patch: replace` replaces a map, and other `$` directives
 * are dropped.
 * @returns the patched copy; `target` is not changed.
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return clone(patch);
  if (patch.$patch === "replace") return stripDirectives(patch);
  const result: JsonMap = isMap(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else if (isMap(value)) result[key] = applyStrategicMergePatch(result[key] ?? null, value);
    else result[key] = value;
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new KubeApiError(400, `invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(document: Json, tokens: string[], pointer: string): Json {
  let node: Json = document;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node)
      ? node[Number(token)]
      : isMap(node)
        ? node[token]
        : undefined;
    if (next === undefined) throw new KubeApiError(422, `JSON patch: path "${pointer}" does not exist`);
    node = next;
  }
  return node;
}

function getAt(document: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return document;
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  const value = Array.isArray(parent) ? parent[Number(last)] : isMap(parent) ? parent[last] : undefined;
  if (value === undefined) throw new KubeApiError(422, `JSON patch: path "${pointer}" does not exist`);
  return value;
}

function removeAt(document: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  const removed = getAt(document, pointer);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isMap(parent)) delete parent[last];
  return removed;
}

function addAt(document: Json, pointer: string, value: Json, replace: boolean): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length - (replace ? 1 : 0)) {
      throw new KubeApiError(422, `JSON patch: index "${last}" out of range in "${pointer}"`);
    }
    parent.splice(index, replace ? 1 : 0, value);
  } else if (isMap(parent)) {
    if (replace && !(last in parent)) {
      throw new KubeApiError(422, `JSON patch: path "${pointer}" does not exist`);
    }
    parent[last] = value;
  } else {
    throw new KubeApiError(422, `JSON patch: path "${pointer}" does not exist`);
  }
  return document;
}

/**
 * Applies an RFC 6902 JSON patch (add, remove, replace, move, copy, test).
 * @throws KubeApiError 400 when the body is not an array of operations (the API server's
 *   `json: cannot unmarshal object into Go value of type jsonpatch.Patch`), 422 when an operation
 *   cannot apply or a `test` fails.
 */
export function applyJsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) {
    const what = isMap(patch) ? "object" : typeof patch;
    throw new KubeApiError(400, `json: cannot unmarshal ${what} into Go value of type jsonpatch.Patch`);
  }
  let document = clone(target);
  for (const raw of patch) {
    if (!isMap(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw new KubeApiError(400, `JSON patch: each operation needs "op" and "path"`);
    }
    const operation = raw as unknown as Operation;
    switch (operation.op) {
      case "add":
        document = addAt(document, operation.path, clone(operation.value ?? null), false);
        break;
      case "replace":
        document = addAt(document, operation.path, clone(operation.value ?? null), true);
        break;
      case "remove":
        removeAt(document, operation.path);
        break;
      case "move": {
        const value = removeAt(document, operation.from ?? "");
        document = addAt(document, operation.path, value, false);
        break;
      }
      case "copy":
        document = addAt(document, operation.path, clone(getAt(document, operation.from ?? "")), false);
        break;
      case "test":
        if (JSON.stringify(getAt(document, operation.path)) !== JSON.stringify(operation.value)) {
          throw new KubeApiError(422, `JSON patch: test failed at "${operation.path}"`);
        }
        break;
      default:
        throw new KubeApiError(400, `JSON patch: unknown operation "${operation.op}"`);
    }
  }
  return document;
}

/**
 * Applies a patch of the given content type.
 * @throws KubeApiError 415 for a content type that is not one of the three patch types.
 */
export function applyPatch(contentType: string, target: Json, patch: Json): Json {
  switch (contentType) {
    case patchContentTypes.merge:
      return applyMergePatch(target, patch);
    case patchContentTypes.strategic:
      return applyStrategicMergePatch(target, patch);
    case patchContentTypes.json:
      return applyJsonPatch(target, patch);
    default:
      throw new KubeApiError(
        415,
        `the body of the request was in an unknown format - accepted media types include: ${Object.values(patchContentTypes).join(", ")}`,
      );
  }
}
