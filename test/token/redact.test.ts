import { describe, expect, it } from "vitest";
import { redacted, redactText } from "../../shared/token/redact.js";

const token = "gw&202601010000&c2lnbmF0dXJl";
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("redactText", () => {
  it("hides a secret, its base64 form and its GatewayKey base64 form", () => {
    const text = `raw ${token} data ${b64(token)} patch ${b64(`GatewayKey ${token}`)}`;
    const out = redactText(text, [token]);
    expect(out).toBe(`raw ${redacted} data ${redacted} patch ${redacted}`);
  });

  it("skips empty secrets and leaves other text alone", () => {
    expect(redactText("nothing to hide", ["", undefined])).toBe("nothing to hide");
  });
});
