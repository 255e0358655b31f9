/**
 * Fuzzing the drift checker: a few hundred mutated manifests per run (hostile values anywhere, broken
 * syntax). Every one either checks or is refused with an InputError; no rule crashes; no message shows
 * `[object Object]`, `NaN` or a token. A failure names its seed: rerun with `FUZZ_SEED=<seed>`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { checkManifestText } from "../../shared/app/driftCheck.js";
import { checkObjects } from "../../shared/drift/check.js";
import { formatHtml } from "../../shared/drift/format/html.js";
import { formatJson } from "../../shared/drift/format/json.js";
import { formatTable } from "../../shared/drift/format/table.js";
import { parseManifest } from "../../shared/drift/load.js";
import { rules } from "../../shared/drift/rules/index.js";
import { mutateText, mutateValue, random, runSeed } from "./mutate.js";

const root = join(import.meta.dirname, "..", "..");
const bases = [
  "test/fixtures/upstream/portal-generated-v2.yaml",
  "test/fixtures/upstream/docs-token-auth.yaml",
  "test/fixtures/upstream/example-configuration-backup.yaml",
  "infra/k8s/gateway.yaml",
].map((path) => readFileSync(join(root, path), "utf8"));

/** The planted token's signature (see hostileValues); it must never be printed. */
const tokenSignature = "c2VjcmV0LXRva2VuLXZhbHVl";
const cases = 300;

/** A mutated manifest: one document's value changed (as YAML or as a JSON List), or the text edited. */
function mutant(rng: () => number): { text: string; file: string } {
  const base = bases[Math.floor(rng() * bases.length)];
  if (rng() < 0.3) return { text: mutateText(base, rng), file: "m.yaml" };
  const documents = parseAllDocuments(base)
    .map((doc): unknown => doc.toJS())
    .filter((d): d is unknown => d != null) as unknown[];
  const index = Math.floor(rng() * documents.length);
  documents[index] = mutateValue(documents[index], rng);
  if (rng() < 0.25) return { text: JSON.stringify({ kind: "List", items: documents }), file: "m.json" };
  return { text: documents.map((doc) => stringify(doc)).join("---\n"), file: "m.yaml" };
}

function problems(text: string): string[] {
  const found: string[] = [];
  if (text.includes("[object Object]")) found.push("[object Object]");
  if (/\bNaN\b/.test(text)) found.push("NaN");
  if (text.includes(tokenSignature)) found.push("a token");
  return found;
}

describe("fuzz: the drift checker", () => {
  it(`checks ${cases} mutated manifests or refuses them as input errors`, async () => {
    const seed = runSeed();
    const rng = random(seed);
    for (let i = 0; i < cases; i++) {
      const { text, file } = mutant(rng);
      const label = `FUZZ_SEED=${seed}, case ${i} (${file}):\n${text.slice(0, 600)}`;
      let outcome: string;
      try {
        const result = checkObjects(parseManifest(text, file), rules, {
          now: new Date("2026-11-26T10:00:00Z"),
        });
        const crashed = result.reports
          .flatMap((r) => r.findings)
          .filter((f) => f.message.startsWith("The rule could not run"));
        expect(
          crashed.map((f) => `${f.rule}: ${f.message}`),
          label,
        ).toEqual([]);
        outcome = formatJson(result) + (i % 10 === 0 ? formatTable(result) + formatHtml(result) : "");
      } catch (error) {
        expect((error as Error).name, `${label}\n${(error as Error).stack}`).toBe("InputError");
        outcome = (await checkManifestText(text, file).catch((e: Error) => e)).toString();
      }
      expect(problems(outcome), label).toEqual([]);
    }
  });
});
