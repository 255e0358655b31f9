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
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import { InputError } from "../errors.js";
import { displayValue } from "../gateway/values.js";
import { findJsonSyntaxError } from "./jsonSyntax.js";
import type { KubeObject, SourcedObject } from "./types.js";

/** Deepest nesting of `[` and `{` accepted; manifests nest a few dozen levels, and deeper input parses slowly. */
export const maxFlowDepth = 500;

/** Largest input accepted per file (and for stdin), in bytes. */
export const defaultMaxBytes = 5 * 1024 * 1024;

/** Most alias expansions a document may make before it is refused as an alias bomb. */
export const defaultMaxAliasCount = 100;

/** The name used for standard input in findings and messages. */
export const stdinName = "<stdin>";

const manifestExtensions = new Set([".yaml", ".yml", ".json"]);

/** A document that a directory walk left out because it is not a Kubernetes object (e.g. a Kustomization). */
export interface SkippedDocument {
  file: string;
  /** 1-based line of the document's start. */
  line: number;
  /** Why it was left out, e.g. "Kustomization has no `metadata.name`". */
  reason: string;
}

export interface LoadOptions {
  /** What `-` reads: a stream or the text itself (tests). Defaults to `process.stdin`. */
  stdin?: NodeJS.ReadableStream | string;
  /** Size limit per input in bytes (default {@link defaultMaxBytes}). */
  maxBytes?: number;
  /** Alias limit per document (default {@link defaultMaxAliasCount}). */
  maxAliasCount?: number;
  /** Told about each document skipped below a directory (files named explicitly are never skipped). */
  onSkip?: (skipped: SkippedDocument) => void;
}

export interface ParseOptions {
  maxBytes?: number;
  maxAliasCount?: number;
  /**
   * When given, documents that are not Kubernetes objects (not a mapping, no `kind`, or a `kind` without
   * `metadata.name`) are skipped and reported here instead of refused.
   */
  onSkip?: (skipped: SkippedDocument) => void;
}

/**
 * Load every object from the given paths, in order: files, directories (every `.yaml`, `.yml`, `.json` below,
 * sorted by path, leaving out dot-directories and `node_modules`) and `-` for standard input.
 * Below a directory, documents that are not Kubernetes objects are skipped and reported to `options.onSkip`;
 * files named explicitly and stdin are strict.
 * @throws InputError for unreadable paths, oversized or malformed input, or when nothing at all was found.
 */
export async function loadInputs(paths: string[], options: LoadOptions = {}): Promise<SourcedObject[]> {
  if (paths.length === 0)
    throw new InputError("No input given: expected a file, a directory or `-` for stdin.");
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  const strict: ParseOptions = { maxBytes, maxAliasCount: options.maxAliasCount };
  const lenient: ParseOptions = { ...strict, onSkip: options.onSkip ?? (() => undefined) };
  const objects: SourcedObject[] = [];
  for (const path of paths) {
    if (path === "-") {
      const text = await readStdin(options.stdin ?? process.stdin, maxBytes);
      objects.push(...parseManifest(text, stdinName, strict));
      continue;
    }
    const { files, walked } = await expandPath(path);
    for (const file of files) {
      const text = await readManifestFile(file, maxBytes);
      objects.push(...parseManifest(text, file, walked ? lenient : strict));
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
 * `.json` files, and stdin text starting with `{` or `[`, are read as strict JSON; lines come from the YAML
 * parser either way. Empty and comment-only documents are skipped; `kind: List` is flattened.
 * @throws InputError naming `file:line` for malformed input, non-object documents, objects without `kind`
 *   or `metadata.name` (unless `options.onSkip` is given) and `metadata` fields of the wrong type.
 */
export function parseManifest(text: string, file: string, options: ParseOptions = {}): SourcedObject[] {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  if (Buffer.byteLength(text, "utf8") > maxBytes) throw tooLarge(file, maxBytes);
  const tooDeep = tooDeeplyNested(text);
  if (tooDeep !== undefined) {
    throw new InputError(
      `${file}:${lineAndColumn(text, tooDeep).line}: refused: brackets nested more than ${maxFlowDepth} levels deep (expected a Kubernetes manifest).`,
    );
  }
  const lineCounter = new LineCounter();
  const objects: SourcedObject[] = [];
  if (isJson(text, file)) {
    if (text.trim() === "") return objects;
    const value = parseJson(text, file);
    if (value === null) return objects;
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    const root = doc.errors.length === 0 ? (doc.contents as Node | null) : null;
    collect(value, { file, root, doc, lineCounter, text, options }, objects);
    return objects;
  }
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = lineCounter.linePos(error.pos[0]).line;
      const reason = /call stack/i.test(error.message) ? "nested too deeply" : firstLine(error.message);
      throw new InputError(`${file}:${line}: malformed YAML: ${reason} (expected valid YAML).`);
    }
    const root = doc.contents as Node | null;
    const duplicate = root ? firstDuplicateKey(root) : undefined;
    if (duplicate) {
      throw new InputError(
        `${file}:${lineOfNode(duplicate.node, lineCounter)}: malformed YAML: the key "${duplicate.key.slice(0, 80)}" appears twice in one mapping (expected each key once).`,
      );
    }
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
    collect(value, { file, root, doc, lineCounter, text, options }, objects);
  }
  return objects;
}

/**
 * The first key that a mapping holds twice, found in one pass with a set per mapping. (The YAML library's own
 * check compares keys pairwise: 20,000 keys in one ConfigMap took seconds.)
 */
function firstDuplicateKey(root: Node): { key: string; node: Node } | undefined {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          if (seen.has(key)) return { key, node: pair.key };
          seen.add(key);
        }
        pending.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) pending.push(item);
    }
  }
  return undefined;
}

