import { describe, expect, it } from "vitest";
import { parseFormat } from "../../shared/cli/args.js";

describe("parseFormat", () => {
  it("gives the first format by default and accepts the listed ones", () => {
    expect(parseFormat(undefined, ["table", "json"])).toBe("table");
    expect(parseFormat("json", ["table", "json"])).toBe("json");
  });

  it("rejects another format as an InputError naming the accepted ones", () => {
    expect(() => parseFormat("xml", ["table", "json"])).toThrow(
      expect.objectContaining({
        name: "InputError",
        message: 'unknown format "xml"; expected one of table, json.',
      }),
    );
  });
});
