import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../shared/config/load.js";
import { clusterProvider } from "../../shared/kube/cluster.js";
import { targetLabel } from "../../shared/rotation/target.js";

const head = `
defaults:
  apim: { subscriptionId: 00000000-0000-0000-0000-000000000001, resourceGroup: rg, service: apim }
  keyVault: { url: https://kv.vault.azure.net }
  cluster: { context: prod }
gateways:
  - name: onprem
    apim: { gatewayId: onprem }
    keyVault: { secretName: onprem-token }
    deployments:
`;

function problemsOf(deployments: string): string {
  try {
    parseConfigText(head + deployments, "gg.yaml");
  } catch (error) {
    expect(error).toMatchObject({ name: "InputError" });
    return (error as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("delivery: pull in the configuration", () => {
  it("makes a pulled connection named by the cluster, beside a pushed deployment that takes the default cluster", () => {
    const config = parseConfigText(
      head +
        `      - { namespace: apim, deployment: gateway }
      - { delivery: pull, cluster: onprem-paris, namespace: apim, deployment: gateway }
      - { delivery: pull, cluster: edge-lyon, agentIntervalInMinutes: 15, namespace: apim, deployment: gateway }
`,
      "gg.yaml",
    );
    const [pushed, pulled, slow] = config.gateways[0].deployments;
    expect(pushed.cluster).toEqual({ type: "kubeconfig", context: "prod" });
    expect(pulled).toEqual({
      cluster: { type: "pulled", name: "onprem-paris", agentIntervalInMinutes: 5 },
      namespace: "apim",
      deployment: "gateway",
    });
    expect(slow.cluster).toMatchObject({ agentIntervalInMinutes: 15 });
    expect(targetLabel(pulled)).toBe("pulled:onprem-paris/apim/gateway");
  });

  it("names what is wrong with a pulled deployment, with its line", () => {
    const message =
      problemsOf(`      - { delivery: pull, cluster: Paris--1, namespace: apim, deployment: gateway }
      - { delivery: pull, namespace: apim, deployment: gateway }
      - { delivery: pull, cluster: onprem, agentIntervalInMinutes: 0, namespace: apim, deployment: gateway }
      - { delivery: carrier-pigeon, namespace: apim, deployment: gateway }
      - { agentIntervalInMinutes: 5, namespace: apim, deployment: gateway }
`);
    expect(message).toContain(
      "gateways[0].deployments[0].cluster.name: must be lowercase letters, digits and '-' (a DNS label) (line 11)",
    );
    expect(message).toContain("gateways[0].deployments[1].cluster.name: required (line 12)");
    expect(message).toContain(
      "gateways[0].deployments[2].cluster.agentIntervalInMinutes: must be more than 0",
    );
    expect(message).toContain('gateways[0].deployments[3].delivery: must be "push" or "pull" (line 14)');
    expect(message).toContain("gateways[0].deployments[4].agentIntervalInMinutes: unknown field (line 15)");
  });

  it("is never connected to by the service", () => {
    const cluster = clusterProvider();
    expect(() => cluster({ type: "pulled", name: "onprem-paris", agentIntervalInMinutes: 5 })).toThrow(
      /cluster onprem-paris is pulled \(delivery: pull\): the service never calls it/,
    );
  });
});