interface DocumentContext {
  file: string;
  /** The document's root node, or null when positions are unavailable. */
  root: Node | null;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The whole input, for fields' source text. */
  text: string;
  options: ParseOptions;
}

/** Adds the object(s) of one document: itself, or the items of a `kind: List`; skips or refuses non-objects. */
function collect(value: unknown, context: DocumentContext, objects: SourcedObject[]): void {
  const { file, root, doc, lineCounter, options } = context;
  const line = root ? lineOfNode(root, lineCounter) : 1;
  const problem = notAnObject(value);
  if (problem) {
    if (options.onSkip) return options.onSkip({ file, line, reason: problem.skip });
    throw new InputError(`${file}:${line}: ${problem.refuse}`);
  }
  const object = value as KubeObject;
  if (object.kind === "List") {
    const items = (value as { items?: unknown }).items;
    if (!Array.isArray(items)) {
      const itemsField = root ? findField(root, ["items"], doc) : undefined;
      const itemsLine = itemsField ? lineOfNode(itemsField.at, lineCounter) : line;
      throw new InputError(
        `${file}:${itemsLine}: List: expected \`items\` to be a list, found ${describe(items)}.`,
      );
    }
    const itemsNode = isMap(root) ? root.get("items", true) : undefined;
    items.forEach((item, index) => {
      const itemNode = isSeq(itemsNode) ? (itemsNode.items[index] as Node | undefined) : undefined;
      const itemLine = itemNode ? lineOfNode(itemNode, lineCounter) : line;
      const itemProblem = notAnObject(item);
      if (itemProblem) throw new InputError(`${file}:${itemLine}: ${itemProblem.refuse}`);
      const itemObject = item as KubeObject;
      const source = sourced(itemObject, file, itemLine, itemNode ?? null, context);
      checkMetadata(source, false);
      objects.push(source);
    });
    return;
  }
  const source = sourced(object, file, line, root, context);
  const missing = checkMetadata(source, options.onSkip !== undefined);
  if (missing) return options.onSkip?.({ file, line, reason: missing });
  objects.push(source);
}

/** Why a value is not a Kubernetes object (a mapping with a `kind`): for a refusal and for a skip note. */
function notAnObject(value: unknown): { refuse: string; skip: string } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const found = describe(value);
    return {
      refuse: `expected a Kubernetes object (a mapping with \`kind\`), found ${found}.`,
      skip: `not a Kubernetes object (found ${found})`,
    };
  }
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== "string" || kind === "") {
    return {
      refuse: "expected a Kubernetes object with a `kind`; this mapping has none.",
      skip: "not a Kubernetes object (no `kind`)",
    };
  }
  return undefined;
}

/**
 * Checks `metadata`: a mapping with a string `name` and, if set, a string `namespace`.
 * @param mayBeUnnamed - return a skip reason for an object without `metadata.name` instead of refusing it.
 * @returns the skip reason for an unnamed object (only when `mayBeUnnamed`), else undefined.
 * @throws InputError at the field's line for a missing name or a field of the wrong type.
 */
function checkMetadata(source: SourcedObject, mayBeUnnamed: boolean): string | undefined {
  const { object, file } = source;
  const at = (path: string[]) => `${file}:${source.lineOf(path) ?? source.line}`;
  const metadata = object.metadata as unknown;
  if (
    metadata !== undefined &&
    metadata !== null &&
    (typeof metadata !== "object" || Array.isArray(metadata))
  ) {
    throw new InputError(
      `${at(["metadata"])}: ${object.kind}: expected \`metadata\` to be a mapping, found ${describe(metadata)}.`,
    );
  }
  const name = (metadata as { name?: unknown } | null | undefined)?.name;
  if (name === undefined || name === null) {
    if (mayBeUnnamed) return `${object.kind} has no \`metadata.name\`, so it is not an object to check`;
    throw new InputError(
      `${at(["metadata"])}: ${object.kind} has no \`metadata.name\`; expected every object to be named.`,
    );
  }
  for (const field of ["name", "namespace"]) {
    const value = (metadata as Record<string, unknown>)[field];
    if (value !== undefined && (field === "name" || value !== null) && typeof value !== "string") {
      throw new InputError(
        `${at(["metadata", field])}: ${object.kind}: expected \`metadata.${field}\` to be a string, found ${describe(value)}${typeof value === "number" || typeof value === "boolean" ? ` (${displayValue(value)})` : ""}.`,
      );
    }
  }
  for (const path of stringMapPaths) checkStringMap(source, path);
  return undefined;
}

