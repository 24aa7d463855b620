/** Choosing renditions: srcset strings per format, the thumbnail, the video sources. */
import type { MediaItem, Rendition } from "../api/client";

const SIZES = ["1080", "750", "640", "320"];

/** The still renditions (photo sizes, or a video's poster sizes) of one format, widest first. */
export function stills(media: MediaItem, format: "jpeg" | "webp"): Rendition[] {
  const prefix = media.kind === "video" ? "poster-" : "";
  return media.renditions.filter((r) => r.format === format && SIZES.some((s) => r.name === prefix + s));
}

/** "url 1080w, url 640w, ..." for an <img srcset> or <source srcset>. */
export function srcSet(renditions: Rendition[]): string {
  return renditions.map((r) => `${r.url} ${r.width}w`).join(", ");
}

/** The square thumbnail (a video's poster thumbnail), in the given format, for grids. */
export function thumbnail(media: MediaItem, format: "jpeg" | "webp" = "jpeg"): Rendition | undefined {
  const name = media.kind === "video" ? "poster-thumb" : "thumb";
  return media.renditions.find((r) => r.name === name && r.format === format);
}

/** The largest still, for a plain src fallback. */
export function largestStill(media: MediaItem): Rendition | undefined {
  return stills(media, "jpeg")[0];
}

/** A video's playable renditions (MP4), largest first. */
export function videoSources(media: MediaItem): Rendition[] {
  return media.renditions.filter((r) => r.format === "mp4").sort((a, b) => b.width - a.width);
}

/** The width / height ratio to reserve before any pixel arrives (so nothing shifts). */
export function aspectRatio(media: MediaItem): number {
  const largest = largestStill(media);
  const width = media.width ?? largest?.width ?? 1;
  const height = media.height ?? largest?.height ?? 1;
  return width / height;
}
