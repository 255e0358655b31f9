import { describe, expect, it } from "vitest";
import { aksDefaultScope, formatPath, parseConfig } from "../../shared/config/schema.js";

const sub = "00000000-0000-0000-0000-000000000001";

function gateway(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "west-eu",
    apim: { subscriptionId: sub, resourceGroup: "rg", service: "apim", gatewayId: "gw1" },
    keyVault: { url: "https://kv.vault.azure.net", secretName: "west-eu-token" },
    deployments: [
      { cluster: { type: "kubeconfig", context: "prod" }, namespace: "apim", deployment: "gateway" },
    ],
    ...overrides,
  };
}

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, "guard.yaml");
  } catch (error) {
    expect(error).toMatchObject({ name: "InputError" });
    const [first, ...rest] = (error as Error).message.split("\n");
    expect(first).toMatch(/^invalid configuration in guard\.yaml \(\d+ problems?\):$/);
    return rest.map((line) => line.trim());
  }
  throw new Error("expected an InputError");
}

describe("parseConfig", () => {
  it("applies the defaults", () => {
    const config = parseConfig({ gateways: [gateway()] }, "guard.yaml");
    expect(config).toEqual({
      gateways: [
        {
          ...gateway(),
          tokenLifetimeInDays: 29,
          renewBeforeInDays: 7,
          revokeOldKey: false,
          rolloutTimeoutInMs: 600_000,
        },
      ],
    });
  });

  it("accepts an ARM resource id for the gateway, as a string or as resourceId", () => {
    const id = `/subscriptions/${sub}/resourceGroups/my-rg/providers/Microsoft.ApiManagement/service/my-apim/gateways/edge`;
    const expected = { subscriptionId: sub, resourceGroup: "my-rg", service: "my-apim", gatewayId: "edge" };
    expect(parseConfig({ gateways: [gateway({ apim: id })] }, "x").gateways[0].apim).toEqual(expected);
    expect(parseConfig({ gateways: [gateway({ apim: { resourceId: id } })] }, "x").gateways[0].apim).toEqual(
      expected,
    );
  });

  it("reads every cluster type and infers the type when it is evident", () => {
    const deployments = [
      { cluster: { type: "kubeconfig", path: "/k", context: "c" }, namespace: "a", deployment: "d" },
      { cluster: { vaultUrl: "kv2", secretName: "kubeconfig-edge" }, namespace: "b", deployment: "d" },
      { cluster: "inCluster", namespace: "c", deployment: "d" },
      {
        cluster: { server: "https://aks.example:443", certificateAuthorityData: "TFMwdA==" },
        namespace: "e",
        deployment: "d",
      },
      { namespace: "f", deployment: "d", secretName: "token", secretKey: "config.service.auth.key" },
    ];
    const config = parseConfig({ gateways: [gateway({ deployments })] }, "x");
    expect(config.gateways[0].deployments.map((d) => d.cluster)).toEqual([
      { type: "kubeconfig", path: "/k", context: "c" },
      { type: "keyVaultKubeconfig", vaultUrl: "https://kv2.vault.azure.net", secretName: "kubeconfig-edge" },
      { type: "inCluster" },
      {
        type: "aks",
        server: "https://aks.example:443",
        certificateAuthorityData: "TFMwdA==",
        scope: aksDefaultScope,
      },
      { type: "kubeconfig" },
    ]);
    expect(config.gateways[0].deployments[4]).toMatchObject({
      secretName: "token",
      secretKey: "config.service.auth.key",
    });
  });

  it("applies top-level defaults to each gateway; the gateway's own values win", () => {
    const config = parseConfig(
      {
        armEndpoint: "http://127.0.0.1:7001/",
        defaults: {
          apim: { subscriptionId: sub, resourceGroup: "shared-rg", service: "apim" },
          keyVault: { url: "https://shared.vault.azure.net/" },
          cluster: { type: "inCluster" },
          tokenLifetimeInDays: 20,
          renewBeforeInDays: 5,
          revokeOldKey: true,
          rolloutTimeoutInMs: 120_000,
        },
        gateways: [
          {
            name: "a",
            apim: { gatewayId: "gw-a" },
            keyVault: { secretName: "a-token" },
            deployments: [{ namespace: "n", deployment: "d" }],
          },
          {
            name: "b",
            apim: { gatewayId: "gw-b", resourceGroup: "other-rg" },
            keyVault: { secretName: "b-token" },
            deployments: [{ cluster: { context: "edge" }, namespace: "n", deployment: "d" }],
            revokeOldKey: false,
          },
        ],
      },
      "x",
    );
    expect(config.armEndpoint).toBe("http://127.0.0.1:7001");
    const [a, b] = config.gateways;
    expect(a).toMatchObject({
      apim: { subscriptionId: sub, resourceGroup: "shared-rg", service: "apim", gatewayId: "gw-a" },
      keyVault: { url: "https://shared.vault.azure.net", secretName: "a-token" },
      deployments: [{ cluster: { type: "inCluster" } }],
      tokenLifetimeInDays: 20,
      renewBeforeInDays: 5,
      revokeOldKey: true,
      rolloutTimeoutInMs: 120_000,
    });
    expect(b.apim.resourceGroup).toBe("other-rg");
    expect(b.deployments[0].cluster).toEqual({ type: "kubeconfig", context: "edge" });
    expect(b.revokeOldKey).toBe(false);
  });

  it("lists every problem with its path, one per line", () => {
    const lines = problems({
      gateways: [
        gateway(),
        gateway({ name: "b", keyVault: { url: "https://kv.vault.azure.net", secretName: "b-token" } }),
        gateway({
          name: "c",
          keyVault: { url: "http://kv", secretName: "c_token" },
          deployments: [
            { deployment: "gateway", cluster: { type: "aks" } },
            { namespace: "Bad NS", deployment: 7, extra: 1 },
          ],
          tokenLifetimeInDays: 31,
        }),
        gateway({ apim: { subscriptionId: "nope", resourceGroup: "rg", service: "s" } }),
      ],
      unknown: true,
    });
    expect(lines).toEqual([
      "gateways[2].keyVault.url: must be an https:// URL",
      "gateways[2].keyVault.secretName: must be a Key Vault secret name (letters, digits and '-', at most 127)",
      "gateways[2].deployments[0].cluster.server: required",
      "gateways[2].deployments[0].namespace: required",
      "gateways[2].deployments[1].namespace: must be a namespace name (lowercase letters, digits and '-', a DNS label)",
      "gateways[2].deployments[1].deployment: must be a Deployment name, not number 7",
      "gateways[2].deployments[1].extra: unknown field",
      "gateways[2].tokenLifetimeInDays: must be at most 30 (ARM's limit)",
      "gateways[3].apim.subscriptionId: must be a subscription id (UUID)",
      "gateways[3].apim.gatewayId: required",
      "unknown: unknown field",
      'gateways[3].name: "west-eu" is already used by gateways[0]',
      "gateways[3].keyVault.secretName: already holds the token of gateways[0]; each gateway needs its own secret",
    ]);
  });

  it("rejects renew-before not less than the lifetime, and a lifetime over 30 days", () => {
    expect(problems({ gateways: [gateway({ tokenLifetimeInDays: 10, renewBeforeInDays: 10 })] })).toEqual([
      "gateways[0].renewBeforeInDays: must be less than tokenLifetimeInDays (10), or every run would rotate",
    ]);
    expect(problems({ gateways: [gateway({ tokenLifetimeInDays: 45 })] })).toEqual([
      "gateways[0].tokenLifetimeInDays: must be at most 30 (ARM's limit)",
    ]);
  });

  it("explains wrong types and a bad resource id", () => {
    expect(
      problems({
        gateways: [
          gateway({
            apim: "/subscriptions/x/gateways/y",
            revokeOldKey: "yes",
            deployments: {},
            rolloutTimeoutInMs: 1.5,
          }),
        ],
      }),
    ).toEqual([
      "gateways[0].apim: must be an ARM gateway id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<service>/gateways/<gateway>",
      "gateways[0].deployments: must be a list of deployments",
      "gateways[0].revokeOldKey: must be true or false",
      "gateways[0].rolloutTimeoutInMs: must be a whole number of milliseconds",
    ]);
    expect(problems([])).toEqual(["(top level): must be a mapping, not a list"]);
    expect(problems({})).toEqual(["gateways: required"]);
    expect(problems({ gateways: [] })).toEqual(["gateways: must list at least one gateway"]);
  });

  it("reports bad defaults once, under defaults", () => {
    const lines = problems({
      defaults: { tokenLifetimeInDays: 0, apim: { subscriptionId: sub, colour: "blue" } },
      gateways: [gateway()],
    });
    expect(lines).toEqual([
      "defaults.apim.colour: unknown field",
      "defaults.tokenLifetimeInDays: must be more than 0",
    ]);
  });

  it("adds the line of each problem when the source can tell", () => {
    try {
      parseConfig({ gateways: [gateway({ name: "Bad" })] }, "guard.yaml", {
        lineOf: (path) => path.length * 10,
      });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("gateways[0].name: must be a gateway name");
      expect((error as Error).message).toContain("(line 30)");
    }
  });
});

describe("formatPath", () => {
  it("writes indexes in brackets", () => {
    expect(formatPath(["gateways", 2, "deployments", 0, "namespace"])).toBe(
      "gateways[2].deployments[0].namespace",
    );
    expect(formatPath([])).toBe("");
  });
});
