/**
 * What a benchmark module in test/bench/ exports, and small timing helpers. `run.ts` runs every
 * `*.bench.ts` module's `benchmarks` and prints their figures.
 */
import { performance } from "node:perf_hooks";

/** One number a benchmark reports. */
export interface Figure {
  label: string;
  value: number;
  unit: "ms" | "×" | "count";
  /** The target as text, e.g. `≤ 1.5×`; with `within`, whether the value meets it. */
  target?: string;
  within?: boolean;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<Figure[]>;
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Times `fn` `runs` times after `warmups` untimed runs; returns every duration in ms. */
export async function time(fn: () => unknown, runs: number, warmups = 1): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await fn();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    durations.push(performance.now() - start);
  }
  return durations;
}
