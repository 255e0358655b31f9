/**
 * The `sarif` format: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps). Failing findings become results
 * with file and line; exempt findings become suppressed results; passing and unknown ones are left out.
 */
import { createHash } from "node:crypto";
import { isAbsolute, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { stdinName } from "../load.js";
import type { CheckResult, Finding, Rule, Severity } from "../types.js";
import { fence, type FormatOptions } from "./common.js";

/** Where the SARIF schema lives (what `$schema` points at). */
export const sarifSchemaUri =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/** Used for `informationUri` when the caller gives none: the guidance the baseline comes from. */
export const defaultInformationUri =
  "https://learn.microsoft.com/azure/api-management/how-to-self-hosted-gateway-on-kubernetes-in-production";

export type SarifLevel = "error" | "warning" | "note";

/** A SARIF `reportingDescriptor` for one rule. */
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; source: string; live?: boolean };
}

/** Maps a finding severity to a SARIF level. */
export function sarifLevel(severity: Severity): SarifLevel {
  return severity === "info" ? "note" : severity;
}

/**
 * Turns rules into SARIF rule metadata (`tool.driver.rules`).
 * @param rules - the rule registry (or any subset)
 */
export function sarifRules(rules: readonly Rule[]): SarifRule[] {
  return rules.map((rule) => ({
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: `${rule.rationale} (source: ${rule.source})` },
    help: { text: rule.remediation, markdown: `${rule.title}\n\n${fence(rule.remediation, "yaml")}` },
    defaultConfiguration: { level: sarifLevel(rule.severity) },
    properties: {
      tags: ["kubernetes", "api-management", "self-hosted-gateway"],
      source: rule.source,
      ...(rule.live ? { live: true } : {}),
    },
  }));
}

/**
 * Formats a check result as a SARIF 2.1.0 log with one run.
 * @param options - `rules` for rule metadata (rules only seen in findings are described from them),
 *   `toolVersion`, `informationUri`, `baseDirectory` that file paths are made relative to
 * @returns the JSON text, ending with a newline
 */
export function formatSarif(result: CheckResult, options: FormatOptions = {}): string {
  const descriptors = sarifRules(options.rules ?? []);
  const index = new Map(descriptors.map((descriptor, position) => [descriptor.id, position]));
  const results: unknown[] = [];
  for (const report of result.reports) {
    for (const finding of report.findings) {
      if (finding.status !== "fail" && finding.status !== "exempt") continue;
      if (!index.has(finding.rule)) {
        index.set(finding.rule, descriptors.length);
        descriptors.push(descriptorFromFinding(finding));
      }
      results.push(sarifResult(finding, index.get(finding.rule) ?? 0, options.baseDirectory));
    }
  }
  const log = {
    $schema: sarifSchemaUri,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "gateway-guard",
            version: options.toolVersion ?? "0.0.0",
            informationUri: options.informationUri ?? defaultInformationUri,
            rules: descriptors,
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function sarifResult(
  finding: Finding,
  ruleIndex: number,
  baseDirectory: string | undefined,
): Record<string, unknown> {
  const location: Record<string, unknown> = {
    logicalLocations: [{ fullyQualifiedName: finding.object, kind: "object" }],
  };
  const uri = artifactUri(finding.file, baseDirectory);
  if (uri !== undefined) {
    location.physicalLocation = {
      artifactLocation: { uri },
      region: { startLine: finding.line !== undefined && finding.line >= 1 ? finding.line : 1 },
    };
  }
  return {
    ruleId: finding.rule,
    ruleIndex,
    level: sarifLevel(finding.severity),
    message: {
      text: `${finding.object}: ${finding.message} (at ${finding.path}: expected ${finding.expected}, found ${finding.actual})`,
    },
    locations: [location],
    partialFingerprints: {
      "gatewayGuardFinding/v1": createHash("sha256")
        .update(`${finding.rule}\u0000${finding.object}\u0000${finding.path}`)
        .digest("hex"),
    },
    ...(finding.status === "exempt"
      ? { suppressions: [{ kind: "external", justification: finding.exemptReason ?? "exempt" }] }
      : {}),
  };
}

function descriptorFromFinding(finding: Finding): SarifRule {
  return {
    id: finding.rule,
    name: pascalCase(finding.rule),
    shortDescription: { text: finding.rule },
    fullDescription: { text: `${finding.rule} (source: ${finding.source})` },
    help: { text: finding.remediation, markdown: fence(finding.remediation, "yaml") },
    defaultConfiguration: { level: sarifLevel(finding.severity) },
    properties: { tags: ["kubernetes", "api-management", "self-hosted-gateway"], source: finding.source },
  };
}

/** A file path as a SARIF URI: relative (forward slashes) when under `baseDirectory`, else a `file:` URI. */
function artifactUri(file: string | undefined, baseDirectory: string | undefined): string | undefined {
  if (!file || file === stdinName) return undefined;
  let path = file;
  if (isAbsolute(path) && baseDirectory) {
    const rel = relative(baseDirectory, path);
    if (!rel.startsWith("..") && !isAbsolute(rel)) path = rel;
  }
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path.split(sep).join("/").split("/").map(encodeURIComponent).join("/");
}

function pascalCase(id: string): string {
  return id
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}
