/**
 * Large inputs (issue 9): each shape of largeInputs.ts at 1.25, 2.5 and 5 MiB (the per-input limit), checked
 * as `POST /api/drift` checks a body (parse, duplicate keys, bundles, every rule). Time linear in the size
 * doubles with the size: the figure per shape is the 5 MiB time over the 2.5 MiB time (target ≤ 2.5×;
 * quadratic growth shows as about 4×). Deep nesting is refused before parsing, in well under a millisecond.
 */
import { checkManifestText } from "../../shared/app/driftCheck.js";
import { type Benchmark, type Figure, median, time } from "./benchmark.js";
import { largeInputShapes } from "./largeInputs.js";

const mebibyte = 1024 * 1024;
const sizes = [1.25, 2.5, 5];
const runs = 3;

/** Time to check (or refuse) the text; an input error counts as a finished check. */
async function checkTime(text: string): Promise<number> {
  return median(
    await time(() => checkManifestText(text, "large.yaml").catch((error: Error) => error), runs, 0),
  );
}

const largeInputBench: Benchmark = {
  name: "large-input",
  description: "check 1.25, 2.5 and 5 MiB inputs of each shape; 5 MiB time / 2.5 MiB time (linear = 2×)",
  async run() {
    const figures: Figure[] = [];
    for (const [shape, make] of Object.entries(largeInputShapes)) {
      const times: number[] = [];
      for (const size of sizes) {
        const text = make(size * mebibyte);
        const ms = await checkTime(text);
        times.push(ms);
        figures.push({ label: `${shape}, ${size} MiB, median of ${runs}`, value: ms, unit: "ms" });
      }
      if (times[1] < 20) continue; // refused at once (deep nesting): no growth to speak of
      const growth = times[2] / times[1];
      figures.push({
        label: `${shape}: 5 MiB / 2.5 MiB`,
        value: growth,
        unit: "×",
        target: "≤ 2.5×",
        within: growth <= 2.5,
      });
    }
    return figures;
  },
};

export const benchmarks: Benchmark[] = [largeInputBench];
