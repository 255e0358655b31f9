import type { Rule } from "../types.js";
import { asArray, at, get, POD, podSpec } from "./common.js";

/** Reports the pod's DNS policy; warns only when `None` leaves the pod without nameservers. */
export const dnsPolicyRule: Rule = {
  id: "dns-policy",
  severity: "info",
  title: "DNS policy",
  rationale:
    "The gateway resolves the configuration endpoint and every backend by DNS; the seed article suggests reviewing dnsPolicy (e.g. `Default` to use the node's resolver when cluster DNS is slow). `dnsPolicy: None` without `dnsConfig.nameservers` leaves the pod with no resolver at all (seed).",
  source: "seed",
  remediation: `spec:
  template:
    spec:
      dnsPolicy: ClusterFirst   # or None with dnsConfig:
      # dnsConfig:
      #   nameservers: ["10.0.0.10"]`,
  check(bundle) {
    const pod = podSpec(bundle);
    const policy = typeof pod.dnsPolicy === "string" ? pod.dnsPolicy : undefined;
    const nameservers = asArray(get(pod, ["dnsConfig", "nameservers"]));
    const actual = `${policy ?? "ClusterFirst (default)"}${pod.dnsConfig !== undefined ? ` with dnsConfig (${nameservers.length} nameservers)` : ""}`;
    const expected = "any policy; `None` only with dnsConfig.nameservers";
    if (policy === "None" && nameservers.length === 0) {
      return [
        at(bundle, [...POD, "dnsPolicy"], {
          status: "fail",
          severity: "warning",
          expected,
          actual,
          message: "dnsPolicy None without dnsConfig.nameservers: the gateway cannot resolve anything.",
        }),
      ];
    }
    return [
      at(bundle, [...POD, "dnsPolicy"], {
        status: "pass",
        expected,
        actual,
        message: `DNS policy ${actual}.`,
      }),
    ];
  },
};
