import { describe, expect, it } from "vitest";
import {
  decodeRotationMessage,
  encodeRotationMessage,
  peekRotationMessage,
} from "../../shared/queue/message.js";

const message = { v: 1, gateway: "contoso-eu", reason: "webhook", force: false, requestId: "r-1" } as const;

describe("rotation message", () => {
  it("round-trips through JSON text and through the object the host hands over", () => {
    const text = encodeRotationMessage(message);
    expect(JSON.parse(text)).toEqual(message);
    expect(decodeRotationMessage(text)).toEqual(message);
    expect(decodeRotationMessage(JSON.parse(text))).toEqual(message);
  });

  it.each([
    ["text that is not JSON", "rotate contoso", /not JSON/],
    ["another version", { ...message, v: 2 }, /v: /],
    ["an unknown reason", { ...message, reason: "whim" }, /reason/],
    ["a missing gateway", { v: 1, reason: "schedule", force: false, requestId: "r" }, /gateway/],
    ["a string force", { ...message, force: "true" }, /force/],
    ["an extra key", { ...message, token: "x" }, /token|Unrecognized/],
    ["null", null, /expected \{"v":1/],
  ])("refuses %s as a permanent InputError", (_what, raw, pattern) => {
    expect(() => decodeRotationMessage(raw)).toThrowError(pattern);
    expect(() => decodeRotationMessage(raw)).toThrowError(expect.objectContaining({ name: "InputError" }));
  });

  it("refuses to encode an invalid message", () => {
    expect(() => encodeRotationMessage({ ...message, gateway: "" })).toThrow();
  });

  it("peeks at what it can of a malformed message", () => {
    expect(peekRotationMessage('{"gateway":"g","requestId":"r","v":9}')).toEqual({
      gateway: "g",
      requestId: "r",
    });
    expect(peekRotationMessage("junk")).toEqual({});
    expect(peekRotationMessage(42)).toEqual({});
  });
});
