import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apimPermissions } from "../../shared/azure/apim.js";
import { appSettingNames, defaultRotationSchedule } from "../../shared/config/appSettings.js";
import { rotationQueueName } from "../../shared/config/triggers.cjs";
import { parseWebhook } from "../../shared/webhook/parse.js";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, "infra", path), "utf8");
const resources = read("resources.bicep");
const main = read("main.bicep");
const bicepFiles = [
  "main.bicep",
  "resources.bicep",
  ...readdirSync(join(root, "infra", "modules")).map((f) => `modules/${f}`),
];

/** App settings the template sets on the Function App: `{ name: 'X', value: ... }` entries. */
function templateAppSettings(): string[] {
  return [...resources.matchAll(/\{\s*name:\s*'([A-Za-z0-9_]+)',\s*value:/g)].map((match) => match[1]!);
}

/** The quoted strings of a Bicep array variable or property, e.g. `var tokenActions = [...]`. */
function quotedIn(text: string, pattern: RegExp): string[] {
  const block = text.match(pattern)?.[1] ?? "";
  return [...block.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
}

/** Settings the platform reads, not our code. */
/** Settings read by the platform (Application Insights, Node itself), not by gateway-guard's code. */
const platformSettings = new Set([
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  "NODE_OPTIONS",
]);

describe("infra/resources.bicep", () => {
  it("sets every app setting that a deployment to Azure needs", () => {
    const set = templateAppSettings();
    const required = appSettingNames
      .filter((setting) => setting.requiredInAzure)
      .map((setting) => setting.name);
    expect(required.length).toBeGreaterThan(3);
    expect(required.filter((name) => !set.includes(name))).toEqual([]);
  });

  it("sets no app setting that the code does not know", () => {
    const known = new Set(appSettingNames.map((setting) => setting.name));
    expect(templateAppSettings().filter((name) => !known.has(name) && !platformSettings.has(name))).toEqual(
      [],
    );
  });

  it("uses identity-based storage, never a connection string or a shared key", () => {
    expect(templateAppSettings()).not.toContain("AzureWebJobsStorage");
    expect(resources).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(resources).toMatch(/AzureWebJobsStorage__credential',\s*value:\s*'managedidentity'/);
  });

  it("takes the storage endpoints from the account itself, so sovereign clouds work", () => {
    expect(resources).toMatch(
      /AzureWebJobsStorage__queueServiceUri',\s*value:\s*storage\.properties\.primaryEndpoints\.queue\s*\}/,
    );
    expect(resources).toMatch(
      /AzureWebJobsStorage__blobServiceUri',\s*value:\s*storage\.properties\.primaryEndpoints\.blob\s*\}/,
    );
    for (const file of bicepFiles)
      expect(read(file), file).not.toMatch(/core\.windows\.net|azurewebsites\.net/);
  });

  it("creates the rotation queue and its poison queue", () => {
    expect(resources).toContain(`name: '${rotationQueueName}'`);
    expect(resources).toContain(`name: '${rotationQueueName}-poison'`);
  });

  it("defaults the schedule to the code's default, once a day as the dead man's switch assumes", () => {
    expect(main).toContain(`param rotationSchedule string = '${defaultRotationSchedule}'`);
    expect(defaultRotationSchedule.split(" ").slice(2)).toEqual(["3", "*", "*", "*"]);
    expect(main).toContain("param rotationIntervalInHours int = 24");
  });

  it("runs Node 22 on a Flex Consumption plan", () => {
    expect(resources).toMatch(/runtime:\s*\{\s*name:\s*'node',\s*version:\s*'22'\s*\}/);
    expect(resources).toContain("FlexConsumption");
  });
});

describe("API versions", () => {
  it("are GA wherever a GA version exists: no preview", () => {
    const versions = bicepFiles.flatMap((file) =>
      [...read(file).matchAll(/'([A-Za-z.]+\/[A-Za-z/]+)@([0-9-]+[a-z-]*)'/g)].map((m) => `${m[1]}@${m[2]}`),
    );
    expect(versions.length).toBeGreaterThan(10);
    expect(versions.filter((v) => v.includes("preview"))).toEqual([]);
    expect(versions).toContain("Microsoft.Insights/scheduledQueryRules@2023-12-01");
    expect(versions).toContain("Microsoft.EventGrid/systemTopics@2022-06-15");
  });
});

describe("infra/modules/apim-access.bicep", () => {
  const apim = read("modules/apim-access.bicep");
  const tokenActions = quotedIn(apim, /var tokenActions = \[([^\]]*)\]/);
  const revokeActions = quotedIn(apim, /var revokeActions = \[([^\]]*)\]/);

  it("grants generateToken, and listKeys and regenerateKey only when revocation is allowed", () => {
    expect(tokenActions).toEqual([apimPermissions.generateToken]);
    expect(revokeActions.sort()).toEqual([apimPermissions.listKeys, apimPermissions.regenerateKey].sort());
    expect(apim).toMatch(/allowKeyRevocation \? concat\(tokenActions, revokeActions\) : tokenActions/);
    const granted = [...apim.matchAll(/'(Microsoft\.ApiManagement\/service\/gateways\/[^']+)'/g)].map(
      (match) => match[1],
    );
    expect(granted.sort()).toEqual([...tokenActions, ...revokeActions].sort());
    expect(apim).not.toMatch(/\*'/);
  });

  it("grants no gateway read: the code never reads a gateway", () => {
    expect(apim).not.toContain("Microsoft.ApiManagement/service/gateways/read");
    const azure = readdirSync(join(root, "shared", "azure")).map((file) =>
      readFileSync(join(root, "shared", "azure", file), "utf8"),
    );
    expect(azure.join("\n")).not.toMatch(/\.gateway\.(get|listByService|getEntityTag)\(/);
  });

  it("keeps one role with a stable id, so switching allowKeyRevocation edits it in place", () => {
    const roleName = apim.match(/var roleName = '([^']+)'/)?.[1];
    expect(roleName).toContain("${uniqueString(resourceGroup().id, deploymentToken)}");
    expect(roleName).not.toContain("allowKeyRevocation");
    expect(apim).toMatch(/resource tokenRole '[^']+' = \{\s*name: guid\(resourceGroup\(\)\.id, roleName\)/);
    expect(apim).toMatch(/roleName: roleName\b/);
    expect(apim).toMatch(/name: guid\(apim\.id, principalId, tokenRole\.id\)/);
  });
});

describe("infra/modules/role-assignments.bicep", () => {
  const roles = read("modules/role-assignments.bicep");

  it("gives Key Vault exactly the data actions the code calls (get, list versions of and set a secret), no built-in role", () => {
    const vaultCode = readFileSync(join(root, "shared", "azure", "keyvault.ts"), "utf8");
    const called = [...new Set(vaultCode.match(/Microsoft\.KeyVault\/vaults\/secrets\/\w+\/action/g))];
    expect(called.sort()).toEqual([
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
      "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    ]);
    expect(quotedIn(roles, /dataActions: \[([^\]]*)\]/).sort()).toEqual(called.sort());
    expect(roles).toMatch(/actions: \[\]/);
    // Key Vault Secrets Officer and Administrator: broader than the calls.
    for (const file of bicepFiles) {
      expect(read(file), file).not.toMatch(
        /b86a8fe4-44ce-4948-aee5-eccb2c155cd7|00482a5a-887f-4fb3-b363-3b7fe8e74483/,
      );
    }
    expect(roles).toMatch(
      /resource vaultRole '[^']+' = \{\s*name: guid\(resourceGroup\(\)\.id, vaultRoleName\)/,
    );
    expect(roles).toMatch(/roleDefinitionId: vaultRole\.id/);
  });
});

describe("infra/modules/apim-events.bicep", () => {
  const events = read("modules/apim-events.bicep");
  const fixture = JSON.parse(
    readFileSync(
      join(root, "test", "fixtures", "webhooks", "eventgrid-apim-gateway-token-near-expiry.json"),
      "utf8",
    ),
  ) as Array<Record<string, unknown>>;

  it("subscribes the webhook to API Management's gateway token events, and the webhook accepts each", () => {
    const types = quotedIn(events, /includedEventTypes: \[([^\]]*)\]/);
    expect(types.sort()).toEqual([
      "Microsoft.ApiManagement.GatewayTokenExpired",
      "Microsoft.ApiManagement.GatewayTokenNearExpiry",
    ]);
    const headers = { get: (name: string) => (name === "aeg-event-type" ? "Notification" : null) };
    for (const eventType of types) {
      const request = parseWebhook(headers, [{ ...fixture[0], eventType }]);
      expect(request, eventType).toMatchObject({ kind: "rotate" });
    }
    expect(events).toContain("topicType: 'Microsoft.ApiManagement.Service'");
    expect(events).toMatch(
      /endpointUrl: 'https:\/\/\$\{functionApp\.properties\.defaultHostName\}\/api\/rotations\?code=/,
    );
  });

  it("is optional, one system topic per instance given, and Key Vault events are gone", () => {
    expect(main).toContain("param apimEventSourceIds string = ''");
    expect(main).toMatch(
      /module apimEvents 'modules\/apim-events\.bicep' = \[\s*for \(sourceId, i\) in apimEventSources:/,
    );
    for (const file of bicepFiles)
      expect(read(file), file).not.toMatch(/Microsoft\.KeyVault\.Secret(NearExpiry|Expired)/);
  });
});

describe("infra/main.parameters.json", () => {
  it("carries every parameter of main.bicep, with the default where it has one", () => {
    const parameters = JSON.parse(read("main.parameters.json")).parameters as Record<
      string,
      { value: string }
    >;
    const declared = [...main.matchAll(/^param (\w+) (\w+)(?: = (.+))?$/gm)].map((match) => ({
      name: match[1]!,
      fallback: match[3]?.replace(/^'(.*)'$/, "$1"),
    }));
    expect(declared.length).toBeGreaterThan(8);
    expect(Object.keys(parameters).sort()).toEqual(declared.map((p) => p.name).sort());
    for (const { name, fallback } of declared) {
      if (fallback !== undefined)
        expect(parameters[name]!.value, name).toMatch(new RegExp(`=${escape(fallback)}\\}$`));
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
