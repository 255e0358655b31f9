import type { Rule } from "../types.js";
import { atSetting, readSetting, stringsSetting, unknownSetting } from "./common.js";

const LEVEL = "telemetry.logs.std.level";

/** Standard output logs at warn or error in production. */
export const logLevelRule: Rule = {
  id: "log-level",
  severity: "info",
  title: "Production log level",
  rationale:
    "The gateway logs every request at `info` to standard output; at production traffic that costs CPU and log ingestion. The production page suggests `warn` or `error` (prod).",
  source: "prod",
  remediation: `# in the gateway's ConfigMap
data:
  telemetry.logs.std.level: "warn"`,
  defaults: { levels: ["warn", "error"] },
  check(bundle, context) {
    const levels = stringsSetting(context.settings, "levels", ["warn", "error"]);
    const expected = levels.join(" or ");
    const read = readSetting(bundle, LEVEL);
    if (read.kind === "unknown" || read.kind === "unresolved")
      return [unknownSetting(bundle, LEVEL, expected, read.reason)];
    if (read.kind === "absent") {
      return [
        atSetting(bundle, LEVEL, {
          status: "fail",
          expected,
          actual: "(unset: defaults to info)",
          message: `${LEVEL} is not set; the gateway logs at info.`,
        }),
      ];
    }
    const ok = levels.some((level) => level.toLowerCase() === read.value.trim().toLowerCase());
    return [
      atSetting(bundle, LEVEL, {
        status: ok ? "pass" : "fail",
        expected,
        actual: read.value,
        message: ok
          ? `Logs at ${read.value}.`
          : `Logs at ${read.value}; ${expected} is enough in production.`,
      }),
    ];
  },
};
