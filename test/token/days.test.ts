import { describe, expect, it } from "vitest";
import { dayInMs, daysUntil, formatDays } from "../../shared/token/days.js";

describe("formatDays", () => {
  it("writes days with one decimal", () => {
    expect(formatDays(29)).toBe("29.0 days");
    expect(formatDays(28.96)).toBe("29.0 days");
    expect(formatDays(6.54)).toBe("6.5 days");
    expect(formatDays(-2.26)).toBe("-2.3 days");
    expect(formatDays(-0.01)).toBe("0.0 days");
  });
});

describe("daysUntil", () => {
  it("counts days exactly, negative when past", () => {
    const now = new Date("2026-03-01T00:00:00Z");
    expect(daysUntil(new Date(now.getTime() + 6.54 * dayInMs), now)).toBeCloseTo(6.54, 10);
    expect(daysUntil(new Date(now.getTime() - 2 * dayInMs), now)).toBe(-2);
  });
});
