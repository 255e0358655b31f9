/**
 * Label selectors (`app=x,tier!=y,env in (a,b),!legacy`) and the field selectors the stand-in
 * understands (`metadata.name`, `metadata.namespace`).
 */
import { KubeApiError } from "./status.js";

type Requirement =
  { key: string; op: "in" | "notin"; values: string[] } | { key: string; op: "exists" | "doesnotexist" };

/** A parsed selector: `matches(labels)` is true when every requirement holds. */
export interface Selector {
  matches(labels: Record<string, string> | undefined): boolean;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function parseRequirement(text: string): Requirement {
  let match = /^!\s*([\w./-]+)$/.exec(text);
  if (match) return { key: match[1], op: "doesnotexist" };
  match = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(text);
  if (match) return { key: match[1], op: match[2] === "!=" ? "notin" : "in", values: [match[3]] };
  match = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (match) {
    const values = match[3].split(",").map((v) => v.trim());
    return { key: match[1], op: match[2] as "in" | "notin", values };
  }
  match = /^([\w./-]+)$/.exec(text);
  if (match) return { key: match[1], op: "exists" };
  throw new KubeApiError(400, `unable to parse requirement: found '${text}', expected a label selector`);
}

/**
 * Parses a label selector as `?labelSelector=` carries it.
 * @throws KubeApiError 400 on text that is not a selector.
 */
export function parseLabelSelector(text: string | null | undefined): Selector {
  const requirements = text ? splitTopLevel(text).map(parseRequirement) : [];
  return {
    matches(labels) {
      return requirements.every((r) => {
        const value = labels?.[r.key];
        switch (r.op) {
          case "exists":
            return value !== undefined;
          case "doesnotexist":
            return value === undefined;
          case "in":
            return value !== undefined && r.values.includes(value);
          case "notin":
            return value === undefined || !r.values.includes(value);
        }
      });
    },
  };
}

/**
 * Parses a field selector; only `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`.
 * @returns a matcher over `{ name, namespace }`.
 * @throws KubeApiError 400 for other fields, as the API server does.
 */
export function parseFieldSelector(
  text: string | null | undefined,
): (meta: { name: string; namespace?: string }) => boolean {
  const checks = (text ? splitTopLevel(text) : []).map((part) => {
    const match = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) {
      throw new KubeApiError(
        400,
        `"${part}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    const field = match[1] === "metadata.name" ? "name" : "namespace";
    const negate = match[2] === "!=";
    return (meta: { name: string; namespace?: string }) => (meta[field] === match[3]) !== negate;
  });
  return (meta) => checks.every((check) => check(meta));
}
