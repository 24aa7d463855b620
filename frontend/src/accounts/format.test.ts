import { describe, expect, it } from "vitest";
import { describeUserAgent, timeAgo } from "./format";

describe("timeAgo", () => {
  const now = new Date("2025-03-10T12:00:00Z");
  it("says how long ago, in the largest whole unit", () => {
    expect(timeAgo("2025-03-10T11:59:30Z", now)).toBe("just now");
    expect(timeAgo("2025-03-10T11:55:00Z", now)).toBe("5 minutes ago");
    expect(timeAgo("2025-03-09T11:00:00Z", now)).toBe("yesterday");
    expect(timeAgo("2025-02-20T12:00:00Z", now)).toBe("2 weeks ago");
  });
});

describe("describeUserAgent", () => {
  it("names the browser and the system", () => {
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
    const iphone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    expect(describeUserAgent(chrome)).toBe("Chrome on Linux");
    expect(describeUserAgent(iphone)).toBe("Safari on iPhone");
  });

  it("falls back to the program's name, or an unknown device", () => {
    expect(describeUserAgent("curl/8.5.0")).toBe("curl/8.5.0");
    expect(describeUserAgent("")).toBe("Unknown device");
  });
});
