/**
 * The baseline file (YAML or JSON): per-rule switches, severities and thresholds, exemptions, strict mode.
 */
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { z } from "zod";
import { InputError } from "../errors.js";
import { displayValue } from "../gateway/values.js";
import { defaultMaxAliasCount, defaultMaxBytes } from "./load.js";
import { thresholdsOf, type Baseline, type RuleOverride } from "./baselineTypes.js";
import { annotationRules } from "./exemptions.js";
import { rules as registry } from "./rules/index.js";
import type { Rule } from "./types.js";

export {
  defaultBaseline,
  thresholdsOf,
  type Baseline,
  type BaselineExemption,
  type RuleOverride,
} from "./baselineTypes.js";

/** The ids of the rule registry, plus the findings about exemption annotations (`exemption-reason`, ...). */
export const knownRuleIds: readonly string[] = Object.freeze(
  [...registry, ...annotationRules].map((rule) => rule.id),
);

export interface BaselineOptions {
  /** Rules to validate ids and thresholds against; without them only ids are checked, against {@link knownRuleIds}. */
  rules?: readonly Rule[];
  maxBytes?: number;
}

const severitySchema = z.enum(["error", "warning", "info"]);

const ruleOverrideSchema = z.looseObject({
  enabled: z.boolean().optional(),
  severity: severitySchema.optional(),
});

const exemptionSchema = z.strictObject({
  rule: z.string().min(1),
  namespace: z.string().min(1).optional(),
  deployment: z.string().min(1).optional(),
  reason: z.string().trim().min(1, "a reason is required"),
});

const baselineSchema = z.strictObject({
  rules: z.record(z.string(), ruleOverrideSchema).optional(),
  exemptions: z.array(exemptionSchema).optional(),
  strict: z.boolean().optional(),
});

/**
 * Read and validate a baseline file.
 * @throws InputError listing every problem with its path (and line), for unreadable, malformed or invalid files.
 */
