import { displayValue } from "../../gateway/values.js";
import type { GatewayBundle, Rule, RuleResult } from "../types.js";
import {
  asArray,
  at,
  atRelated,
  atSetting,
  containerPath,
  gatewayContainer,
  get,
  maximumReplicas,
  readSetting,
  unknownSetting,
} from "./common.js";

const PORTS = [4290, 4291];
const HOST = "neighborhood.host";

function checkPorts(bundle: GatewayBundle): RuleResult {
  const ports = asArray(gatewayContainer(bundle).ports);
  const udp = new Set(
    ports.filter((port) => get(port, ["protocol"]) === "UDP").map((port) => get(port, ["containerPort"])),
  );
  const missing = PORTS.filter((port) => !udp.has(port));
  const expected = "containerPort 4290/UDP and 4291/UDP";
  const path = containerPath(bundle, "ports");
  if (missing.length === 0)
    return at(bundle, path, {
      status: "pass",
      expected,
      actual: "4290/UDP, 4291/UDP",
      message: "Instance sync ports open.",
    });
  return at(bundle, path, {
    status: "fail",
    expected,
    actual: `missing ${missing.map((port) => `${port}/UDP`).join(", ")}`,
    message:
      "Without UDP 4290 (rate-limit sync) and 4291 (heartbeat), replicas count rate limits and quotas each on their own.",
  });
}

function checkHeadlessService(bundle: GatewayBundle): RuleResult {
  const expected = `${HOST} naming a headless Service (clusterIP: None) that selects the gateway pods`;
  const read = readSetting(bundle, HOST);
  if (read.kind === "unknown" || read.kind === "unresolved")
    return unknownSetting(bundle, HOST, expected, read.reason);
  if (read.kind === "absent" || read.value.trim() === "") {
    return atSetting(bundle, HOST, {
      status: "fail",
      expected,
      actual: `${HOST} not set`,
      message: `${HOST} is not set: replicas cannot find each other to share rate limits.`,
    });
  }
  const host = read.value.trim();
  const name = host.split(".")[0];
  const service = bundle.services.find((candidate) => candidate.object.metadata.name === name);
  if (!service) {
    const message = `No Service ${name} selecting the gateway pods in the input`;
    if (bundle.partial)
      return atSetting(bundle, HOST, {
        status: "unknown",
        expected,
        actual: `${HOST}: ${host}`,
        message: `${message}; it may be defined elsewhere.`,
      });
    return atSetting(bundle, HOST, {
      status: "fail",
      expected,
      actual: `${HOST}: ${host}`,
      message: `${message}.`,
    });
  }
  const clusterIP = get(service.object, ["spec", "clusterIP"]);
  if (clusterIP !== "None") {
    return atRelated(bundle, service, ["spec", "clusterIP"], {
      status: "fail",
      expected,
      actual: `Service ${name} has clusterIP ${displayValue(clusterIP ?? "(auto)")}`,
      message: `Service ${name} is not headless: DNS returns one virtual IP instead of every pod.`,
    });
  }
  return atRelated(bundle, service, ["spec", "clusterIP"], {
    status: "pass",
    expected,
    actual: `headless Service ${name}`,
    message: `Replicas discover each other through headless Service ${name}.`,
  });
}

/** With more than one replica, the gateways sync rate limits over UDP 4290/4291 through a headless Service. */
export const syncPortsRule: Rule = {
  id: "sync-ports",
  severity: "warning",
  title: "Instance sync ports and discovery Service",
  rationale:
    "Gateway replicas share rate-limit counters and heartbeats over UDP 4290 and 4291 and find each other through the headless Service named by `neighborhood.host`; without them each replica enforces limits alone, so clients get N times the limit (portal, prod).",
  source: "portal, prod",
  remediation: `# container ports
ports:
- name: rate-limit-dc
  protocol: UDP
  containerPort: 4290
- name: dc-heartbeat
  protocol: UDP
  containerPort: 4291
---
# ConfigMap: neighborhood.host: "apim-gateway-instance-discovery"
apiVersion: v1
kind: Service
metadata:
  name: apim-gateway-instance-discovery
spec:
  clusterIP: None
  selector:
    app: apim-gateway
  ports:
  - name: rate-limit-discovery
    port: 4290
    targetPort: rate-limit-dc
    protocol: UDP
  - name: discovery-heartbeat
    port: 4291
    targetPort: dc-heartbeat
    protocol: UDP`,
  check(bundle) {
    const replicas = maximumReplicas(bundle);
    if (replicas <= 1) {
      return [
        at(bundle, containerPath(bundle, "ports"), {
          status: "pass",
          expected: "present when replicas > 1",
          actual: `${replicas} replica`,
          message: "Not needed with a single replica.",
        }),
      ];
    }
    return [checkPorts(bundle), checkHeadlessService(bundle)];
  },
};
