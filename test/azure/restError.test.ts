import { describe, expect, it } from "vitest";
import { sanitizedCause } from "../../shared/azure/restError.js";

const token = "gw&202601010000&c2lnbmF0dXJl";
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("sanitizedCause", () => {
  it("keeps the token out of the message, raw and base64-encoded as a Secret patch sends it", () => {
    const error = Object.assign(
      new Error(`rejected ${token} in data ${b64(`GatewayKey ${token}`)} and ${b64(token)}`),
      { name: "RestError", statusCode: 422, code: "Invalid" },
    );
    const cause = sanitizedCause(error, [token]);
    expect(cause.message).toBe("422 Invalid: rejected <redacted> in data <redacted> and <redacted>");
    expect(cause.message).not.toContain(b64(token));
  });
});
