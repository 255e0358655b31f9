import { displayValue } from "../../gateway/values.js";
import type { Rule } from "../types.js";
import { at } from "./common.js";

/** The gateway runs in its own namespace, not `default`. */
export const namespaceRule: Rule = {
  id: "namespace",
  severity: "warning",
  title: "Gateway runs in its own namespace",
  rationale:
    "A dedicated namespace scopes RBAC, quotas and network policies to the gateway and keeps its token Secret away from other workloads (seed, prod).",
  source: "seed, prod",
  remediation: `metadata:
  namespace: apim-gateway   # kubectl create namespace apim-gateway`,
  check(bundle) {
    const raw: unknown = bundle.deployment.object.metadata.namespace;
    const namespace = raw === undefined || raw === null ? "" : displayValue(raw);
    const expected = "set and not `default`";
    if (namespace !== "" && namespace !== "default") {
      return [
        at(bundle, ["metadata", "namespace"], {
          status: "pass",
          expected,
          actual: namespace,
          message: `Runs in namespace ${namespace}.`,
        }),
      ];
    }
    const actual = namespace ? namespace : "(unset)";
    const message = namespace
      ? "The gateway runs in the default namespace; give it a namespace of its own."
      : "metadata.namespace is not set: the gateway lands in whatever namespace kubectl uses (often `default`).";
    return [at(bundle, ["metadata", "namespace"], { status: "fail", expected, actual, message })];
  },
};
