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
      expect(log.events("app.settings-invalid")).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
