import { describe, expect, it } from "vitest";
import { parseQuantity } from "../../shared/drift/quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["2", 2],
    ["2000m", 2],
    ["1500m", 1.5],
    ["0.5", 0.5],
    [".5", 0.5],
    ["+1", 1],
    ["100u", 0.0001],
    ["2Gi", 2 * 2 ** 30],
    ["2048Mi", 2 * 2 ** 30],
    ["2097152Ki", 2 * 2 ** 30],
    ["2G", 2e9],
    ["2k", 2000],
    ["1e3", 1000],
    ["1E3", 1000],
    ["2.5e-1", 0.25],
    ["1Ti", 2 ** 40],
  ])("reads %s", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 9);
  });

  it("reads numbers as written in YAML without quotes", () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity(0.25)).toBe(0.25);
  });

  it("tells 2Gi from 2G", () => {
    expect(parseQuantity("2Gi")).toBeGreaterThan(parseQuantity("2G") as number);
  });

  it.each(["", "two", "2 Gi", "2gi", "2GB", "Gi", "1.2.3", "2e", "--2", "2m3"])("refuses %j", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("refuses values that are not strings or finite numbers", () => {
    expect(parseQuantity(undefined)).toBeUndefined();
    expect(parseQuantity(null)).toBeUndefined();
    expect(parseQuantity(Number.NaN)).toBeUndefined();
    expect(parseQuantity({ cpu: 2 })).toBeUndefined();
  });
});