/** Mappings Kubernetes holds as strings; a mapping or list in them is refused (checks print these values). */
const stringMapPaths = [
  ["metadata", "labels"],
  ["metadata", "annotations"],
  ["spec", "template", "metadata", "labels"],
  ["spec", "template", "metadata", "annotations"],
];

function checkStringMap(source: SourcedObject, path: string[]): void {
  let map: unknown = source.object;
  for (const key of path) map = isPlainObject(map) ? map[key] : undefined;
  if (map === undefined || map === null) return;
  const at = (fieldPath: string[]) => `${source.file}:${source.lineOf(fieldPath) ?? source.line}`;
  const kind = source.object.kind;
  if (!isPlainObject(map)) {
    throw new InputError(
      `${at(path)}: ${kind}: expected \`${path.join(".")}\` to be a mapping of strings, found ${describe(map)}.`,
    );
  }
  for (const [key, value] of Object.entries(map)) {
    if (value !== null && typeof value === "object") {
      throw new InputError(
        `${at([...path, key])}: ${kind}: expected \`${path.join(".")}\` "${key.slice(0, 80)}" to be a string, found ${describe(value)}.`,
      );
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a list`, `a string`, `a number`, `null`, `nothing` for messages. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** `.json` files, and stdin whose first non-blank character is `{` or `[` (as `kubectl get -o json` prints). */
function isJson(text: string, file: string): boolean {
  if (file === stdinName) return /^[\s\uFEFF]*[{[]/.test(text);
  return extname(file).toLowerCase() === ".json";
}

/** JSON.parse with the error turned into `file:line` and column, found by {@link findJsonSyntaxError}. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, " ")) as unknown;
  } catch (error) {
    const found = findJsonSyntaxError(text);
    const offset = Math.min(found?.offset ?? Infinity, text.trimEnd().length);
    const reason = found?.reason ?? firstLine(error instanceof Error ? error.message : "unreadable");
    const { line, column } = lineAndColumn(text, offset);
    throw new InputError(
      `${file}:${line}: malformed JSON: ${reason} at column ${column} (expected valid JSON).`,
    );
  }
}

/**
 * The offset where `[`/`{` nesting (outside quoted strings and comments) first passes {@link maxFlowDepth},
 * found in one pass; undefined when it never does.
 */
function tooDeeplyNested(text: string): number | undefined {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== "") {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
    } else if (c === "[" || c === "{") {
      if (++depth > maxFlowDepth) return i;
    } else if (c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
    } else if ((c === '"' || c === "'") && /[\s[{,:]/.test(text[i - 1] ?? " ")) {
      quote = c;
    } else if (c === "#" && /\s/.test(text[i - 1] ?? " ")) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    }
  }
  return undefined;
}

/** Line and column (1-based) of an offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function sourced(
  object: KubeObject,
  file: string,
  line: number,
  node: Node | null,
  context: Pick<DocumentContext, "doc" | "lineCounter" | "text">,
): SourcedObject {
  const { doc, lineCounter, text } = context;
  return {
    object,
    file,
    line,
    lineOf: (path) => {
      const field = node ? findField(node, path, doc) : undefined;
      return field ? lineOfNode(field.at, lineCounter) : undefined;
    },
    textOf: (path) => {
      const range = (node ? findField(node, path, doc) : undefined)?.value?.range;
      return range ? text.slice(range[0], range[1]) : undefined;
    },
  };
}

function lineOfNode(node: Node, lineCounter: LineCounter): number {
  return node.range ? lineCounter.linePos(node.range[0]).line : 1;
}

/**
 * A field's nodes, following aliases: `at` is the last segment's key (maps) or item (sequences), `value`
 * the node it holds.
 */
function findField(
  root: Node,
  path: ReadonlyArray<string | number>,
  doc: Document.Parsed,
): { at: Node; value: Node | undefined } | undefined {
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
  return { at, value: (isAlias(node) ? node.resolve(doc) : node) as Node | undefined };
}

/** Directories a walk never enters: dot-directories (`.git`, `.github`, ...) and these. */
const skippedDirectories = new Set(["node_modules"]);

/** The manifest files of a path: itself, or (`walked`) every manifest below a directory, sorted by path. */
async function expandPath(path: string): Promise<{ files: string[]; walked: boolean }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  if (info.isFile()) return { files: [path], walked: false };
  if (!info.isDirectory())
    throw new InputError(`${path}: not a file or directory; expected a manifest path.`);
  const files: string[] = [];
  await walk(path, files);
  files.sort();
  return { files, walked: true };
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
    if (entry.isDirectory()) {
      if (!entry.name.startsWith(".") && !skippedDirectories.has(entry.name)) await walk(full, files);
    } else if (entry.isFile() && manifestExtensions.has(extname(entry.name).toLowerCase())) files.push(full);
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

/**
 * Reads standard input whole, refusing more than `maxBytes`.
 * @param stdin - a stream, or the text itself (tests).
 * @throws InputError when it is larger than the limit.
 */
export async function readStdin(
  stdin: NodeJS.ReadableStream | string,
  maxBytes = defaultMaxBytes,
): Promise<string> {
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
