/**
 * Small structural checks for formatter output, used by the formatter and CLI tests.
 */

/**
 * Checks that XML (or XHTML-like HTML) is well formed enough: balanced tags, no stray `<` or `&`.
 * @param voidElements - HTML elements that have no end tag
 * @returns problems found (empty when fine)
 */
export function xmlProblems(text: string, voidElements: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const body = text.replace(/^<\?xml[^>]*\?>/, "").replace(/^<!doctype html>/i, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+(?:="[^"<]*")?)*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(body); match; match = tag.exec(body)) {
    problems.push(...textProblems(body.slice(last, match.index)));
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (selfClosing || voidElements.has(name.toLowerCase())) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
  }
  problems.push(...textProblems(body.slice(last)));
  if (stack.length > 0) problems.push(`unclosed <${stack.join("> <")}>`);
  return problems;
}

function textProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.includes("<")) problems.push(`stray < in ${JSON.stringify(text.slice(0, 60))}`);
  if (/&(?!(?:amp|lt|gt|quot|#39|apos|#\d+);)/.test(text))
    problems.push(`stray & in ${JSON.stringify(text.slice(0, 60))}`);
  return problems;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** Everything SARIF 2.1.0 requires of a log, plus what code scanning needs; returns problems found. */
export function sarifProblems(log: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: unknown, what: string) => {
    if (!ok) problems.push(what);
  };
  const sarif = log as Loose;
  need(typeof sarif.$schema === "string" && sarif.$schema.includes("sarif"), "$schema");
  need(sarif.version === "2.1.0", "version 2.1.0");
  need(Array.isArray(sarif.runs) && sarif.runs.length === 1, "one run");
  const run = sarif.runs?.[0] ?? {};
  const driver = run.tool?.driver ?? {};
  need(driver.name === "gateway-guard", "tool.driver.name");
  need(typeof driver.version === "string" && driver.version.length > 0, "tool.driver.version");
  need(
    typeof driver.informationUri === "string" && /^https?:\/\//.test(driver.informationUri),
    "informationUri",
  );
  need(Array.isArray(driver.rules), "tool.driver.rules");
  const levels = new Set(["error", "warning", "note", "none"]);
  const ids: string[] = (driver.rules ?? []).map((rule: Loose) => {
    need(typeof rule.id === "string", "rule.id");
    need(typeof rule.shortDescription?.text === "string", `rule ${rule.id} shortDescription.text`);
    need(typeof rule.fullDescription?.text === "string", `rule ${rule.id} fullDescription.text`);
    need(typeof rule.help?.text === "string", `rule ${rule.id} help.text`);
    need(levels.has(rule.defaultConfiguration?.level), `rule ${rule.id} defaultConfiguration.level`);
    return rule.id;
  });
  need(new Set(ids).size === ids.length, "unique rule ids");
  need(Array.isArray(run.results), "results");
  for (const result of run.results ?? []) {
    need(ids.includes(result.ruleId), `result ruleId ${result.ruleId} among the rules`);
    if (result.ruleIndex !== undefined)
      need(ids[result.ruleIndex] === result.ruleId, `ruleIndex of ${result.ruleId}`);
    need(levels.has(result.level), `result level ${result.level}`);
    need(typeof result.message?.text === "string" && result.message.text.length > 0, "result message.text");
    need(Array.isArray(result.locations) && result.locations.length > 0, "result locations");
    for (const location of result.locations ?? []) {
      const physical = location.physicalLocation;
      if (!physical) continue;
      const uri = physical.artifactLocation?.uri;
      need(typeof uri === "string" && uri.length > 0 && !uri.includes("\\"), `artifactLocation.uri ${uri}`);
      const line = physical.region?.startLine;
      need(Number.isInteger(line) && line >= 1, `region.startLine ${line}`);
    }
  }
  return problems;
}
