import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  deliverMarginInMs,
  loadAgentConfigFile,
  parseAgentConfig,
  parseDuration,
} from "../../shared/agent/config.js";

const valid = {
  cluster: "edge-paris",
  reportQueueUrl: "https://ggreports.queue.core.windows.net/gateway-guard-reports-edge-paris",
  interval: "2m",
  gateways: [
    {
      name: "orders",
      keyVault: { url: "my-kv", secretName: "orders-token" },
      deployments: [{ namespace: "apim", deployment: "orders-gateway", secretKey: "gateway-key" }],
    },
  ],
};

let directory: string | undefined;
afterEach(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
  directory = undefined;
});

function problems(raw: unknown): string {
  try {
    parseAgentConfig(raw, "agent.yaml");
  } catch (error) {
    expect((error as Error).name).toBe("InputError");
    return (error as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("the agent configuration", () => {
  it("becomes gateways the engine can run: in-cluster, no APIM call, delivering any token valid for another hour", () => {
    const config = parseAgentConfig(valid, "agent.yaml");
    expect(config).toMatchObject({ cluster: "edge-paris", intervalInMs: 120_000 });
    const [gateway] = config.gateways;
    expect(gateway.keyVault).toEqual({ url: "https://my-kv.vault.azure.net", secretName: "orders-token" });
    expect(gateway.deployments).toEqual([
      {
        cluster: { type: "inCluster" },
        namespace: "apim",
        deployment: "orders-gateway",
        secretKey: "gateway-key",
      },
    ]);
    expect(gateway.renewBeforeInDays * 86_400_000).toBe(deliverMarginInMs);
    expect(gateway.rolloutTimeoutInMs).toBe(600_000);
  });

  it("lists every problem with its path, including those of the shared gateway rules", () => {
    expect(problems({ ...valid, cluster: "Edge", extra: 1 })).toBe(
      [
        "invalid configuration in agent.yaml (2 problems):",
        "  cluster: must be lowercase letters, digits and '-' (a DNS label)",
        "  extra: unknown field",
      ].join("\n"),
    );
    const gateway = { ...valid.gateways[0], apim: "x", deployments: [{ namespace: "apim" }] };
    expect(problems({ ...valid, gateways: [gateway] })).toBe(
      [
        "invalid configuration in agent.yaml (2 problems):",
        "  gateways[0].deployments[0].deployment: required",
        "  gateways[0].apim: unknown field",
      ].join("\n"),
    );
    const bad = { ...valid.gateways[0], deployments: [{ namespace: "Apim", deployment: "orders-gateway" }] };
    expect(problems({ ...valid, gateways: [bad, bad] }).split("\n")).toEqual([
      "invalid configuration in agent.yaml (4 problems):",
      "  gateways[0].deployments[0].namespace: must be a namespace name (lowercase letters, digits and '-', a DNS label)",
      "  gateways[1].deployments[0].namespace: must be a namespace name (lowercase letters, digits and '-', a DNS label)",
      '  gateways[1].name: "orders" is already used by gateways[0]',
      "  gateways[1].keyVault.secretName: already holds the token of gateways[0]; each gateway needs its own secret",
    ]);
  });

  it("wants the cluster's own report queue, over https (http only on loopback, for Azurite)", () => {
    expect(
      problems({ ...valid, reportQueueUrl: "https://a.queue.core.windows.net/gateway-guard-reports-other" }),
    ).toContain(
      "reportQueueUrl: must name this cluster's queue gateway-guard-reports-edge-paris, not gateway-guard-reports-other",
    );
    expect(
      problems({
        ...valid,
        reportQueueUrl: "http://a.queue.core.windows.net/gateway-guard-reports-edge-paris",
      }),
    ).toContain("reportQueueUrl: must be an https:// URL");
    expect(
      parseAgentConfig(
        {
          ...valid,
          reportQueueUrl: "http://127.0.0.1:10001/devstoreaccount1/gateway-guard-reports-edge-paris",
        },
        "agent.yaml",
      ).reportQueueUrl,
    ).toContain("127.0.0.1");
    expect(problems({ ...valid, interval: "5 minutes" })).toContain(
      'interval: must be a duration of at least 10s such as 90s, 5m or 1h, not "5 minutes"',
    );
  });

  it("reads durations with units", () => {
    expect(parseDuration("90s", "--interval")).toBe(90_000);
    expect(parseDuration("1h", "--interval")).toBe(3_600_000);
    expect(() => parseDuration("5", "--interval")).toThrow("--interval must be a duration of at least 10s");
    expect(() => parseDuration("500ms", "--interval")).toThrow("at least 10s");
  });

  it("names the line of a problem in a YAML file", async () => {
    directory = await mkdtemp(join(tmpdir(), "agent-config-"));
    const path = join(directory, "agent.yaml");
    await writeFile(
      path,
      [
        "cluster: edge-paris",
        "reportQueueUrl: https://a.queue.core.windows.net/gateway-guard-reports-edge-paris",
        "gateways:",
        "  - name: orders",
        "    keyVault: { url: my-kv, secretName: orders-token }",
        "    deployments:",
        "      - namespace: apim",
        "        deployment: Orders",
      ].join("\n"),
    );
    await expect(loadAgentConfigFile(path)).rejects.toThrow(
      /gateways\[0\]\.deployments\[0\]\.deployment: .* \(line 8\)/,
    );
  });
});
