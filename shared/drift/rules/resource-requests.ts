import { displayValue } from "../../gateway/values.js";
import { parseQuantity } from "../quantity.js";
import type { GatewayBundle, Rule, RuleResult } from "../types.js";
import { at, containerPath, gatewayContainer, get } from "./common.js";

function checkResource(bundle: GatewayBundle, resource: "cpu" | "memory", minimumText: string): RuleResult {
  const container = gatewayContainer(bundle);
  const minimum = parseQuantity(minimumText) ?? 0;
  const requestPath = containerPath(bundle, "resources", "requests", resource);
  const expected = `>= ${minimumText}`;
  let raw = get(container, ["resources", "requests", resource]);
  let from = "";
  if (raw === undefined) {
    raw = get(container, ["resources", "limits", resource]);
    if (raw !== undefined) from = " (request defaults to the limit)";
  }
  if (raw === undefined) {
    return at(bundle, requestPath, {
      status: "fail",
      expected,
      actual: "(unset)",
      message: `No ${resource} request: the scheduler may pack the gateway onto a node without ${minimumText} ${resource === "cpu" ? "cores" : "memory"} free.`,
    });
  }
  const actual = `${displayValue(raw)}${from}`;
  const value = parseQuantity(raw);
  if (value === undefined) {
    return at(bundle, requestPath, {
      status: "fail",
      expected,
      actual,
      message: `${displayValue(raw)} is not a Kubernetes quantity.`,
    });
  }
  if (value < minimum) {
    return at(bundle, requestPath, {
      status: "fail",
      expected,
      actual,
      message: `${resource} request ${displayValue(raw)} is below ${minimumText}.`,
    });
  }
  return at(bundle, requestPath, {
    status: "pass",
    expected,
    actual,
    message: `${resource} request ${displayValue(raw)}.`,
  });
}

/** The gateway container requests at least 2 cores and 2Gi. */
export const resourceRequestsRule: Rule = {
  id: "resource-requests",
  severity: "warning",
  title: "Gateway requests enough CPU and memory",
  rationale:
    "Without requests the gateway is scheduled as best-effort and is the first to be throttled or evicted. The seed article and the production page size a gateway at 2 cores and 2 GiB (seed, prod).",
  source: "seed, prod",
  remediation: `spec:
  template:
    spec:
      containers:
      - name: gateway
        resources:
          requests:
            cpu: "2"
            memory: 2Gi
          limits:
            memory: 2Gi`,
  defaults: { cpu: "2", memory: "2Gi" },
  thresholdProblem(key, value) {
    if (parseQuantity(value) !== undefined) return undefined;
    const example = key === "cpu" ? `"2" or "2000m"` : `"2Gi" or "2048Mi"`;
    return `expected a Kubernetes quantity such as ${example}, got ${JSON.stringify(value) ?? "nothing"}`;
  },
  check(bundle, context) {
    const cpu =
      typeof context.settings.cpu === "string" || typeof context.settings.cpu === "number"
        ? displayValue(context.settings.cpu)
        : "2";
    const memory = typeof context.settings.memory === "string" ? context.settings.memory : "2Gi";
    return [checkResource(bundle, "cpu", cpu), checkResource(bundle, "memory", memory)];
  },
};
