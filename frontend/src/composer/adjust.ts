/** Photo adjustments: their ranges, the API's `adjust` field ("brightness=20,vignette=35"), and a
 * CSS approximation of the server's maths for the live preview. The server applies them after the
 * named filter, on 0–255 values: saturation s scales by 1 + s/100, contrast c by 1 + c/200,
 * brightness b adds b·0.4, warmth w adds w·0.3 to red and takes it from blue, fade f mixes in white
 * by f/100·0.3, vignette v multiplies by 1 − v/100·0.6·r² (r = 1 at the corners). */

export const ADJUSTMENTS = [
  { name: "brightness", label: "Brightness", min: -100, max: 100 },
  { name: "contrast", label: "Contrast", min: -100, max: 100 },
  { name: "saturation", label: "Saturation", min: -100, max: 100 },
  { name: "warmth", label: "Warmth", min: -100, max: 100 },
  { name: "fade", label: "Fade", min: 0, max: 100 },
  { name: "vignette", label: "Vignette", min: 0, max: 100 },
] as const;

export type Adjustment = (typeof ADJUSTMENTS)[number];
export type AdjustmentName = Adjustment["name"];
export type Adjustments = Readonly<Record<AdjustmentName, number>>;

export const NO_ADJUSTMENTS: Adjustments = {
  brightness: 0,
  contrast: 0,
  saturation: 0,
  warmth: 0,
  fade: 0,
  vignette: 0,
};

/** A value as the API takes it: a whole number within the adjustment's range (anything not a
 * number counts as 0). */
export function normalised(adjustment: Adjustment, value: number): number {
  if (!Number.isFinite(value)) return 0;
  const whole = Math.round(Math.min(adjustment.max, Math.max(adjustment.min, value)));
  return whole === 0 ? 0 : whole; // never -0
}

function valuesOf(adjustments: Adjustments): Array<[AdjustmentName, number]> {
  return ADJUSTMENTS.map((adjustment) => [adjustment.name, normalised(adjustment, adjustments[adjustment.name])]);
}

/** The API's `adjust` field: the non-zero adjustments as "name=value" pairs, or undefined when
 * there are none (the field is then left out). */
export function adjustParam(adjustments: Adjustments): string | undefined {
  const pairs = valuesOf(adjustments)
    .filter(([, value]) => value !== 0)
    .map(([name, value]) => `${name}=${value}`);
  return pairs.length > 0 ? pairs.join(",") : undefined;
}

export function isAdjusted(adjustments: Adjustments): boolean {
  return adjustParam(adjustments) !== undefined;
}

/** How the preview shows adjustments: CSS filter functions for the photo itself (to follow the named
 * filter's), then layers drawn over it in the server's order — a warm or cool tint, a white fade
 * and a darkening towards the corners. */
export type AdjustPreview = {
  filter: string;
  tint: { color: string; opacity: number } | null;
  fade: number;
  vignette: string | null;
};

export function adjustPreview(adjustments: Adjustments): AdjustPreview {
  const value = Object.fromEntries(valuesOf(adjustments)) as Record<AdjustmentName, number>;
  const filters: string[] = [];
  if (value.saturation !== 0) filters.push(`saturate(${round3(1 + value.saturation / 100)})`);
  if (value.contrast !== 0) filters.push(`contrast(${round3(1 + value.contrast / 200)})`);
  // The server adds b·0.4 to every value; scaling instead, matched at mid-grey (128), is close.
  if (value.brightness !== 0) filters.push(`brightness(${round3(1 + (value.brightness * 0.4) / 128)})`);
  return {
    filter: filters.join(" "),
    // Soft-light with full orange lifts mid-tone red by ~53 and lowers blue by ~64 (of 255): half
    // of that at ±100 is about the server's ±30.
    tint:
      value.warmth === 0
        ? null
        : {
            color: value.warmth > 0 ? "rgb(255 128 0)" : "rgb(0 128 255)",
            opacity: round3((Math.abs(value.warmth) / 100) * 0.5),
          },
    fade: round3((value.fade / 100) * 0.3),
    vignette: value.vignette === 0 ? null : vignetteGradient((value.vignette / 100) * 0.6),
  };
}

/** Black at strength·r² over the photo: r is 1 at the corners of an ellipse of the frame's shape
 * (CSS's farthest-corner ellipse), drawn with a few stops of the square curve. */
function vignetteGradient(strength: number): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((r) => `rgb(0 0 0 / ${round3(strength * r * r)}) ${r * 100}%`);
  return `radial-gradient(ellipse farthest-corner at center, ${stops.join(", ")})`;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
