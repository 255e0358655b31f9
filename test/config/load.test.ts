import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findGateway,
  loadConfigFile,
  loadConfigFromSettings,
  parseConfigText,
} from "../../shared/config/load.js";

function configYaml(eastNamespace = ""): string {
  return `# two gateways
defaults:
  apim:
    subscriptionId: 00000000-0000-0000-0000-000000000001
    resourceGroup: rg
    service: apim
  keyVault:
    url: https://kv.vault.azure.net
gateways:
  - name: west
    apim: { gatewayId: west }
    keyVault: { secretName: west-token }
    deployments:
      - cluster: { type: kubeconfig, context: prod-west }
        namespace: apim
        deployment: gateway
  - name: east
    apim: { gatewayId: east }
    keyVault: { secretName: east-token }
    deployments:
      - cluster: { type: inCluster }
${eastNamespace}        deployment: gateway
`;
}
const yaml = configYaml();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "guard-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("loadConfigFile", () => {
  it("loads YAML and reports problems with their lines", async () => {
    const path = await file("bad.yaml", yaml);
    await expect(loadConfigFile(path)).rejects.toMatchObject({
      name: "InputError",
      message: `invalid configuration in ${path} (1 problem):\n  gateways[1].deployments[0].namespace: required (line 21)`,
    });
    const fixed = await file("good.yaml", configYaml("        namespace: edge\n"));
    const config = await loadConfigFile(fixed);
    expect(config.gateways.map((g) => g.name)).toEqual(["west", "east"]);
    expect(config.gateways[1].deployments[0]).toMatchObject({
      namespace: "edge",
      cluster: { type: "inCluster" },
    });
  });

  it("loads JSON", async () => {
    const json = {
      gateways: [
        {
          name: "one",
          apim: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/gateways/one",
          keyVault: { url: "kv", secretName: "one-token" },
          deployments: [{ namespace: "n", deployment: "d" }],
        },
      ],
    };
    const config = await loadConfigFile(await file("c.json", JSON.stringify(json, null, 2)));
    expect(config.gateways[0].keyVault.url).toBe("https://kv.vault.azure.net");
  });

  it("says what is wrong with a missing, empty or malformed file", async () => {
    await expect(loadConfigFile(join(dir, "missing.yaml"))).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("no such file"),
    });
    await expect(loadConfigFile(await file("empty.yaml", "# nothing\n"))).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("is empty"),
    });
    await expect(
      loadConfigFile(await file("broken.yaml", "gateways:\n  - name: [a\n")),
    ).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringMatching(/is not valid YAML or JSON:\n {2}line \d+, column \d+: /),
    });
  });
});

describe("parseConfigText", () => {
  it("points an unknown field at its own line", () => {
    expect(() =>
      parseConfigText(yaml.replace("  - name: east", "  - name: east\n    colour: blue"), "inline"),
    ).toThrow(/gateways\[1\]\.colour: unknown field \(line 18\)/);
  });
});

describe("loadConfigFromSettings", () => {
  const inline = JSON.stringify({
    gateways: [
      {
        name: "inline",
        apim: {
          subscriptionId: "00000000-0000-0000-0000-000000000001",
          resourceGroup: "rg",
          service: "s",
          gatewayId: "g",
        },
        keyVault: { url: "https://kv.vault.azure.net", secretName: "t" },
        deployments: [{ cluster: "inCluster", namespace: "n", deployment: "d" }],
      },
    ],
  });

  it("reads GATEWAY_GUARD_CONFIG, which wins over the file", async () => {
    const config = await loadConfigFromSettings({
      GATEWAY_GUARD_CONFIG: inline,
      GATEWAY_GUARD_CONFIG_FILE: "/nope",
    });
    expect(config.gateways[0].name).toBe("inline");
  });

  it("reads GATEWAY_GUARD_CONFIG_FILE", async () => {
    const path = await file("settings.json", inline);
    const config = await loadConfigFromSettings({ GATEWAY_GUARD_CONFIG_FILE: path });
    expect(config.gateways[0].name).toBe("inline");
  });

  it("names both settings when neither is set, and the setting in errors", async () => {
    await expect(loadConfigFromSettings({})).rejects.toMatchObject({
      name: "InputError",
      message: expect.stringContaining("GATEWAY_GUARD_CONFIG_FILE"),
    });
    await expect(loadConfigFromSettings({ GATEWAY_GUARD_CONFIG: '{"gateways": []}' })).rejects.toMatchObject({
      message: expect.stringContaining("invalid configuration in GATEWAY_GUARD_CONFIG"),
    });
  });

  it("names the app setting to fix in the error's setting, for config.invalid", async () => {
    await expect(loadConfigFromSettings({})).rejects.toMatchObject({ setting: "GATEWAY_GUARD_CONFIG" });
    await expect(
      loadConfigFromSettings({
        GATEWAY_GUARD_CONFIG: '{"gateways": []}',
        GATEWAY_GUARD_CONFIG_FILE: "/nope",
      }),
    ).rejects.toMatchObject({ name: "InputError", setting: "GATEWAY_GUARD_CONFIG" });
    await expect(
      loadConfigFromSettings({ GATEWAY_GUARD_CONFIG_FILE: "/nonexistent/gateway-guard.yaml" }),
    ).rejects.toMatchObject({ name: "InputError", setting: "GATEWAY_GUARD_CONFIG_FILE" });
  });
});

describe("findGateway", () => {
  it("finds by name or names the configured ones", async () => {
    const config = parseConfigText(configYaml("        namespace: edge\n"), "x");
    expect(findGateway(config, "east").apim.gatewayId).toBe("east");
    expect(() => findGateway(config, "north")).toThrow(
      expect.objectContaining({
        name: "NotFoundError",
        message: 'gateway "north" is not configured (configured: west, east)',
      }),
    );
  });
});
