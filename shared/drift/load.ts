/**
 * Reading Kubernetes manifests (files, directories, stdin; multi-document YAML, JSON, `kind: List`)
 * into {@link SourcedObject}s that know the line of every field.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from "yaml";
import { InputError } from "../errors.js";
import type { KubeObject, SourcedObject } from "./types.js";

/** Largest input accepted per file (and for stdin), in bytes. */
export const defaultMaxBytes = 5 * 1024 * 1024;

/** Most alias expansions a document may make before it is refused as an alias bomb. */
export const defaultMaxAliasCount = 100;

/** The name used for standard input in findings and messages. */
export const stdinName = "<stdin>";

const manifestExtensions = new Set([".yaml", ".yml", ".json"]);

export interface LoadOptions {
  /** What `-` reads: a stream or the text itself (tests). Defaults to `process.stdin`. */
  stdin?: NodeJS.ReadableStream | string;
  /** Size limit per input in bytes (default {@link defaultMaxBytes}). */
  maxBytes?: number;
  /** Alias limit per document (default {@link defaultMaxAliasCount}). */
  maxAliasCount?: number;
}

export interface ParseOptions {
  maxBytes?: number;
  maxAliasCount?: number;
}

/**
 * Load every object from the given paths, in order: files, directories (every `.yaml`, `.yml`, `.json` below,
 * sorted by path) and `-` for standard input.
 * @throws InputError for unreadable paths, oversized or malformed input, or when nothing at all was found.
 */
export async function loadInputs(paths: string[], options: LoadOptions = {}): Promise<SourcedObject[]> {
  if (paths.length === 0)
    throw new InputError("No input given: expected a file, a directory or `-` for stdin.");
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const objects: SourcedObject[] = [];
  for (const path of paths) {
    if (path === "-") {
      const text = await readStdin(options.stdin ?? process.stdin, maxBytes);
      objects.push(...parseManifest(text, stdinName, options));
      continue;
    }
    for (const file of await expandPath(path)) {
      const text = await readManifestFile(file, maxBytes);
      objects.push(...parseManifest(text, file, options));
    }
  }
  if (objects.length === 0) {
    throw new InputError(
      `No Kubernetes objects found in ${paths.map((path) => (path === "-" ? stdinName : path)).join(", ")}: ` +
        "expected YAML or JSON documents with a `kind`.",
    );
  }
  return objects;
}

/**
 * Parse manifest text (YAML with any number of documents, or JSON) held in memory.
 * Empty and comment-only documents are skipped; `kind: List` is flattened.
 * @throws InputError naming `file:line` for malformed input, non-object documents and objects without `kind`.
 */
export function parseManifest(text: string, file: string, options: ParseOptions = {}): SourcedObject[] {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  if (Buffer.byteLength(text, "utf8") > maxBytes) throw tooLarge(file, maxBytes);
  const lineCounter = new LineCounter();
  const isJson = extname(file).toLowerCase() === ".json";
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const objects: SourcedObject[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = lineCounter.linePos(error.pos[0]).line;
      const expected = isJson ? "valid JSON" : "valid YAML";
      throw new InputError(
        `${file}:${line}: malformed ${isJson ? "JSON" : "YAML"}: ${firstLine(error.message)} (expected ${expected}).`,
      );
    }
    const root = doc.contents as Node | null;
    if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) continue;
    const line = lineOfNode(root, lineCounter);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? defaultMaxAliasCount });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/excessive alias count/i.test(message)) {
        throw new InputError(
          `${file}:${line}: refused: the document expands too many YAML aliases (limit ${options.maxAliasCount ?? defaultMaxAliasCount}); this looks like an alias bomb.`,
        );
      }
      throw new InputError(`${file}:${line}: cannot read the document: ${firstLine(message)}.`);
    }
    const object = asKubeObject(value, file, line, true);
    if (object.kind === "List" && Array.isArray((value as { items?: unknown }).items)) {
      const itemsNode = isMap(root) ? root.get("items", true) : undefined;
      const items = (value as { items: unknown[] }).items;
      items.forEach((item, index) => {
        const itemNode = isSeq(itemsNode) ? (itemsNode.items[index] as Node | undefined) : undefined;
        const itemLine = itemNode ? lineOfNode(itemNode, lineCounter) : line;
        const itemObject = asKubeObject(item, file, itemLine, false);
        objects.push(sourced(itemObject, file, itemLine, itemNode ?? null, doc, lineCounter));
      });
      continue;
    }
    objects.push(sourced(requireName(object, file, line), file, line, root, doc, lineCounter));
  }
  return objects;
}

