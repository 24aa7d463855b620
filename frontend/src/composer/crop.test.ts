import { describe, expect, it } from "vitest";
import {
  FULL_VIEW,
  MAX_ZOOM,
  type Rotation,
  centredCrop,
  cropParam,
  panView,
  previewPlacement,
  rotateClockwise,
  rotateView,
  rotatedSize,
  targetAspect,
  zoomView,
} from "./crop";

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

describe("framing by hand", () => {
  const landscape = { width: 2000, height: 1000 };
  const square = { width: 1000, height: 1000 };

  function boxOf(param: string | undefined) {
    const [left, top, width, height] = param!.split(",").map(Number);
    return { left: left!, top: top!, width: width!, height: height! };
  }

  it("moves the frame against a drag, and stops at the photo's edges", () => {
    // A 1:1 frame on a 2:1 photo shows half its width; dragging the photo a whole frame to the left
    // moves the frame half the photo to the right: as far as it goes.
    const moved = panView(FULL_VIEW, -0.25, 0, 1, landscape);
    expect(cropParam("1:1", landscape, 0, moved)).toBe("0.375,0,0.5,1");
    const far = panView(FULL_VIEW, -5, 3, 1, landscape);
    expect(cropParam("1:1", landscape, 0, far)).toBe("0.5,0,0.5,1");
    expect(cropParam("1:1", landscape, 0, panView(FULL_VIEW, 5, 0, 1, landscape))).toBe("0,0,0.5,1");
    // No room to move up or down: a whole-height frame stays put.
    expect(panView(FULL_VIEW, 0, 0.3, 1, landscape).y).toBe(0.5);
  });

  it("a drag back from past the edge moves at once (no dead zone)", () => {
    const pastEdge = { zoom: 1, x: 9, y: 0.5 };
    const back = panView(pastEdge, 0.25, 0, 1, landscape);
    expect(cropParam("1:1", landscape, 0, back)).toBe("0.375,0,0.5,1");
  });

  it("zooms about the pointer, within 1× and the maximum", () => {
    const twice = zoomView(FULL_VIEW, 2, 1, square);
    expect(cropParam("1:1", square, 0, twice)).toBe("0.25,0.25,0.5,0.5");
    // About the top-left corner: that corner of the photo stays where it is.
    expect(cropParam("1:1", square, 0, zoomView(FULL_VIEW, 2, 1, square, { x: 0, y: 0 }))).toBe("0,0,0.5,0.5");
    expect(zoomView(FULL_VIEW, 100, 1, square).zoom).toBe(MAX_ZOOM);
    expect(zoomView(twice, 0.01, 1, square)).toEqual(FULL_VIEW);
    expect(zoomView(twice, Number.NaN, 1, square).zoom).toBe(2);
  });

  it("keeps a pinched-out frame on the photo", () => {
    const corner = zoomView(FULL_VIEW, 4, 1, square, { x: 1, y: 1 });
    expect(cropParam("1:1", square, 0, corner)).toBe("0.75,0.75,0.25,0.25");
    const out = zoomView(corner, 0.5, 1, square, { x: 0, y: 0 });
    const box = boxOf(cropParam("1:1", square, 0, out));
    expect(box.left + box.width).toBeLessThanOrEqual(1);
    expect(box.top + box.height).toBeLessThanOrEqual(1);
    expect(box.width).toBe(0.5);
  });

  it("crops the photo after rotation, in fractions of the rotated photo", () => {
    // A 2:1 photo turned a quarter is 1:2: a 4:5 frame takes its whole width.
    expect(rotatedSize(landscape, 90)).toEqual({ width: 1000, height: 2000 });
    expect(cropParam("4:5", landscape, 90)).toBe("0,0.1875,1,0.625");
    expect(cropParam("4:5", landscape, 180)).toBe("0.3,0,0.4,1");
  });

  it("keeps the spot under the frame's centre when turning", () => {
    const view = { zoom: 2, x: 0.2, y: 0.3 };
    expect(rotateView(view)).toEqual({ zoom: 2, x: 0.7, y: 0.2 });
    const around = rotateView(rotateView(rotateView(rotateView(view))));
    expect(around.x).toBeCloseTo(0.2, 12);
    expect(around.y).toBeCloseTo(0.3, 12);
    expect([0, 90, 180, 270].map((r) => rotateClockwise(r as Rotation))).toEqual([90, 180, 270, 0]);
  });

  it("sends no crop for a whole, centred Original, but one once it is zoomed or moved", () => {
    expect(cropParam("original", square, 90)).toBeUndefined();
    expect(cropParam("original", square, 0, zoomView(FULL_VIEW, 2, 1, square))).toBe("0.25,0.25,0.5,0.5");
    // A panorama previews at 1.91:1: moving it sideways is a crop too.
    const panorama = { width: 4000, height: 1000 };
    expect(cropParam("original", panorama, 0, panView(FULL_VIEW, 1, 0, 1.91, panorama))).toBe("0,0,0.4775,1");
  });

  it("never leaves the photo, whatever the view", () => {
    for (const photo of [{ width: 1001, height: 997 }, { width: 333, height: 1000 }, { width: 7, height: 3 }]) {
      for (const rotation of [0, 90, 180, 270] as const) {
        for (const view of [FULL_VIEW, { zoom: 3.3, x: 0.99, y: 0.01 }, { zoom: 1.7, x: -4, y: 8 }]) {
          const box = boxOf(cropParam("4:5", photo, rotation, view));
          expect(box.left).toBeGreaterThanOrEqual(0);
          expect(box.top).toBeGreaterThanOrEqual(0);
          expect(box.left + box.width).toBeLessThanOrEqual(1 + 1e-6);
          expect(box.top + box.height).toBeLessThanOrEqual(1 + 1e-6);
          expect(String(box.left).split(".")[1]?.length ?? 0).toBeLessThanOrEqual(6);
        }
      }
    }
  });

  it("places the turned image so the frame shows the box", () => {
    // The right half of a 2:1 photo in a 1:1 frame: the photo is twice the frame's width, its centre
    // on the frame's left edge.
    expect(previewPlacement({ left: 0.5, top: 0, width: 0.5, height: 1 }, 1, 0)).toEqual({
      centerX: 0,
      centerY: 50,
      width: 200,
      height: 100,
    });
    // Turned a quarter, the image's own width is the turned photo's height (in frame widths).
    expect(previewPlacement({ left: 0, top: 0.1875, width: 1, height: 0.625 }, 0.8, 90)).toEqual({
      centerX: 50,
      centerY: 50,
      width: 200,
      height: 80,
    });
  });
});
