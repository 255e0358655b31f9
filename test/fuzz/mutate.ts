/**
 * Seeded mutation of inputs for the fuzz tests: a small PRNG, structural mutations (a value replaced by a
 * hostile one anywhere in a document) and textual ones (characters cut, lines repeated, syntax inserted).
 * A failing case names its seed; `FUZZ_SEED=<seed>` reruns exactly that sequence.
 */

/** Numbers in [0, 1) from a 32-bit seed (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `FUZZ_SEED` when set, else a new one. */
export function runSeed(): number {
  const given = Number(process.env.FUZZ_SEED);
  return Number.isInteger(given) ? given : Math.floor(Math.random() * 2 ** 31);
}

type Rng = () => number;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

/** Values that have broken checkers: objects where strings go, non-finite numbers, long and odd strings. */
export const hostileValues: readonly unknown[] = [
  { toString: 1 },
  { valueOf: 1, toString: 1 },
  [],
  [{ toString: 1 }],
  {},
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  3.5,
  0,
  true,
  "",
  " ",
  "3",
  "x".repeat(5000),
  "\u001b[31mred\u0007",
  "gw&209901010000&c2VjcmV0LXRva2VuLXZhbHVl",
  "__proto__",
  { __proto__: { polluted: 1 } },
];

/** A copy of `value` with one node (chosen at random, the root included) replaced by a hostile value. */
export function mutateValue(value: unknown, rng: Rng): unknown {
  const paths: Array<Array<string | number>> = [[]];
  const walk = (node: unknown, path: Array<string | number>) => {
    if (paths.length > 2000 || node === null || typeof node !== "object") return;
    const entries: Array<[string | number, unknown]> = Array.isArray(node)
      ? node.map((item, index) => [index, item])
      : Object.entries(node);
    for (const [key, item] of entries) {
      paths.push([...path, key]);
      walk(item, [...path, key]);
    }
  };
  walk(value, []);
  const path = pick(rng, paths);
  const replacement = rng() < 0.15 ? mutateKeyOf(value, path) : pick(rng, hostileValues);
  return replaceAt(structuredClone(value), path, replacement);
}

function mutateKeyOf(value: unknown, path: Array<string | number>): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node !== null && typeof node === "object" && !Array.isArray(node)
    ? Object.fromEntries(Object.entries(node).map(([key, item]) => [`${key}\u0000`, item]))
    : node;
}

function replaceAt(root: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = replacement;
  return root;
}

const insertions = [
  "{",
  "}",
  "[",
  "]",
  ":",
  ": ",
  "- ",
  "&a ",
  "*a",
  "!!binary ",
  '"',
  "'",
  "\t",
  "\n",
  "---\n",
  "\\u",
  ",",
  "#",
];

/** The text with one edit: a range cut, a line repeated, syntax inserted, or the end cut off. */
export function mutateText(text: string, rng: Rng): string {
  const at = Math.floor(rng() * (text.length + 1));
  switch (Math.floor(rng() * 4)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(rng() * 20));
    case 1: {
      const lines = text.split("\n");
      const line = Math.floor(rng() * lines.length);
      lines.splice(line, 0, lines[line]);
      return lines.join("\n");
    }
    case 2:
      return text.slice(0, at) + pick(rng, insertions) + text.slice(at);
    default:
      return text.slice(0, at);
  }
}
