/**
 * The check path's speed (issue 2, "Speed"):
 * (a) checking 1,000 gateway deployments against only parsing the same YAML (target ≤ 1.5×);
 * (b) `node bin/gateway-guard.js check FILE` as a whole process against `node -e 0` (target ≤ 2.5×).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parseAllDocuments } from "yaml";
import { checkObjects } from "../../shared/drift/check.js";
import { formatJson } from "../../shared/drift/format/json.js";
import { loadInputs } from "../../shared/drift/load.js";
import { rules } from "../../shared/drift/rules/index.js";
import { type Benchmark, median, time } from "./benchmark.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = join(root, "shared", "drift", "examples", "portal-generated-v2.yaml");

/** `count` copies of the portal's manifest (ConfigMap, Deployment, two Services), each renamed and in its own namespace. */
export function generateDeployments(count: number): string {
  const documents = readFileSync(example, "utf8").replace(/^#.*\n/gm, "");
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `gw-${String(i).padStart(4, "0")}`;
    parts.push(
      documents
        .replace(/selfhost/g, name)
        .replace(/^( {2}name: .*)$/gm, `$1\n  namespace: team-${i % 50}`)
        .replace(/^(\s+replicas:) 1$/m, `$1 ${1 + (i % 4)}`),
    );
  }
  return parts.join("\n---\n");
}

const sizeBench: Benchmark = {
  name: "check-1000",
  description: "load + check 1,000 gateway deployments vs parsing the same YAML",
  async run() {
    const count = 1000;
    const directory = mkdtempSync(join(tmpdir(), "gateway-guard-bench-"));
    const file = join(directory, "gateways.yaml");
    const text = generateDeployments(count);
    writeFileSync(file, text);
    const maxBytes = 64 * 1024 * 1024;
    const runs = 5;

    const parse = median(
      await time(() => {
        for (const document of parseAllDocuments(readFileSync(file, "utf8"))) document.toJS();
      }, runs),
    );
    const load: number[] = [];
    const check: number[] = [];
    const format: number[] = [];
    let reports = 0;
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      const objects = await loadInputs([file], { maxBytes });
      const t1 = performance.now();
      const result = checkObjects(objects, rules);
      const t2 = performance.now();
      formatJson(result);
      const t3 = performance.now();
      reports = result.reports.length;
      if (i === 0) continue;
      load.push(t1 - t0);
      check.push(t2 - t1);
      format.push(t3 - t2);
    }
    const total = median(load.map((ms, i) => ms + check[i]));
    const ratio = total / parse;
    return [
      { label: "gateway deployments checked", value: reports, unit: "count" },
      { label: "input size (KiB)", value: Math.round(text.length / 1024), unit: "count" },
      { label: `parse only (yaml parseAllDocuments + toJS), median of ${runs}`, value: parse, unit: "ms" },
      { label: "  load (read, parse, line index), median", value: median(load), unit: "ms" },
      { label: "  check (bundles + all rules), median", value: median(check), unit: "ms" },
      { label: "load + check, median", value: total, unit: "ms" },
      { label: "JSON output of the result, median", value: median(format), unit: "ms" },
      { label: "(load + check) / parse", value: ratio, unit: "×", target: "≤ 1.5×", within: ratio <= 1.5 },
    ];
  },
};

function spawnMs(args: string[]): number {
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, args, { cwd: root, stdio: "ignore" });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const startBench: Benchmark = {
  name: "check-process",
  description:
    "`node bin/gateway-guard.js check FILE` as a whole process vs `node -e 0` (run `npm run build` first)",
  async run() {
    const runs = 15;
    const bin = join(root, "bin", "gateway-guard.js");
    const node: number[] = [];
    const cli: number[] = [];
    spawnMs(["-e", "0"]);
    spawnMs([bin, "check", example]);
    for (let i = 0; i < runs; i++) {
      node.push(spawnMs(["-e", "0"]));
      cli.push(spawnMs([bin, "check", example]));
    }
    const ratio = median(cli) / median(node);
    return [
      { label: `node -e 0, median of ${runs}`, value: median(node), unit: "ms" },
      { label: `gateway-guard check FILE, median of ${runs}`, value: median(cli), unit: "ms" },
      { label: "check / node start", value: ratio, unit: "×", target: "≤ 2.5×", within: ratio <= 2.5 },
    ];
  },
};

export const benchmarks: Benchmark[] = [sizeBench, startBench];
