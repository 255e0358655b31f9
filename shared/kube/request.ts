/**
 * Per-request options for @kubernetes/client-node calls: an abort signal and the patch content type.
 */
import {
  Observable,
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
} from "@kubernetes/client-node";
import type { RequestContext, ResponseContext } from "@kubernetes/client-node";

/** Options that pass `abortSignal` to the request, if given. */
export function requestOptions(abortSignal?: AbortSignal): ConfigurationOptions | undefined {
  if (!abortSignal) return undefined;
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(abortSignal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** Options for a patch with `application/merge-patch+json`. */
export function mergePatchOptions(abortSignal?: AbortSignal): ConfigurationOptions {
  return setHeaderOptions("Content-Type", PatchStrategy.MergePatch, requestOptions(abortSignal));
}

/** Options for a patch with `application/strategic-merge-patch+json`. */
export function strategicMergePatchOptions(abortSignal?: AbortSignal): ConfigurationOptions {
  return setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch, requestOptions(abortSignal));
}
