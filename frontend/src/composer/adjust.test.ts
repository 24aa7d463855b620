import { describe, expect, it } from "vitest";
import { NO_ADJUSTMENTS, adjustParam, adjustPreview, isAdjusted } from "./adjust";

describe("the adjust field", () => {
  it("names the non-zero adjustments, in a fixed order", () => {
    expect(adjustParam({ ...NO_ADJUSTMENTS, vignette: 35, brightness: 20 })).toBe("brightness=20,vignette=35");
    expect(adjustParam({ ...NO_ADJUSTMENTS, warmth: -40, contrast: 5 })).toBe("contrast=5,warmth=-40");
  });

  it("is left out when nothing is adjusted", () => {
    expect(adjustParam(NO_ADJUSTMENTS)).toBeUndefined();
    expect(isAdjusted(NO_ADJUSTMENTS)).toBe(false);
    expect(isAdjusted({ ...NO_ADJUSTMENTS, fade: 1 })).toBe(true);
  });

  it("sends whole numbers within range, and nothing for values that are not numbers", () => {
    expect(adjustParam({ ...NO_ADJUSTMENTS, brightness: 250, fade: -20, vignette: 12.6 })).toBe(
      "brightness=100,vignette=13",
    );
    expect(adjustParam({ ...NO_ADJUSTMENTS, saturation: Number.NaN, warmth: -0.2 })).toBeUndefined();
    expect(adjustParam({ ...NO_ADJUSTMENTS, contrast: Number.POSITIVE_INFINITY })).toBeUndefined();
  });
});

describe("the preview's approximation", () => {
  it("is nothing at all without adjustments", () => {
    expect(adjustPreview(NO_ADJUSTMENTS)).toEqual({ filter: "", tint: null, fade: 0, vignette: null });
  });

  it("follows the server's factors", () => {
    const preview = adjustPreview({
      brightness: 64,
      contrast: -100,
      saturation: 50,
      warmth: 100,
      fade: 100,
      vignette: 50,
    });
    expect(preview.filter).toBe("saturate(1.5) contrast(0.5) brightness(1.2)");
    expect(preview.tint).toEqual({ color: "rgb(255 128 0)", opacity: 0.5 });
    expect(preview.fade).toBe(0.3);
    expect(preview.vignette).toContain("rgb(0 0 0 / 0.3) 100%");
    expect(preview.vignette).toContain("rgb(0 0 0 / 0.075) 50%");
    expect(adjustPreview({ ...NO_ADJUSTMENTS, warmth: -30 }).tint).toEqual({ color: "rgb(0 128 255)", opacity: 0.15 });
  });
});
