/**
 * The drift endpoint: `GET /api/drift` (every configured gateway, live), `GET /api/drift/{gateway}`
 * (one, live) and `POST /api/drift` with a YAML or JSON manifest. The format comes from `?format=`
 * or the `Accept` header; JSON by default. HTML for every gateway is the fleet page (fleetHttp.ts).
 */
import type { GatewayConfig } from "../config/types.js";
import { findGateway } from "../config/load.js";
import { InputError } from "../errors.js";
import { contentTypeOf, formatResult, formats, type FormatName } from "../drift/format/index.js";
import { packageInfo } from "../package.js";
import { rules } from "../drift/rules/index.js";
import type { CheckResult } from "../drift/types.js";
import type { HttpResult } from "./http.js";
import { configurationErrorResult, errorResult } from "./http.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** Formats the endpoint serves (every format but the terminal table); content types from the registry. */
export const driftFormats = [
  "json",
  "sarif",
  "markdown",
  "html",
  "junit",
] as const satisfies readonly FormatName[];

export type DriftFormat = (typeof driftFormats)[number];

/** Largest manifest accepted in a POST body. */
export const maxManifestBytes = 5 * 1024 * 1024;

const acceptTypes: Array<[string, DriftFormat]> = driftFormats.flatMap((name) =>
  formats[name].mediaTypes.map((mediaType): [string, DriftFormat] => [mediaType, name]),
);

function isDriftFormat(name: string): name is DriftFormat {
  return (driftFormats as readonly string[]).includes(name);
}

/**
 * Chooses the format: `?format=` wins, then the first type of `Accept` that is served, then JSON.
 * @param format - the query parameter.
 * @param accept - the Accept header.
 * @returns the format.
 * @throws InputError for an unknown `?format=`.
 */
export function negotiateFormat(
  format: string | null | undefined,
  accept: string | null | undefined,
): DriftFormat {
  if (format) {
    const name = format.trim().toLowerCase();
    if (isDriftFormat(name)) return name;
    throw new InputError(
      `unknown format "${format.slice(0, 40)}"; expected one of ${driftFormats.join(", ")}`,
    );
  }
  const wanted = (accept ?? "")
    .split(",")
    .map((part) => {
      const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
      const q = params.find((p) => p.startsWith("q="));
      return { type, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((entry) => entry.type !== "" && entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { type } of wanted) {
    const match = acceptTypes.find(([mediaType]) => mediaType === type);
    if (match) return match[1];
  }
  return "json";
}

/** The request as the handler passes it on. */
export interface DriftInput {
  method: string;
  /** The `{gateway}` route parameter, if any. */
  gateway?: string;
  format?: string | null;
  accept?: string | null;
  contentLength?: string | null;
  body(): Promise<string>;
}

/**
 * Handles a drift request.
 * @param services - the app's services.
 * @param input - method, route parameter, format and body.
 * @param sink - the invocation's log.
 * @returns 200 with the report, 400 for unreadable input or an unknown format, 404 for an unknown gateway, 413 for an oversized manifest.
 */
export async function handleDrift(
  services: AppServices,
  input: DriftInput,
  sink: LogSink,
): Promise<HttpResult> {
  const log = eventLogger(sink);
  try {
    const format = negotiateFormat(input.format, input.accept);
    const live = input.method.toUpperCase() !== "POST";
    if (live && format === "html" && !input.gateway) {
      const { handleFleetPage } = await import("./fleetHttp.js");
      return await handleFleetPage(services, sink);
    }
    const outcome = live
      ? await checkLiveGateways(services, input, sink)
      : await checkPosted(services, input);
    if ("status" in outcome) return outcome;
    const body = await formatResult(format, outcome, { rules, toolVersion: packageInfo().version });
    log.info("drift.checked", { format, reports: outcome.reports.length, live });
    return { status: 200, headers: { "Content-Type": contentTypeOf(format) }, body };
  } catch (error) {
    return errorResult(error, sink, "drift.failed");
  }
}

/** `POST /api/drift`: the manifest in the body, checked against the default baseline. */
async function checkPosted(services: AppServices, input: DriftInput): Promise<CheckResult | HttpResult> {
  if (input.gateway) {
    throw new InputError(
      "POST /api/drift takes a manifest in the body and no gateway; use GET /api/drift/{gateway} for a live check",
    );
  }
  const declared = Number(input.contentLength ?? "");
  if (Number.isFinite(declared) && declared > maxManifestBytes) return tooLarge();
  const text = await input.body();
  if (Buffer.byteLength(text, "utf8") > maxManifestBytes) return tooLarge();
  if (text.trim() === "") {
    throw new InputError(
      "the body is empty: expected a Kubernetes manifest (YAML or JSON) with a gateway Deployment",
    );
  }
  return services.checkManifest(text, "manifest");
}

/** `GET /api/drift[/{gateway}]`: the configured gateways (or the one named), read from their clusters. */
async function checkLiveGateways(
  services: AppServices,
  input: DriftInput,
  sink: LogSink,
): Promise<CheckResult | HttpResult> {
  let gateways: GatewayConfig[];
  try {
    const config = await services.config();
    gateways = input.gateway ? [findGateway(config, input.gateway)] : config.gateways;
  } catch (error) {
    if (error instanceof Error && error.name === "NotFoundError") throw error;
    return configurationErrorResult(error, sink, "drift.config-unavailable", "configuration");
  }
  return services.checkLive(gateways);
}

function tooLarge(): HttpResult {
  return {
    status: 413,
    jsonBody: { error: "PayloadTooLarge", message: `the manifest exceeds ${maxManifestBytes} bytes` },
  };
}