export async function loadBaseline(path: string, options: BaselineOptions = {}): Promise<Baseline> {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${path}: not a file; expected a baseline file (YAML or JSON).`);
    if (info.size > maxBytes)
      throw new InputError(`${path}: refused: larger than the limit of ${maxBytes} bytes.`);
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(
      `${path}: cannot read the baseline file (${code}); expected a readable YAML or JSON file.`,
      {
        cause: error,
      },
    );
  }
  return parseBaseline(text, path, options);
}

/** Validate baseline text (YAML or JSON) held in memory; `name` is used in messages. */
export function parseBaseline(text: string, name: string, options: BaselineOptions = {}): Baseline {
  const format = extname(name).toLowerCase() === ".json" ? "JSON" : "YAML";
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const parseError = doc.errors[0];
  if (parseError) {
    const line = lineCounter.linePos(parseError.pos[0]).line;
    throw new InputError(
      `${name}:${line}: malformed ${format}: ${parseError.message.split("\n")[0]} (expected a baseline file in ${format}).`,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: defaultMaxAliasCount });
  } catch {
    throw new InputError(`${name}: refused: too many YAML aliases (limit ${defaultMaxAliasCount}).`);
  }
  if (value === null || value === undefined) value = {};
  const problems: string[] = [];
  const problem = (path: ReadonlyArray<PropertyKey>, message: string): string => {
    const line = lineOfPath(doc.contents as Node | null, path, lineCounter);
    return `${pathText(path)}: ${message}${line === undefined ? "" : ` (line ${line})`}`;
  };
  const parsed = baselineSchema.safeParse(value, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(problem(issue.path, issue.message));
  }
  const raw = (typeof value === "object" && value !== null ? value : {}) as {
    rules?: unknown;
    exemptions?: unknown;
  };
  const byId = options.rules ? new Map(options.rules.map((rule) => [rule.id, rule])) : undefined;
  const known = new Set(byId ? [...byId.keys(), ...annotationRules.map((rule) => rule.id)] : knownRuleIds);
  if (typeof raw.rules === "object" && raw.rules !== null && !Array.isArray(raw.rules)) {
    for (const [id, override] of Object.entries(raw.rules)) {
      if (!known.has(id)) {
        problems.push(
          problem(["rules", id], `unknown rule id "${id}" (expected one of: ${[...known].join(", ")})`),
        );
        continue;
      }
      const rule = byId?.get(id);
      if (rule && typeof override === "object" && override !== null) {
        problems.push(
          ...thresholdProblems(rule, override as RuleOverride).map((p) =>
            problem(["rules", id, p.key], p.message),
          ),
        );
      }
    }
  }
  if (Array.isArray(raw.exemptions)) {
    raw.exemptions.forEach((exemption: unknown, index) => {
      const rule = (exemption as { rule?: unknown } | null)?.rule;
      if (typeof rule === "string" && rule !== "" && !known.has(rule)) {
        problems.push(problem(["exemptions", index, "rule"], `unknown rule id "${rule}"`));
      }
    });
  }
  if (problems.length > 0 || !parsed.success) throw invalid(name, problems);
  const baseline: Baseline = {
    rules: (parsed.data.rules ?? {}) as Record<string, RuleOverride>,
    exemptions: parsed.data.exemptions ?? [],
    strict: parsed.data.strict ?? false,
  };
  if (problems.length > 0) throw invalid(name, problems);
  return baseline;
}

function thresholdProblems(rule: Rule, override: RuleOverride): Array<{ key: string; message: string }> {
  const defaults = rule.defaults ?? {};
  const problems: Array<{ key: string; message: string }> = [];
  for (const [key, value] of Object.entries(thresholdsOf(override))) {
    if (!Object.hasOwn(defaults, key)) {
      const allowed = Object.keys(defaults);
      problems.push({
        key,
        message: `unknown setting for rule "${rule.id}" (expected ${allowed.length > 0 ? allowed.join(", ") + ", " : ""}enabled or severity)`,
      });
      continue;
    }
    const problem = rule.thresholdProblem
      ? rule.thresholdProblem(key, value)
      : valueProblem(defaults[key], value);
    if (problem !== undefined) problems.push({ key, message: problem });
  }
  return problems;
}

/** A threshold must have its default's type; numbers finite and not negative, lists of the default's item type. */
function valueProblem(fallback: unknown, value: unknown): string | undefined {
  const expected = kindOf(fallback);
  const got = JSON.stringify(value) ?? "nothing";
  if (expected !== "other" && kindOf(value) !== expected) return `expected a ${expected}, got ${got}`;
  if (typeof value === "number" && !(Number.isFinite(value) && value >= 0)) {
    return `expected a number of 0 or more, got ${displayValue(value)}`;
  }
  if (Array.isArray(value) && Array.isArray(fallback) && fallback.length > 0) {
    const itemKind = kindOf(fallback[0]);
    const bad = value.find((item) => kindOf(item) !== itemKind);
    if (bad !== undefined)
      return `expected a list of ${itemKind}s, got ${JSON.stringify(bad) ?? "nothing"} in it`;
  }
  return undefined;
}

function kindOf(value: unknown): "number" | "string" | "boolean" | "list" | "other" {
  if (Array.isArray(value)) return "list";
  const type = typeof value;
  return type === "number" || type === "string" || type === "boolean" ? type : "other";
}

/** Every problem on its own line, as the configuration's errors are listed. */
function invalid(name: string, problems: string[]): InputError {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return new InputError(
    `invalid baseline in ${name} (${count}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
  );
}

/** `rules.replicas.severity`, `exemptions[0].reason`, or `(top level)`. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : `${index > 0 ? "." : ""}${String(segment)}`,
    )
    .join("");
}

function lineOfPath(
  root: Node | null,
  path: ReadonlyArray<PropertyKey>,
  lineCounter: LineCounter,
): number | undefined {
  let node: unknown = root;
  let line: number | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return line;
      const range = (pair.key as Node).range;
      if (range) line = lineCounter.linePos(range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item?.range) return line;
      line = lineCounter.linePos(item.range[0]).line;
      node = item;
    } else {
      return line;
    }
  }
  return line;
}
