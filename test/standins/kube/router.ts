/**
 * The HTTP face of the stand-in: authenticates the bearer token, serves discovery, maps
 * `/api/v1/...` and `/apis/{group}/{version}/...` to store operations with the API server's verbs,
 * applies injected faults, and answers failures as `Status` objects.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { discoveryDocument } from "./discovery.js";
import type { Faults } from "./faults.js";
import { isObject, type KubeObject } from "./objects.js";
import { applyPatch, type Json } from "./patch.js";
import { apiVersionOf, resourceAt, type ResourceType } from "./resources.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { cannotDecode, KubeApiError, notFound } from "./status.js";
import type { ObjectStore } from "./store.js";
import { tableOf, wantsTable } from "./table.js";
import { serveWatch, type OpenWatches } from "./watch.js";

/** One request as the stand-in saw it (never a body: bodies may hold tokens). */
export interface RequestRecord {
  method: string;
  path: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  contentType?: string;
  /** The request carried `dryRun` (nothing was to be persisted). */
  dryRun?: boolean;
  /** 0 when the connection was dropped without an answer. */
  status: number;
}

/** What the router works with. */
export interface RouterContext {
  store: ObjectStore;
  faults: Faults;
  token: string;
  user: string;
  /** Every request is appended here. */
  requests: RequestRecord[];
  /** Aborted when the stand-in closes (ends watches). */
  stopSignal: AbortSignal;
  /** The open watches. */
  watches?: OpenWatches;
}