function sourced(
  object: KubeObject,
  file: string,
  line: number,
  node: Node | null,
  doc: Document.Parsed,
  lineCounter: LineCounter,
): SourcedObject {
  return {
    object,
    file,
    line,
    lineOf: (path) => (node ? fieldLine(node, path, doc, lineCounter) : undefined),
  };
}

function asKubeObject(value: unknown, file: string, line: number, allowList: boolean): KubeObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const actual = Array.isArray(value)
      ? "a list"
      : `a ${typeof value === "string" ? "string" : String(typeof value)}`;
    throw new InputError(
      `${file}:${line}: expected a Kubernetes object (a mapping with \`kind\`), found ${actual}.`,
    );
  }
  const object = value as Record<string, unknown>;
  if (typeof object.kind !== "string" || object.kind === "") {
    throw new InputError(
      `${file}:${line}: expected a Kubernetes object with a \`kind\`; this mapping has none.`,
    );
  }
  if (!allowList) requireName(object as KubeObject, file, line);
  return object as KubeObject;
}

function requireName(object: KubeObject, file: string, line: number): KubeObject {
  const metadata = object.metadata as unknown;
  if (
    typeof metadata !== "object" ||
    metadata === null ||
    typeof (metadata as { name?: unknown }).name !== "string"
  ) {
    throw new InputError(
      `${file}:${line}: ${object.kind} has no \`metadata.name\`; expected every object to be named.`,
    );
  }
  return object;
}

function lineOfNode(node: Node, lineCounter: LineCounter): number {
  return node.range ? lineCounter.linePos(node.range[0]).line : 1;
}

/** Line of the last path segment's key (maps) or item (sequences), following aliases. */
function fieldLine(
  root: Node,
  path: ReadonlyArray<string | number>,
  doc: Document.Parsed,
  lineCounter: LineCounter,
): number | undefined {
  let node: unknown = root;
  let at: Node = root;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const key = String(segment);
      const items = node.items;
      let found: (typeof items)[number] | undefined;
      for (let i = 0; i < items.length; i++) {
        const itemKey = items[i].key;
        if (isScalar(itemKey) && String(itemKey.value) === key) {
          found = items[i];
          break;
        }
      }
      if (!found) return undefined;
      at = found.key as Node;
      node = found.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return undefined;
      at = item;
      node = item;
    } else {
      return undefined;
    }
  }
  return lineOfNode(at, lineCounter);
}

async function expandPath(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  if (info.isFile()) return [path];
  if (!info.isDirectory())
    throw new InputError(`${path}: not a file or directory; expected a manifest path.`);
  const files: string[] = [];
  await walk(path, files);
  files.sort();
  return files;
}

async function walk(directory: string, files: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    throw unreadable(directory, error);
  }
  for (const entry of entries) {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) await walk(full, files);
    else if (entry.isFile() && manifestExtensions.has(extname(entry.name).toLowerCase())) files.push(full);
  }
}

async function readManifestFile(file: string, maxBytes: number): Promise<string> {
  try {
    const info = await stat(file);
    if (info.size > maxBytes) throw tooLarge(file, maxBytes);
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw unreadable(file, error);
  }
}

async function readStdin(stdin: NodeJS.ReadableStream | string, maxBytes: number): Promise<string> {
  if (typeof stdin === "string") return stdin;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge(stdinName, maxBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(file: string, maxBytes: number): InputError {
  return new InputError(`${file}: refused: larger than the limit of ${formatBytes(maxBytes)} per input.`);
}

function unreadable(path: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ENOENT"
      ? "no such file or directory"
      : code === "EACCES"
        ? "permission denied"
        : (code ?? "unreadable");
  return new InputError(`${path}: cannot read (${reason}); expected a readable file, directory or \`-\`.`, {
    cause: error,
  });
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/\.$/, "");
}
