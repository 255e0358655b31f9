/**
 * The generated part of docs/baseline.md: one section per rule, rendered from the registry
 * in shared/drift/rules/, so that the document cannot drift from the code. `npm run docs` rewrites it;
 * test/repo/rulesDoc.test.ts fails when it is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rules } from "../../shared/drift/rules/index.js";
import type { Rule } from "../../shared/drift/types.js";

export const beginMarker =
  "<!-- rules:begin (generated from shared/drift/rules/ by `npm run docs`; do not edit) -->";
export const endMarker = "<!-- rules:end -->";

/** The file the generated part lives in. */
export const baselineDoc = fileURLToPath(new URL("../../docs/baseline.md", import.meta.url));

/** The source labels of a rule, without their details: `prod (issue #83 …)` gives `prod`. */
export function sourceLabels(rule: Rule): string[] {
  return rule.source.split(",").map((label) => label.replace(/\(.*\)/, "").trim());
}

function thresholds(rule: Rule): string {
  const entries = Object.entries(rule.defaults ?? {});
  if (entries.length === 0) return "none";
  return entries.map(([key, value]) => `\`${key}: ${JSON.stringify(value)}\``).join(", ");
}

function section(rule: Rule): string {
  const lines = [
    `### \`${rule.id}\`: ${rule.title}`,
    "",
    `- Default severity: **${rule.severity}**${rule.id === "replicas" ? " (a warning between the two floors)" : ""}`,
    `- Source: ${rule.source}`,
    `- Thresholds (\`rules.${rule.id}\` in a baseline file): ${thresholds(rule)}`,
  ];
  if (rule.live) lines.push("- Live checks only: on a manifest it reports `unknown`.");
  lines.push("", rule.rationale, "", "Fix:", "", "```yaml", rule.remediation.replace(/\n+$/, ""), "```");
  return lines.join("\n");
}

/** The anchor GitHub gives a rule's section heading. */
export function ruleAnchor(rule: Rule): string {
  return slug(`${rule.id}: ${rule.title}`);
}

/** The generated markdown, markers included: one section per rule, in the registry's order. */
export function renderRules(list: readonly Rule[] = rules): string {
  return [beginMarker, "", list.map(section).join("\n\n"), "", endMarker].join("\n");
}

/** GitHub's heading anchor for a title. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .trim()
    .replace(/\s/g, "-");
}

/** The document's current generated part, markers included, or undefined when the markers are missing. */
export function generatedPart(document: string): string | undefined {
  const begin = document.indexOf(beginMarker);
  const end = document.indexOf(endMarker);
  if (begin < 0 || end < begin) return undefined;
  return document.slice(begin, end + endMarker.length);
}

/** Rewrites the generated part of docs/baseline.md from the registry. */
export function writeRulesDoc(path = baselineDoc): void {
  const document = readFileSync(path, "utf8");
  const current = generatedPart(document);
  if (current === undefined)
    throw new Error(`${path}: the markers ${beginMarker} and ${endMarker} are missing`);
  writeFileSync(
    path,
    document.replace(current, () => renderRules()),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === join(process.argv[1])) {
  writeRulesDoc();
  process.stdout.write(`rewrote the rule reference in ${baselineDoc}\n`);
}
