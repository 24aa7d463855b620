import { describe, expect, it } from "vitest";
import type { MediaItem } from "../api/client";
import { aspectRatio, srcSet, stills, thumbnail, videoSources } from "./renditions";

function rendition(name: string, format: string, width: number, height: number) {
  return { name, format, width, height, url: `/media/${name}.${format}` };
}

const photo: MediaItem = {
  id: "1",
  kind: "photo",
  state: "ready",
  filter: "normal",
  width: 1080,
  height: 1350,
  blurhash: null,
  dominant_color: "#808080",
  failure: null,
  duration_ms: null,
  looping: false,
  renditions: [
    rendition("1080", "jpeg", 1080, 1350),
    rendition("1080", "webp", 1080, 1350),
    rendition("640", "jpeg", 640, 800),
    rendition("thumb", "jpeg", 150, 150),
  ],
};

describe("renditions", () => {
  it("lists a photo's sizes of one format for srcset, leaving the thumbnail out", () => {
    expect(srcSet(stills(photo, "jpeg"))).toBe("/media/1080.jpeg 1080w, /media/640.jpeg 640w");
    expect(stills(photo, "webp")).toHaveLength(1);
  });

  it("uses a video's poster renditions for stills and its MP4s as sources", () => {
    const video: MediaItem = {
      ...photo,
      kind: "video",
      renditions: [
        rendition("poster-640", "jpeg", 640, 360),
        rendition("poster-thumb", "jpeg", 150, 150),
        rendition("480", "mp4", 854, 480),
        rendition("720", "mp4", 1280, 720),
      ],
    };
    expect(stills(video, "jpeg").map((r) => r.name)).toEqual(["poster-640"]);
    expect(thumbnail(video)?.name).toBe("poster-thumb");
    expect(videoSources(video).map((r) => r.name)).toEqual(["720", "480"]);
  });

  it("reserves the item's own aspect ratio", () => {
    expect(aspectRatio(photo)).toBeCloseTo(0.8);
  });
});
