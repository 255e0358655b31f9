/**
 * The benchmark driver (`npm run bench`, after a build): runs the `benchmarks` of every `*.bench.ts`
 * module in this directory, prints the figures and writes them to test/bench/results/latest.json.
 * `npm run bench -- <word>` runs only benchmarks whose name contains the word. No assertions.
 *
 * Adding a benchmark: a new `test/bench/<name>.bench.ts` exporting `benchmarks: Benchmark[]` (see benchmark.ts).
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Benchmark, Figure } from "./benchmark.js";

const directory = fileURLToPath(new URL(".", import.meta.url));

function show(figure: Figure): string {
  const value =
    figure.unit === "ms"
      ? `${figure.value.toFixed(1)} ms`
      : figure.unit === "×"
        ? `${figure.value.toFixed(2)}×`
        : `${figure.value}`;
  const target = figure.target
    ? `  (target ${figure.target}${figure.within === undefined ? "" : figure.within ? ": met" : ": NOT met"})`
    : "";
  return `  ${figure.label.padEnd(52)} ${value.padStart(12)}${target}`;
}

async function main(filter: string | undefined): Promise<void> {
  const files = (await readdir(directory)).filter((name) => name.endsWith(".bench.ts")).sort();
  const results: Record<string, Figure[]> = {};
  console.log(`Node ${process.version} on ${process.platform}/${process.arch}`);
  for (const file of files) {
    const module = (await import(pathToFileURL(join(directory, file)).href)) as { benchmarks?: Benchmark[] };
    for (const benchmark of module.benchmarks ?? []) {
      if (filter && !benchmark.name.includes(filter)) continue;
      console.log(`\n${benchmark.name}: ${benchmark.description}`);
      const figures = await benchmark.run();
      for (const figure of figures) console.log(show(figure));
      results[benchmark.name] = figures;
    }
  }
  await mkdir(join(directory, "results"), { recursive: true });
  await writeFile(
    join(directory, "results", "latest.json"),
    `${JSON.stringify({ node: process.version, at: new Date().toISOString(), results }, null, 2)}\n`,
  );
}

await main(process.argv[2]);
