import { describe, expect, it } from "vitest";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";

describe("parseLabelSelector", () => {
  const labels = { app: "gw", tier: "edge" };
  it.each([
    ["", true],
    ["app=gw", true],
    ["app==gw,tier=edge", true],
    ["app!=gw", false],
    ["app in (gw, other)", true],
    ["tier notin (edge)", false],
    ["app", true],
    ["!legacy", true],
    ["!app", false],
    ["app=other", false],
  ])("%s → %s", (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it("rejects text that is not a selector with 400", () => {
    expect(() => parseLabelSelector("app=(x")).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }),
    );
  });
});

describe("parseFieldSelector", () => {
  it("matches metadata.name and metadata.namespace", () => {
    expect(parseFieldSelector("metadata.name=gw")({ name: "gw", namespace: "a" })).toBe(true);
    expect(parseFieldSelector("metadata.name=gw,metadata.namespace!=a")({ name: "gw", namespace: "a" })).toBe(
      false,
    );
  });

  it("rejects other fields with 400", () => {
    expect(() => parseFieldSelector("status.phase=Running")).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }),
    );
  });
});
