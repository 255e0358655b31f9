import { describe, expect, it } from "vitest";
import { intOrPercent } from "../../../shared/drift/rules/common.js";

describe("intOrPercent", () => {
  it("reads non-negative integers as counts and whole percentages as percentages", () => {
    expect(intOrPercent(0)).toEqual({ kind: "count", value: 0 });
    expect(intOrPercent(3)).toEqual({ kind: "count", value: 3 });
    expect(intOrPercent("25%")).toEqual({ kind: "percent", value: 25 });
    expect(intOrPercent(" 0% ")).toEqual({ kind: "percent", value: 0 });
  });

  it.each([[-1], [1.5], ["1"], ["25"], ["2.5%"], ["-5%"], [""], [null], [undefined], [true], [[1]]])(
    "refuses %j",
    (value) => {
      expect(intOrPercent(value)).toBeUndefined();
    },
  );
});
