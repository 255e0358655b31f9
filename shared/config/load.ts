/**
 * Where the configuration comes from: a YAML or JSON file, or an app setting holding the JSON.
 * The caller passes the settings; this module never reads `process.env`.
 */
import { readFile } from "node:fs/promises";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import { InputError, NotFoundError } from "../errors.js";
import { parseConfig } from "./schema.js";
import type { GatewayConfig, GuardConfig } from "./types.js";

/** The app settings (environment variables) that can name the configuration. */
export interface ConfigSettings {
  /** The configuration itself, as JSON (YAML is accepted too). */
  GATEWAY_GUARD_CONFIG?: string;
  /** A path to a YAML or JSON configuration file. */
  GATEWAY_GUARD_CONFIG_FILE?: string;
}

/**
 * Reads and validates a configuration file (YAML or JSON).
 * @param path - the file
 * @throws InputError when the file cannot be read, is not YAML/JSON, or is not a valid configuration
 *   (every problem listed with its path and line)
 */
export async function loadConfigFile(path: string): Promise<GuardConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? "unreadable");
    throw new InputError(`cannot read configuration file ${path}: ${why}`, { cause: error });
  }
  return parseConfigText(text, path);
}

/**
 * Validates configuration text (YAML or JSON).
 * @param text - the document
 * @param source - where it came from, for messages
 */
export function parseConfigText(text: string, source: string): GuardConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `  line ${pos.line}, column ${pos.col}: ${e.message.split("\n")[0]}`;
    });
    throw new InputError(`${source} is not valid YAML or JSON:\n${lines.join("\n")}`);
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new InputError(`${source} is empty: expected a configuration with a "gateways" list`);
  }
  return parseConfig(raw, source, { lineOf: lineOf(doc, lineCounter) });
}

/**
 * The 1-based line of a path in a parsed YAML document, or of its nearest ancestor that has one.
 * @param doc - the document, parsed with `lineCounter`
 */
export function lineOf(
  doc: Document,
  lineCounter: LineCounter,
): (path: ReadonlyArray<string | number>) => number | undefined {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/**
 * The configuration named by app settings: `GATEWAY_GUARD_CONFIG` (the JSON itself) or
 * `GATEWAY_GUARD_CONFIG_FILE` (a path); the inline JSON wins when both are set.
 * @param settings - the settings (the edge passes `process.env`)
 * @throws InputError when neither is set, or the configuration is invalid; its `setting` names the
 *   app setting to fix
 */
export async function loadConfigFromSettings(settings: ConfigSettings): Promise<GuardConfig> {
  const inline = settings.GATEWAY_GUARD_CONFIG?.trim();
  const file = settings.GATEWAY_GUARD_CONFIG_FILE?.trim();
  try {
    if (inline) return parseConfigText(inline, "GATEWAY_GUARD_CONFIG");
    if (file) return await loadConfigFile(file);
  } catch (error) {
    throw Object.assign(error as Error, {
      setting: inline ? "GATEWAY_GUARD_CONFIG" : "GATEWAY_GUARD_CONFIG_FILE",
    });
  }
  throw Object.assign(
    new InputError(
      "no configuration: set GATEWAY_GUARD_CONFIG (the JSON) or GATEWAY_GUARD_CONFIG_FILE (a YAML or JSON file)",
    ),
    { setting: "GATEWAY_GUARD_CONFIG" },
  );
}

/**
 * A configured gateway by name.
 * @throws NotFoundError naming the configured gateways when there is none by that name
 */
export function findGateway(config: GuardConfig, name: string): GatewayConfig {
  const gateway = config.gateways.find((g) => g.name === name);
  if (gateway) return gateway;
  const known = config.gateways.map((g) => g.name).join(", ");
  throw new NotFoundError(`gateway "${name}" is not configured (configured: ${known || "none"})`);
}
