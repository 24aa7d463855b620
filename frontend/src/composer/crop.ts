/** Crop maths, as pure functions: the aspect-ratio choices, where the frame sits on the photo (a
 * centre and a zoom, after a quarter-turn rotation), and the API's "left,top,width,height" fractions
 * of the rotated photo (see viewfinder/media/services.parse_crop). */

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

/** How far a photo can be zoomed into: four times the largest frame that fits. */
export const MAX_ZOOM = 4;

const RATIOS: Record<Exclude<CropChoice, "original">, number> = { "1:1": 1, "4:5": 4 / 5, "1.91:1": 1.91 };

export type Size = { width: number; height: number };
export type CropBox = { left: number; top: number; width: number; height: number };
/** Degrees clockwise, as the API's `rotate` field. */
export type Rotation = 0 | 90 | 180 | 270;
/** Where the frame sits on the rotated photo: its centre (x, y) in fractions of the photo's width and
 * height, and how far it is zoomed in (1: the largest frame that fits). Kept as the person left it;
 * every function here clamps it so the photo always covers the frame. */
export type View = { zoom: number; x: number; y: number };
/** A point of the frame, in fractions of its width and height. */
export type Point = { x: number; y: number };

export const FULL_VIEW: View = { zoom: 1, x: 0.5, y: 0.5 };
const CENTRE: Point = { x: 0.5, y: 0.5 };

export function rotateClockwise(rotation: Rotation): Rotation {
  return ((rotation + 90) % 360) as Rotation;
}

/** The photo's size once turned: a quarter turn swaps width and height. */
export function rotatedSize(natural: Size, rotation: Rotation): Size {
  return rotation % 180 === 0 ? natural : { width: natural.height, height: natural.width };
}

/** The view after turning the photo a quarter clockwise: the same spot of the photo stays under the
 * frame's centre (a point (x, y) of the photo moves to (1 - y, x)). */
export function rotateView(view: View): View {
  return { zoom: view.zoom, x: 1 - view.y, y: view.x };
}

/** The width/height ratio the photo will have once shared with this choice (`photo`: its size after
 * rotation, when known). */
export function targetAspect(choice: CropChoice, photo: Size | undefined): number {
  if (choice !== "original") return RATIOS[choice];
  if (!photo || photo.width <= 0 || photo.height <= 0) return 1;
  return Math.min(MAX_ASPECT, Math.max(MIN_ASPECT, photo.width / photo.height));
}

/** The part of the photo the frame shows, in fractions of it: the largest box of `aspect` that fits,
 * shrunk by the zoom, centred on the view's centre as far as the photo allows. */
export function cropBox(aspect: number, photo: Size, view: View): CropBox {
  const source = photo.width / photo.height;
  const zoom = clampZoom(view.zoom);
  const width = (source > aspect ? aspect / source : 1) / zoom;
  const height = (source > aspect ? 1 : source / aspect) / zoom;
  return {
    left: clamp(finite(view.x, 0.5) - width / 2, 0, 1 - width),
    top: clamp(finite(view.y, 0.5) - height / 2, 0, 1 - height),
    width,
    height,
  };
}

/** A view brought back within bounds: zoom 1…MAX_ZOOM, the frame wholly on the photo. */
export function clampView(view: View, aspect: number, photo: Size): View {
  const box = cropBox(aspect, photo, view);
  return { zoom: clampZoom(view.zoom), x: box.left + box.width / 2, y: box.top + box.height / 2 };
}

/** The view after dragging the photo by (dx, dy), in fractions of the frame's width and height: the
 * photo follows the pointer, so the frame moves over it the other way. */
export function panView(view: View, dx: number, dy: number, aspect: number, photo: Size): View {
  const box = cropBox(aspect, photo, view);
  const x = box.left + box.width / 2 - finite(dx, 0) * box.width;
  const y = box.top + box.height / 2 - finite(dy, 0) * box.height;
  return clampView({ zoom: clampZoom(view.zoom), x, y }, aspect, photo);
}

/** The view after zooming by `factor` about `anchor` (a point of the frame, say under the pointer),
 * which keeps the same spot of the photo under it where the photo's edges allow. */
export function zoomView(view: View, factor: number, aspect: number, photo: Size, anchor: Point = CENTRE): View {
  const box = cropBox(aspect, photo, view);
  const before = clampZoom(view.zoom);
  const zoom = clampZoom(before * finite(factor, 1));
  const width = (box.width * before) / zoom;
  const height = (box.height * before) / zoom;
  const spotX = box.left + anchor.x * box.width;
  const spotY = box.top + anchor.y * box.height;
  const x = spotX - anchor.x * width + width / 2;
  const y = spotY - anchor.y * height + height / 2;
  return clampView({ zoom, x, y }, aspect, photo);
}

/** Whether a view is the one a photo starts with: not zoomed, centred. */
export function isFullView(view: View): boolean {
  return view.zoom === FULL_VIEW.zoom && view.x === FULL_VIEW.x && view.y === FULL_VIEW.y;
}

/** The largest centred box of `aspect` inside a `natural`-sized photo, in fractions of it. */
export function centredCrop(aspect: number, natural: Size): CropBox {
  return cropBox(aspect, natural, FULL_VIEW);
}

/** The API's crop field: the frame's box in fractions of the rotated photo (six decimals, never past
 * its edges), or undefined for an "Original" left whole and centred (the server then only clamps the
 * aspect to 4:5…1.91:1, centred, as the preview shows). */
export function cropParam(
  choice: CropChoice,
  natural: Size,
  rotation: Rotation = 0,
  view: View = FULL_VIEW,
): string | undefined {
  const photo = rotatedSize(natural, rotation);
  const box = cropBox(targetAspect(choice, photo), photo, view);
  if (choice === "original" && isWholeAndCentred(box, view)) return undefined;
  const width = floor6(box.width);
  const height = floor6(box.height);
  const left = clamp(round6(box.left), 0, round6(1 - width));
  const top = clamp(round6(box.top), 0, round6(1 - height));
  return [left, top, width, height].map(String).join(",");
}

/** Where to draw the unturned image inside the frame so that the frame shows `box` of the turned
 * photo: its centre and size in percent of the frame's width and height (the image is then turned
 * about its centre). `aspect` is the frame's width/height. */
export function previewPlacement(
  box: CropBox,
  aspect: number,
  rotation: Rotation,
): { centerX: number; centerY: number; width: number; height: number } {
  const photoWidth = 100 / box.width;
  const photoHeight = 100 / box.height;
  const quarter = rotation % 180 !== 0;
  return {
    centerX: ((0.5 - box.left) / box.width) * 100,
    centerY: ((0.5 - box.top) / box.height) * 100,
    width: quarter ? photoHeight / aspect : photoWidth,
    height: quarter ? photoWidth * aspect : photoHeight,
  };
}

function isWholeAndCentred(box: CropBox, view: View): boolean {
  return (
    clampZoom(view.zoom) === 1 &&
    Math.abs(box.left - (1 - box.width) / 2) < 1e-6 &&
    Math.abs(box.top - (1 - box.height) / 2) < 1e-6
  );
}

function clampZoom(zoom: number): number {
  return clamp(finite(zoom, 1), 1, MAX_ZOOM);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function finite(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

/** Down to six decimals, so a box never grows past the photo (the epsilon absorbs 0.57 * 1e6 = 569999.99…). */
function floor6(value: number): number {
  return Math.floor(value * 1e6 + 1e-6) / 1e6;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
