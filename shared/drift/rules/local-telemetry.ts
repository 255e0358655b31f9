import type { Rule } from "../types.js";
import { atSetting, readSetting, unknownSetting } from "./common.js";

const LOCAL = "telemetry.metrics.local";
const STATSD_ENDPOINT = "telemetry.metrics.local.statsd.endpoint";
const OTEL = "observability.opentelemetry.enabled";

/** Local metrics (StatsD or OpenTelemetry), so that a gateway cut off from Azure can still be watched. */
export const localTelemetryRule: Rule = {
  id: "local-telemetry",
  severity: "warning",
  title: "Local metrics enabled",
  rationale:
    "Azure Monitor metrics stop when the gateway loses its connection to Azure, which is exactly when they are needed. Local metrics via StatsD or OpenTelemetry keep the gateway observable in the cluster (seed, settings).",
  source: "seed, settings",
  remediation: `# in the gateway's ConfigMap
data:
  telemetry.metrics.local: "statsd"
  telemetry.metrics.local.statsd.endpoint: "statsd-exporter.monitoring:8125"
  # or
  # observability.opentelemetry.enabled: "true"
  # observability.opentelemetry.collector.uri: "http://otel-collector.monitoring:4317"`,
  check(bundle) {
    const expected = `${LOCAL}: statsd with ${STATSD_ENDPOINT}, or ${OTEL}: true`;
    const otel = readSetting(bundle, OTEL);
    if (otel.kind === "value" && otel.value.trim().toLowerCase() === "true") {
      return [
        atSetting(bundle, OTEL, {
          status: "pass",
          expected,
          actual: `${OTEL}: true`,
          message: "OpenTelemetry metrics enabled.",
        }),
      ];
    }
    const local = readSetting(bundle, LOCAL);
    if (local.kind === "value") {
      const mode = local.value.trim().toLowerCase();
      if (mode === "opentelemetry") {
        return [
          atSetting(bundle, LOCAL, {
            status: "pass",
            expected,
            actual: `${LOCAL}: ${local.value}`,
            message: "Local metrics via OpenTelemetry.",
          }),
        ];
      }
      if (mode === "statsd") {
        const endpoint = readSetting(bundle, STATSD_ENDPOINT);
        if (endpoint.kind === "value" && endpoint.value.trim() !== "") {
          return [
            atSetting(bundle, STATSD_ENDPOINT, {
              status: "pass",
              expected,
              actual: `statsd to ${endpoint.value}`,
              message: "Local metrics via StatsD.",
            }),
          ];
        }
        if (endpoint.kind === "unknown" || endpoint.kind === "unresolved")
          return [unknownSetting(bundle, STATSD_ENDPOINT, expected, endpoint.reason)];
        return [
          atSetting(bundle, STATSD_ENDPOINT, {
            status: "fail",
            expected,
            actual: "statsd without an endpoint",
            message: `${LOCAL} is statsd but ${STATSD_ENDPOINT} is not set.`,
          }),
        ];
      }
    }
    for (const read of [local, otel]) {
      if (read.kind === "unknown" || read.kind === "unresolved")
        return [unknownSetting(bundle, LOCAL, expected, read.reason)];
    }
    const actual =
      local.kind === "value" ? `${LOCAL}: ${local.value}` : `${LOCAL} not set (defaults to none)`;
    return [
      atSetting(bundle, LOCAL, {
        status: "fail",
        expected,
        actual,
        message:
          "No local metrics: when the gateway loses Azure, nothing in the cluster shows how it is doing.",
      }),
    ];
  },
};
