import { describe, expect, it } from "vitest";
import { centredCrop, cropParam, targetAspect } from "./crop";

describe("crop maths", () => {
  it("crops a landscape photo to a centred square", () => {
    expect(cropParam("1:1", { width: 1600, height: 900 })).toBe("0.21875,0,0.5625,1");
  });

  it("crops a portrait photo to a centred square", () => {
    expect(cropParam("1:1", { width: 900, height: 1600 })).toBe("0,0.21875,1,0.5625");
  });

  it("crops a landscape photo to 4:5 and a portrait one to 1.91:1", () => {
    expect(cropParam("4:5", { width: 2000, height: 1000 })).toBe("0.3,0,0.4,1");
    expect(cropParam("1.91:1", { width: 1000, height: 1000 })).toBe("0,0.23822,1,0.52356");
  });

  it("keeps the whole photo when it already has the aspect", () => {
    expect(cropParam("4:5", { width: 800, height: 1000 })).toBe("0,0,1,1");
  });

  it("never leaves the photo, whatever the rounding", () => {
    for (const [width, height] of [[1001, 997], [333, 1000], [4032, 3024], [7, 3]] as const) {
      for (const aspect of [1, 0.8, 1.91]) {
        const box = centredCrop(aspect, { width, height });
        expect(box.left + box.width).toBeLessThanOrEqual(1 + 1e-6);
        expect(box.top + box.height).toBeLessThanOrEqual(1 + 1e-6);
        expect(box.width).toBeGreaterThan(0);
        expect(box.height).toBeGreaterThan(0);
      }
    }
  });

  it("sends no crop for Original and previews the API's clamped aspect", () => {
    expect(cropParam("original", { width: 4000, height: 1000 })).toBeUndefined();
    expect(targetAspect("original", { width: 4000, height: 1000 })).toBe(1.91);
    expect(targetAspect("original", { width: 1000, height: 3000 })).toBe(0.8);
    expect(targetAspect("original", { width: 1200, height: 1000 })).toBe(1.2);
    expect(targetAspect("4:5", { width: 1200, height: 1000 })).toBe(0.8);
  });
});
