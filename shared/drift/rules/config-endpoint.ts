import type { Rule } from "../types.js";
import { atSetting, readSetting, unknownSetting } from "./common.js";

const KEY = "config.service.endpoint";
const HOST = /^[A-Za-z0-9<>_-]+(?:\.[A-Za-z0-9<>_-]+)*$/;

/** The host of an endpoint given as a URL or a bare host, or undefined when it is neither. */
function hostOf(endpoint: string): string | undefined {
  const text = endpoint.trim();
  const withoutScheme = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const host = withoutScheme.split(/[/?#]/)[0].replace(/:\d+$/, "");
  return HOST.test(host) ? host.toLowerCase() : undefined;
}

/** The gateway reads its configuration from a v2 configuration endpoint. */
export const configEndpointRule: Rule = {
  id: "config-endpoint",
  severity: "error",
  title: "v2 configuration endpoint",
  rationale:
    "`config.service.endpoint` tells the gateway where to fetch its configuration; it must be set and point at the v2 configuration API (`<service>.configuration.azure-api.net` or a custom host). The v1 `<service>.management.azure-api.net` endpoint is retired (settings).",
  source: "settings",
  remediation: `# in the gateway's ConfigMap
data:
  config.service.endpoint: "https://<apim-name>.configuration.azure-api.net"`,
  defaults: { retiredHostSuffixes: [".management.azure-api.net"] },
  check(bundle, context) {
    const retired = Array.isArray(context.settings.retiredHostSuffixes)
      ? context.settings.retiredHostSuffixes.map(String)
      : [".management.azure-api.net"];
    const expected =
      "set; a v2 *.configuration.azure-api.net (or custom) host, not *.management.azure-api.net";
    const read = readSetting(bundle, KEY);
    if (read.kind === "unknown" || read.kind === "unresolved")
      return [unknownSetting(bundle, KEY, expected, read.reason)];
    if (read.kind === "absent" || read.value.trim() === "") {
      return [
        atSetting(bundle, KEY, {
          status: "fail",
          expected,
          actual: "(unset)",
          message: `${KEY} is not set: the gateway does not know where to get its configuration.`,
        }),
      ];
    }
    const host = hostOf(read.value);
    if (!host) {
      return [
        atSetting(bundle, KEY, {
          status: "fail",
          expected,
          actual: read.value,
          message: `${KEY} "${read.value}" is not a URL or host name.`,
        }),
      ];
    }
    if (retired.some((suffix) => host.endsWith(suffix.toLowerCase()))) {
      return [
        atSetting(bundle, KEY, {
          status: "fail",
          expected,
          actual: read.value,
          message: `${host} is the retired v1 management endpoint; use <service>.configuration.azure-api.net.`,
        }),
      ];
    }
    return [
      atSetting(bundle, KEY, {
        status: "pass",
        expected,
        actual: read.value,
        message: `Configuration from ${host}.`,
      }),
    ];
  },
};
