/**
 * `gateway-guard rules` lists the rules; `gateway-guard rules ID` explains one, with the YAML that fixes it.
 */
import { InputError } from "../../errors.js";
import { annotationRules, type RuleInfo } from "../../drift/exemptions.js";
import { findRule, rules } from "../../drift/rules/index.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO } from "../io.js";

export const help = `Usage: gateway-guard rules [ID]

Without ID, lists every rule of the production baseline with its default severity.
With ID, explains the rule: what it checks, why (with the source), its thresholds and the YAML that fixes it.
exemption-reason and exemption-unknown-rule are findings about the gateway-guard.io/exempt annotation itself.

Options:
  -h, --help   Show this help
`;

/**
 * Runs `rules`.
 * @throws InputError for an unknown rule id or extra arguments
 */
export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("rules", args, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  if (positionals.length > 1) {
    throw new InputError(
      `expected at most one rule id, got ${positionals.length}. Run \`gateway-guard rules --help\`.`,
    );
  }
  if (positionals.length === 0) {
    io.stdout.write(listRules([...rules, ...annotationRules]));
    return 0;
  }
  const rule = findRule(positionals[0]) ?? annotationRules.find((info) => info.id === positionals[0]);
  if (!rule) {
    throw new InputError(`unknown rule "${positionals[0]}". Run \`gateway-guard rules\` for the list.`);
  }
  io.stdout.write(explainRule(rule));
  return 0;
}

/** What the source labels stand for (docs/baseline.md). */
export const sourceLabels: Readonly<Record<string, string>> = {
  seed: 'the 2020 article "Deploy a self-hosted gateway to Kubernetes" (production considerations)',
  prod: 'Microsoft\'s current page "Self-hosted gateway on Kubernetes in production"',
  portal: "the YAML the Azure portal generates for a gateway",
  helm: "the official Helm chart's values.yaml",
  settings: "the self-hosted gateway settings reference (ConfigMap keys)",
};

/** The rule list: id, default severity, title and source, one line each, then what the sources mean. */
function listRules(list: readonly RuleInfo[]): string {
  const idWidth = Math.max(2, ...list.map((rule) => rule.id.length));
  const lines = [`${"ID".padEnd(idWidth)}  SEVERITY  TITLE [SOURCE]`];
  for (const rule of list) {
    lines.push(
      `${rule.id.padEnd(idWidth)}  ${rule.severity.padEnd(8)}  ${rule.title} [${rule.source}]${rule.live ? " (live checks only)" : ""}`,
    );
  }
  lines.push("", "Sources:");
  for (const [label, meaning] of Object.entries(sourceLabels)) lines.push(`  ${label.padEnd(8)}  ${meaning}`);
  lines.push("", "Run `gateway-guard rules <id>` for why a rule matters and the YAML that fixes it.");
  return `${lines.join("\n")}\n`;
}

/** One rule explained: title, severity, rationale, source, thresholds and remediation. */
function explainRule(rule: RuleInfo): string {
  const lines = [`${rule.id}: ${rule.title}`, "", `Default severity: ${rule.severity}`];
  if (rule.live) lines.push("Live checks only: a manifest alone reports `unknown`.");
  lines.push(`Source: ${rule.source}`, "", "Why:", indent(rule.rationale));
  const defaults = Object.entries(rule.defaults ?? {});
  if (defaults.length > 0) {
    lines.push("", `Thresholds (a baseline file may change them under rules.${rule.id}):`);
    for (const [key, value] of defaults) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  }
  lines.push("", "Remediation:", indent(rule.remediation.replace(/\n+$/, "")));
  return `${lines.join("\n")}\n`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
}
