import { afterEach, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import { driftCheck } from "../../functions/driftCheck.cjs";
import { rotationWebhook } from "../../functions/rotationWebhook.cjs";
import { configurationErrorResult } from "../../shared/app/http.js";
import { useAppServices } from "../../shared/app/services.js";
import { captureContext, testServices } from "./helpers.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe("configurationErrorResult", () => {
  it("answers 500 ConfigurationError with a pointer to the log, and logs the detail as config.invalid", () => {
    const { context, log } = captureContext();
    const result = configurationErrorResult(
      Object.assign(new Error("GATEWAY_GUARD_CONFIG: gateways[0].name: required"), {
        setting: "GATEWAY_GUARD_CONFIG",
      }),
      context,
      "test",
      "configuration",
    );
    expect(result).toEqual({
      status: 500,
      jsonBody: {
        error: "ConfigurationError",
        message: "the app's gateway configuration could not be loaded (details in the app's log)",
      },
    });
    expect(log.events("config.invalid")).toEqual([
      {
        setting: "GATEWAY_GUARD_CONFIG",
        at: "test",
        error: "GATEWAY_GUARD_CONFIG: gateways[0].name: required",
      },
    ]);
    expect(log.lines.map((line) => line.level)).toEqual(["error"]);
    expect(configurationErrorResult(new Error("x"), context, "e", "settings").jsonBody).toEqual({
      error: "ConfigurationError",
      message: "the app's settings are invalid (details in the app's log)",
    });
  });

  it("is the answer of the webhook and the drift endpoint when the configuration does not load", async () => {
    const { services } = await testServices({
      config: async () => {
        throw new Error("cannot read /home/site/config.yaml");
      },
    });
    restore = useAppServices(services);
    const expected = configurationErrorResult(new Error("x"), captureContext().context, "e", "configuration");
    const drift = await driftCheck(
      new HttpRequest({ method: "GET", url: "http://localhost:7071/api/drift" }),
      captureContext().context,
    );
    const webhook = await rotationWebhook(
      new HttpRequest({
        method: "POST",
        url: "http://localhost:7071/api/rotations",
        headers: { "content-type": "application/json" },
        body: { string: JSON.stringify({ gateway: "contoso-eu" }) },
      }),
      captureContext().context,
    );
    for (const response of [drift, webhook]) {
      expect({ status: response.status, jsonBody: response.jsonBody }).toEqual(expected);
    }
  });
});
