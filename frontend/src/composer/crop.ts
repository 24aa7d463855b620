/** Crop choices and their maths: a centred crop of the upright photo, as the API's
 * "left,top,width,height" fractions (see viewfinder/media/services.parse_crop). */

export const CROP_CHOICES = ["original", "1:1", "4:5", "1.91:1"] as const;
export type CropChoice = (typeof CROP_CHOICES)[number];

export const CROP_LABELS: Record<CropChoice, string> = {
  original: "Original",
  "1:1": "1:1",
  "4:5": "4:5",
  "1.91:1": "1.91:1",
};

/** The API keeps every photo between these (portrait 4:5, landscape 1.91:1), centre-cropping the rest. */
export const MIN_ASPECT = 4 / 5;
export const MAX_ASPECT = 1.91;

const RATIOS: Record<Exclude<CropChoice, "original">, number> = { "1:1": 1, "4:5": 4 / 5, "1.91:1": 1.91 };

export type Size = { width: number; height: number };
export type CropBox = { left: number; top: number; width: number; height: number };

/** The width/height ratio the photo will have once shared with this choice. */
export function targetAspect(choice: CropChoice, natural: Size | undefined): number {
  if (choice !== "original") return RATIOS[choice];
  if (!natural || natural.width <= 0 || natural.height <= 0) return 1;
  return Math.min(MAX_ASPECT, Math.max(MIN_ASPECT, natural.width / natural.height));
}

/** The largest centred box of `aspect` inside a `natural`-sized photo, in fractions of it. */
export function centredCrop(aspect: number, natural: Size): CropBox {
  const source = natural.width / natural.height;
  if (source > aspect) {
    const width = floor6(aspect / source);
    return { left: round6((1 - width) / 2), top: 0, width, height: 1 };
  }
  const height = floor6(source / aspect);
  return { left: 0, top: round6((1 - height) / 2), width: 1, height };
}

/** The API's crop field for a choice: undefined for "Original" (the server then only clamps the
 * aspect to 4:5…1.91:1, centred, as the preview shows). */
export function cropParam(choice: CropChoice, natural: Size): string | undefined {
  if (choice === "original") return undefined;
  const box = centredCrop(RATIOS[choice], natural);
  return [box.left, box.top, box.width, box.height].map(String).join(",");
}

function floor6(value: number): number {
  return Math.floor(value * 1e6) / 1e6;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
