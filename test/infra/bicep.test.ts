import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { appSettingNames, defaultRotationSchedule } from "../../shared/config/appSettings.js";
import { rotationQueueName } from "../../shared/config/triggers.cjs";

const read = (path: string) => readFileSync(new URL(`../../infra/${path}`, import.meta.url), "utf8");
const resources = read("resources.bicep");
const main = read("main.bicep");

/** App settings the template sets on the Function App: `{ name: 'X', value: ... }` entries. */
function templateAppSettings(): string[] {
  return [...resources.matchAll(/\{\s*name:\s*'([A-Za-z0-9_]+)',\s*value:/g)].map((match) => match[1]);
}

/** Settings the platform reads, not our code. */
const platformSettings = new Set([
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
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

  it("creates the rotation queue and its poison queue", () => {
    expect(resources).toContain(`name: '${rotationQueueName}'`);
    expect(resources).toContain(`name: '${rotationQueueName}-poison'`);
  });

  it("defaults the schedule to the code's default", () => {
    expect(main).toContain(`param rotationSchedule string = '${defaultRotationSchedule}'`);
  });

  it("runs Node 22 on a Flex Consumption plan", () => {
    expect(resources).toMatch(/runtime:\s*\{\s*name:\s*'node',\s*version:\s*'22'\s*\}/);
    expect(resources).toContain("FlexConsumption");
  });
});

describe("infra/modules/apim-access.bicep", () => {
  const apim = read("modules/apim-access.bicep");

  it("grants only gateway read and generateToken, and regenerateKey only when revocation is allowed", () => {
    const actions = [...apim.matchAll(/'(Microsoft\.ApiManagement\/service\/gateways\/[^']+)'/g)].map(
      (match) => match[1],
    );
    expect(actions.sort()).toEqual([
      "Microsoft.ApiManagement/service/gateways/generateToken/action",
      "Microsoft.ApiManagement/service/gateways/read",
      "Microsoft.ApiManagement/service/gateways/regenerateKey/action",
    ]);
    expect(apim).toMatch(/allowKeyRevocation \? concat\(baseActions, revokeActions\) : baseActions/);
    expect(apim).not.toMatch(/\*'/);
  });
});

describe("infra/main.parameters.json", () => {
  it("gives a value for every parameter of main.bicep without a default", () => {
    const parameters = JSON.parse(read("main.parameters.json")).parameters as Record<string, unknown>;
    const withoutDefault = [...main.matchAll(/^param (\w+) \w+\s*$/gm)].map((match) => match[1]);
    expect(withoutDefault.length).toBeGreaterThan(0);
    expect(withoutDefault.filter((name) => !(name in parameters))).toEqual([]);
  });
});
