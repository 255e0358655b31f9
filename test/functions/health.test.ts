import { afterEach, describe, expect, it, vi } from "vitest";
import { HttpRequest } from "@azure/functions";
import { health } from "../../functions/health.cjs";
import { useAppServices } from "../../shared/app/services.js";
import { packageInfo } from "../../shared/package.js";
import { captureContext, testServices } from "./helpers.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

const request = () => new HttpRequest({ method: "GET", url: "http://localhost:7071/api/health" });

describe("health", () => {
  it("answers 200 with the version and the gateway count, and nothing else", async () => {
    const { services } = await testServices();
    restore = useAppServices(services);
    const response = await health(request(), captureContext().context);
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual({
      status: "ok",
      name: "gateway-guard",
      version: packageInfo().version,
      configuration: { loaded: true, gateways: 2 },
    });
    expect(JSON.stringify(response.jsonBody)).not.toMatch(/contoso|vault|subscriptions/);
  });

  it("answers 503 naming the setting, and logs config.invalid, when the configuration is broken", async () => {
    vi.stubEnv("GATEWAY_GUARD_CONFIG", '{"gateways": [{"name": "contoso-eu", "apim": "secret-apim"}]}');
    try {
      const { context, log } = captureContext();
      const response = await health(request(), context);
      expect(response.status).toBe(503);
      expect(response.jsonBody).toMatchObject({
        status: "unavailable",
        configuration: {
          loaded: false,
          message:
            "the gateway configuration in app setting GATEWAY_GUARD_CONFIG could not be loaded (details in the app's log)",
        },
      });
      expect(JSON.stringify(response.jsonBody)).not.toMatch(/contoso|secret-apim/);
      expect(log.events("config.invalid")).toEqual([
        {
          setting: "GATEWAY_GUARD_CONFIG",
          at: "health",
          error: expect.stringContaining("invalid configuration in GATEWAY_GUARD_CONFIG"),
        },
      ]);
      expect(log.lines.map((line) => line.level)).toEqual(["error"]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("answers 503 naming ROTATION_SCHEDULE when the timer could not be registered", async () => {
    const { services } = await testServices({ env: { ROTATION_SCHEDULE: "0 3 * * *" } });
    restore = useAppServices(services);
    const { context, log } = captureContext();
    const response = await health(request(), context);
    expect(response.status).toBe(503);
    expect(response.jsonBody).toMatchObject({
      configuration: {
        loaded: false,
        message:
          "app setting ROTATION_SCHEDULE is malformed, so no rotation is scheduled (details in the app's log)",
      },
    });
    expect(log.events("config.invalid")).toEqual([
      expect.objectContaining({ setting: "ROTATION_SCHEDULE", at: "health" }),
    ]);
  });

  it("answers 503 without the error's detail when the configuration does not load", async () => {
    const { services } = await testServices({
      config: async () => {
        throw new Error("cannot read configuration file /home/site/secret-path.yaml: no such file");
      },
    });
    restore = useAppServices(services);
    const { context, log } = captureContext();
    const response = await health(request(), context);
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.jsonBody)).not.toContain("secret-path");
    expect(log.text()).toContain("secret-path");
  });

  it("answers 503 with the version and the malformed setting's name (not its value) when the settings do not read", async () => {
    vi.stubEnv("AzureWebJobsStorage__accountName", "Secret_Account_Name");
    try {
      const { context, log } = captureContext();
      const response = await health(request(), context);
      expect(response.status).toBe(503);
      expect(response.jsonBody).toEqual({
        status: "unavailable",
        name: "gateway-guard",
        version: packageInfo().version,
        configuration: {
          loaded: false,
          message:
            "the app's settings are invalid: AzureWebJobsStorage__accountName is malformed (details in the app's log)",
        },
      });
      expect(JSON.stringify(response.jsonBody)).not.toContain("Secret_Account_Name");
      expect(log.events("config.invalid")).toEqual([
        expect.objectContaining({ setting: "AzureWebJobsStorage__accountName", at: "health" }),
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
