import { afterEach, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import { health } from "../../functions/health.cjs";
import { useAppServices } from "../../shared/app/services.js";
import { packageInfo } from "../../shared/cli/package.js";
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
});
