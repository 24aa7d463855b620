import { describe, expect, it } from "vitest";
import { relativeTime, sectionOf } from "./time";

const NOW = Date.parse("2024-06-15T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe("relativeTime", () => {
  it("says how long ago, short and long", () => {
    expect(relativeTime(ago(20_000), NOW)).toEqual({ short: "now", long: "just now" });
    expect(relativeTime(ago(5 * 60_000), NOW)).toEqual({ short: "5m", long: "5 minutes ago" });
    expect(relativeTime(ago(3_600_000), NOW)).toEqual({ short: "1h", long: "1 hour ago" });
    expect(relativeTime(ago(2 * 86_400_000), NOW)).toEqual({ short: "2d", long: "2 days ago" });
    expect(relativeTime(ago(15 * 86_400_000), NOW)).toEqual({ short: "2w", long: "2 weeks ago" });
  });

  it("never goes negative for a clock slightly ahead", () => {
    expect(relativeTime(new Date(NOW + 5000).toISOString(), NOW).short).toBe("now");
  });
});

describe("sectionOf", () => {
  it("files moments under Today, This week, This month and Earlier", () => {
    expect(sectionOf(ago(3_600_000), NOW)).toBe("Today");
    expect(sectionOf(ago(3 * 86_400_000), NOW)).toBe("This week");
    expect(sectionOf(ago(20 * 86_400_000), NOW)).toBe("This month");
    expect(sectionOf(ago(90 * 86_400_000), NOW)).toBe("Earlier");
  });
});
