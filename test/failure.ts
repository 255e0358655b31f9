/**
 * The error a promise rejects with; fails the test if it resolves.
 * @param promise - the call expected to fail.
 */
export async function failure(promise: Promise<unknown>): Promise<Error & { permission?: string }> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error as Error & { permission?: string },
  );
}