interface ApiTarget {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Splits an API path into resource, namespace, name and subresource. */
export function parseApiPath(path: string): ApiTarget | undefined {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) [group, version, rest] = ["", parts[1], parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 4)
    [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else return undefined;
  if (rest[0] === "namespaces" && rest.length >= 3 && resourceAt(group, version, rest[2])) {
    const resource = resourceAt(group, version, rest[2]);
    if (!resource?.namespaced || rest.length > 5) return undefined;
    return { resource, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  const resource = resourceAt(group, version, rest[0]);
  if (!resource || rest.length > 3) return undefined;
  return { resource, name: rest[1], subresource: rest[2] };
}

function verbOf(method: string, target: ApiTarget, query: URLSearchParams): string {
  const watching = query.get("watch") === "true" || query.get("watch") === "1";
  switch (method) {
    case "GET":
      return target.name ? "get" : watching ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return target.name ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string, resource: ResourceType): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw cannotDecode(resource, "the body is not valid JSON");
  }
}

function send(
  response: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(code, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function listOf(resource: ResourceType, items: KubeObject[], resourceVersion: string): unknown {
  return {
    kind: `${resource.kind}List`,
    apiVersion: apiVersionOf(resource),
    metadata: { resourceVersion },
    items: items.map(({ apiVersion: _apiVersion, kind: _kind, ...rest }) => rest),
  };
}

/**
 * Handles one HTTP request against the stand-in.
 */
export async function handleRequest(
  context: RouterContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://standin");
  const method = request.method ?? "GET";
  const contentType = request.headers["content-type"]?.split(";")[0].trim().toLowerCase();
  const record: RequestRecord = {
    method,
    path: url.pathname,
    status: 0,
    ...(contentType ? { contentType } : {}),
    ...(url.searchParams.has("dryRun") ? { dryRun: true } : {}),
  };
  context.requests.push(record);
  const answer = (code: number, body: unknown, headers?: Record<string, string>) => {
    record.status = code;
    send(response, code, body, headers);
  };
  try {
    if (context.faults.latencyInMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, context.faults.latencyInMs));
    }
    if (request.headers.authorization !== `Bearer ${context.token}`) {
      throw new KubeApiError(401, "Unauthorized");
    }
    if (["/healthz", "/readyz", "/livez"].includes(url.pathname)) {
      record.status = 200;
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
      return;
    }
    const discovery =
      method === "GET" ? discoveryDocument(url.pathname, request.headers.host ?? "") : undefined;
    if (discovery) return answer(200, discovery);
    const target = parseApiPath(url.pathname);
    if (!target) throw new KubeApiError(404, "the server could not find the requested resource");
    const verb = verbOf(method, target, url.searchParams);
    Object.assign(record, {
      verb,
      resource: target.resource.plural,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      ...(target.name ? { name: target.name } : {}),
    });
    const fault = context.faults.answerFor(
      {
        verb,
        resource: target.resource,
        namespace: target.namespace,
        name: target.name,
        dryRun: url.searchParams.has("dryRun"),
      },
      context.user,
    );
    if (fault?.reset) {
      request.socket.destroy();
      return;
    }
    if (fault && !fault.landed) return answer(fault.error.status.code, fault.error.status, fault.headers);
    if (target.subresource && target.subresource !== "status") {
      throw new KubeApiError(404, "the server could not find the requested resource");
    }
    checkDryRun(url.searchParams);
    if (verb === "watch") {
      record.status = 200;
      const labels = parseLabelSelector(url.searchParams.get("labelSelector"));
      const fields = parseFieldSelector(url.searchParams.get("fieldSelector"));
      const timeout = Number(url.searchParams.get("timeoutSeconds") ?? 0);
      serveWatch(
        request,
        response,
        context.store,
        {
          resource: target.resource,
          namespace: target.namespace,
          matches: (o) => labels.matches(o.metadata.labels) && fields(o.metadata),
          resourceVersion: url.searchParams.get("resourceVersion") ?? undefined,
          timeoutInMs: timeout * 1000,
        },
        context.stopSignal,
        context.watches,
      );
      return;
    }
    const body = ["POST", "PUT", "PATCH"].includes(method) ? await readBody(request) : "";
    const [code, result] = handleVerb(context, verb, target, url.searchParams, contentType, body);
    if (fault?.landed) return answer(fault.error.status.code, fault.error.status, fault.headers);
    if ((verb === "get" || verb === "list") && wantsTable(request.headers.accept)) {
      const objects = verb === "get" ? [result as KubeObject] : (result as { items: KubeObject[] }).items;
      return answer(code, tableOf(target.resource, objects, context.store.resourceVersion));
    }
    answer(code, result);
  } catch (error) {
    if (error instanceof KubeApiError) return answer(error.status.code, error.status);
    const failure = new KubeApiError(500, `stand-in internal error: ${(error as Error).message}`);
    answer(500, failure.status);
  }
}

function handleVerb(
  context: RouterContext,
  verb: string,
  target: ApiTarget,
  query: URLSearchParams,
  contentType: string | undefined,
  body: string,
): [number, unknown] {
  const { store } = context;
  const { resource, namespace, name } = target;
  const dryRun = query.get("dryRun") === "All";
  const statusOnly = {
    ...(target.subresource === "status" ? ({ subresource: "status" } as const) : {}),
    ...(dryRun ? { dryRun } : {}),
  };
  switch (verb) {
    case "get": {
      const found = store.get(resource, namespace, name ?? "");
      if (!found) throw notFound(resource, name ?? "");
      return [200, found];
    }
    case "list": {
      const labels = parseLabelSelector(query.get("labelSelector"));
      const fields = parseFieldSelector(query.get("fieldSelector"));
      const items = store.list(
        resource,
        namespace,
        (o) => labels.matches(o.metadata.labels) && fields(o.metadata),
      );
      return [200, listOf(resource, items, store.resourceVersion)];
    }
    case "create": {
      const object = objectBody(resource, contentType, body);
      if (namespace && object.metadata?.namespace && object.metadata.namespace !== namespace) {
        throw new KubeApiError(
          400,
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      object.metadata = { ...object.metadata, ...(namespace ? { namespace } : {}) };
      return [201, store.create(resource, object, { dryRun })];
    }
    case "update": {
      const object = objectBody(resource, contentType, body);
      checkIdentity(resource, object, namespace, name ?? "");
      return [
        200,
        store.replace(resource, { ...object, metadata: { ...object.metadata, namespace } }, statusOnly),
      ];
    }
    case "patch": {
      const existing = store.get(resource, namespace, name ?? "");
      if (!existing) throw notFound(resource, name ?? "");
      const patched = applyPatch(contentType ?? "", existing as unknown as Json, parseJson(body, resource));
      if (!isObject(patched) || !isObject(patched.metadata)) {
        throw new KubeApiError(
          422,
          `${resource.kind} "${name}" is invalid: the patch does not leave an object`,
        );
      }
      const object = patched as unknown as KubeObject;
      checkIdentity(resource, object, namespace, name ?? "");
      return [200, store.replace(resource, object, statusOnly)];
    }
    case "delete": {
      const removed = store.delete(resource, namespace, name ?? "", { dryRun });
      if (resource.kind === "Pod" || resource.kind === "Namespace") return [200, removed];
      return [
        200,
        {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: {
            name,
            ...(resource.group ? { group: resource.group } : {}),
            kind: resource.plural,
            uid: removed.metadata.uid,
          },
        },
      ];
    }
    default:
      throw new KubeApiError(405, `the server does not allow this method on the requested resource`);
  }
}

/** `dryRun=All` is the only value the API server accepts (400 otherwise). */
function checkDryRun(query: URLSearchParams): void {
  for (const value of query.getAll("dryRun")) {
    if (value !== "All") {
      throw new KubeApiError(400, `Invalid dryRun: Unsupported value: "${value}": supported values: "All"`);
    }
  }
}

function objectBody(resource: ResourceType, contentType: string | undefined, body: string): KubeObject {
  if (contentType && contentType !== "application/json") {
    throw new KubeApiError(
      415,
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  }
  const parsed = parseJson(body, resource);
  if (!isObject(parsed)) throw cannotDecode(resource, "expected a JSON object");
  const object = parsed as unknown as KubeObject;
  if (object.kind !== undefined && object.kind !== resource.kind) {
    throw cannotDecode(resource, `the body is a ${String(object.kind)}, not a ${resource.kind}`);
  }
  object.metadata ??= { name: "" };
  return object;
}

function checkIdentity(
  resource: ResourceType,
  object: KubeObject,
  namespace: string | undefined,
  name: string,
): void {
  if (object.metadata?.name !== name) {
    throw new KubeApiError(
      400,
      `the name of the object (${String(object.metadata?.name)}) does not match the name on the URL (${name})`,
    );
  }
  if (resource.namespaced && object.metadata.namespace && object.metadata.namespace !== namespace) {
    throw new KubeApiError(
      400,
      "the namespace of the provided object does not match the namespace sent on the request",
    );
  }
}
