import { describe, expect, it } from "vitest";
import {
  appSettingNames,
  defaultRotationSchedule,
  readAppSettings,
} from "../../shared/config/appSettings.js";

describe("readAppSettings", () => {
  it("applies defaults to an empty environment", () => {
    expect(readAppSettings({})).toEqual({
      configJson: undefined,
      configFile: undefined,
      storage: undefined,
      azureClientId: undefined,
      armEndpoint: undefined,
      webhookAllowedOrigins: [],
      rotationSchedule: { schedule: "0 0 3 * * *", problem: undefined },
      kubeEnvironment: {},
      rotationSpreadInMinutes: 60,
      rolloutsPerCluster: 4,
      rolloutSlotsNamespace: undefined,
    });
    expect(defaultRotationSchedule).toBe("0 0 3 * * *");
  });

  it("reads the spread window and the rollout cap, 0 turning either off, and names a bad value", () => {
    expect(
      readAppSettings({
        ROTATION_SPREAD_IN_MINUTES: "0",
        ROTATION_ROLLOUTS_PER_CLUSTER: "0",
        ROTATION_SLOTS_NAMESPACE: "gateway-guard",
      }),
    ).toMatchObject({
      rotationSpreadInMinutes: 0,
      rolloutsPerCluster: 0,
      rolloutSlotsNamespace: "gateway-guard",
    });
    expect(() => readAppSettings({ ROTATION_SPREAD_IN_MINUTES: "721" })).toThrow(
      'app setting ROTATION_SPREAD_IN_MINUTES: expected a whole number of minutes from 0 to 720, got "721"',
    );
    expect(() => readAppSettings({ ROTATION_ROLLOUTS_PER_CLUSTER: "two" })).toThrow(
      'app setting ROTATION_ROLLOUTS_PER_CLUSTER: expected a whole number of rollouts from 0 to 100, got "two"',
    );
    expect(() => readAppSettings({ ROTATION_SLOTS_NAMESPACE: "Gateway_Guard" })).toThrow(
      /ROTATION_SLOTS_NAMESPACE: expected a namespace name/,
    );
  });

  it("reads an identity-based storage connection from the account name, with the client id", () => {
    expect(
      readAppSettings({
        AzureWebJobsStorage__accountName: "stguard",
        AzureWebJobsStorage__credential: "managedidentity",
        AzureWebJobsStorage__clientId: "cid",
      }).storage,
    ).toEqual({
      kind: "identity",
      queueServiceUri: "https://stguard.queue.core.windows.net",
      credential: "managedidentity",
      clientId: "cid",
    });
  });

  it("prefers queueServiceUri, falls back to AZURE_CLIENT_ID, and takes a connection string first (Azurite)", () => {
    const env = { AzureWebJobsStorage__queueServiceUri: "https://q.example/", AZURE_CLIENT_ID: "app-id" };
    expect(readAppSettings(env).storage).toEqual({
      kind: "identity",
      queueServiceUri: "https://q.example/",
      credential: undefined,
      clientId: "app-id",
    });
    expect(readAppSettings({ ...env, AzureWebJobsStorage: "UseDevelopmentStorage=true" }).storage).toEqual({
      kind: "connectionString",
      connectionString: "UseDevelopmentStorage=true",
    });
  });

  it("keeps only the Kubernetes variables for the kube connections", () => {
    const settings = readAppSettings({
      KUBECONFIG: "/home/site/kubeconfig",
      HOME: "/home",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      PATH: "/usr/bin",
      AZURE_CLIENT_ID: "app-id",
    });
    expect(settings.kubeEnvironment).toEqual({
      KUBECONFIG: "/home/site/kubeconfig",
      HOME: "/home",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
    });
  });

  it("reads the configuration, ARM endpoint and allowed origins", () => {
    const settings = readAppSettings({
      GATEWAY_GUARD_CONFIG: '{"gateways":[]}',
      GATEWAY_GUARD_CONFIG_FILE: " /home/site/config.yaml ",
      GATEWAY_GUARD_ARM_ENDPOINT: "https://management.usgovcloudapi.net",
      GATEWAY_GUARD_WEBHOOK_ALLOWED_ORIGINS: "EventGrid.azure.net, , example.org",
    });
    expect(settings).toMatchObject({
      configJson: '{"gateways":[]}',
      configFile: "/home/site/config.yaml",
      armEndpoint: "https://management.usgovcloudapi.net",
      webhookAllowedOrigins: ["eventgrid.azure.net", "example.org"],
    });
  });

  it.each([
    [{ GATEWAY_GUARD_ARM_ENDPOINT: "management" }, /GATEWAY_GUARD_ARM_ENDPOINT: expected an absolute URL/],
    [{ AzureWebJobsStorage__accountName: "Bad_Name" }, /AzureWebJobsStorage__accountName: expected 3-24/],
    [
      { AzureWebJobsStorage__queueServiceUri: "queue" },
      /AzureWebJobsStorage__queueServiceUri: expected an absolute URL/,
    ],
  ])("refuses %o naming the setting", (env, message) => {
    expect(() => readAppSettings(env)).toThrowError(message);
    expect(() => readAppSettings(env)).toThrowError(expect.objectContaining({ name: "InputError" }));
  });

  it("does not echo a malformed queueServiceUri, which may carry a SAS signature", () => {
    const sig = "sv=2024&sig=c2VjcmV0U2lnbmF0dXJl";
    const error = (() => {
      try {
        readAppSettings({ AzureWebJobsStorage__queueServiceUri: `stguard.queue.core.windows.net/?${sig}` });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain("got (not a URL)");
    expect(error?.message).not.toContain("c2VjcmV0U2lnbmF0dXJl");
  });

  it("reports a malformed ROTATION_SCHEDULE without throwing, so a bad one does not break the other functions", () => {
    const settings = readAppSettings({ ROTATION_SCHEDULE: "0 3 * * *", GATEWAY_GUARD_CONFIG: "{}" });
    expect(settings.configJson).toBe("{}");
    expect(settings.rotationSchedule).toEqual({
      schedule: "0 3 * * *",
      problem: expect.stringContaining("app setting ROTATION_SCHEDULE: expected an NCRONTAB expression"),
    });
    expect(readAppSettings({ ROTATION_SCHEDULE: "0 30 2 * * *" }).rotationSchedule).toEqual({
      schedule: "0 30 2 * * *",
      problem: undefined,
    });
  });

  it("lists every setting it reads, each with a meaning and a default", () => {
    const names = appSettingNames.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "GATEWAY_GUARD_CONFIG",
        "GATEWAY_GUARD_CONFIG_FILE",
        "ROTATION_SCHEDULE",
        "AzureWebJobsStorage",
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AZURE_CLIENT_ID",
        "GATEWAY_GUARD_ARM_ENDPOINT",
        "GATEWAY_GUARD_WEBHOOK_ALLOWED_ORIGINS",
      ]),
    );
    for (const setting of appSettingNames) {
      expect(setting.meaning.length).toBeGreaterThan(10);
      expect(setting.default.length).toBeGreaterThan(0);
    }
  });

  it("reads no setting that appSettingNames does not list", async () => {
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL("../../shared/config/appSettings.ts", import.meta.url), "utf8");
    const read = [...source.matchAll(/(?:value\("|env\.)([A-Za-z_]+)/g)].map((m) => m[1]);
    expect(read).toEqual(
      expect.arrayContaining([
        "GATEWAY_GUARD_ARM_ENDPOINT",
        "GATEWAY_GUARD_CONFIG",
        "AzureWebJobsStorage__accountName",
      ]),
    );
    const listed = new Set(appSettingNames.map((s) => s.name));
    expect(read.filter((name) => !listed.has(name!))).toEqual([]);
  });
});
