/** Runs work over a list with a bounded number in flight, keeping the list's order. */

/**
 * Maps `items` through `work`, at most `concurrency` at once, as `Promise.all(items.map(work))`
 * would: results in the order of `items`, the first rejection rejects (the rest still settle).
 * @param items - what to work on.
 * @param concurrency - how many at once; at least 1.
 * @param work - the asynchronous step for one item.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency), items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
