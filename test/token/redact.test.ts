import { describe, expect, it } from "vitest";
import { redacted, redactText, redactTokens } from "../../shared/token/redact.js";

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

describe("redactTokens", () => {
  it("hides anything shaped like a gateway token, bare, after GatewayKey, or base64 as a Secret holds it", () => {
    const text = `reason: ${token}; header GatewayKey ${token}; data ${b64(`GatewayKey ${token}`)}.`;
    expect(redactTokens(text)).toBe(`reason: ${redacted}; header ${redacted}; data ${redacted}.`);
  });

  it("leaves ordinary text, times and ampersands alone", () => {
    const text = "a & b at 202601010000, R2D2 & C3PO";
    expect(redactTokens(text)).toBe(text);
  });
});
