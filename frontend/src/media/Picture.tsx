/** A photo (or a video's poster) that never shifts the layout: the box has the item's aspect ratio
 * from the start, shows the blurhash until the image decodes, and lets the browser pick a rendition
 * by width (WebP first) and load it lazily. */
import { decode } from "blurhash";
import { useEffect, useRef, useState } from "react";
import type { MediaItem } from "../api/client";
import { aspectRatio, largestStill, srcSet, stills, thumbnail } from "./renditions";

function BlurhashCanvas({ hash }: { hash: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext?.("2d");
    if (!element || !context) return;
    try {
      const pixels = decode(hash, 32, 32);
      const image = context.createImageData(32, 32);
      image.data.set(pixels);
      context.putImageData(image, 0, 0);
    } catch {
      // A malformed hash leaves the dominant colour showing.
    }
  }, [hash]);
  return <canvas ref={canvas} className="picture-blur" width={32} height={32} aria-hidden="true" />;
}

type PictureProps = {
  media: MediaItem;
  alt: string;
  /** The <img sizes>: how wide it shows, e.g. "(max-width: 640px) 100vw, 600px". */
  sizes: string;
  /** "square" crops to 1:1 with the thumbnail first (grids); "natural" keeps the item's ratio. */
  shape?: "natural" | "square";
  /** Load at once (the first post of a feed) instead of lazily. */
  eager?: boolean;
};

export function Picture({ media, alt, sizes, shape = "natural", eager = false }: PictureProps) {
  const [loaded, setLoaded] = useState(false);
  const ratio = shape === "square" ? 1 : aspectRatio(media);
  const jpeg = stills(media, "jpeg");
  const webp = stills(media, "webp");
  const thumb = shape === "square" ? thumbnail(media) : undefined;
  const fallback = thumb ?? largestStill(media);
  return (
    <div
      className={`picture picture-${shape}`}
      style={{ aspectRatio: String(ratio), backgroundColor: media.dominant_color ?? undefined }}
    >
      {media.blurhash && !loaded && <BlurhashCanvas hash={media.blurhash} />}
      {fallback && (
        <picture>
          {webp.length > 0 && <source type="image/webp" srcSet={srcSet(webp)} sizes={sizes} />}
          <img
            src={fallback.url}
            srcSet={jpeg.length > 0 ? srcSet(jpeg) : undefined}
            sizes={sizes}
            alt={alt}
            loading={eager ? "eager" : "lazy"}
            decoding="async"
            onLoad={() => setLoaded(true)}
            className={loaded ? "is-loaded" : undefined}
          />
        </picture>
      )}
    </div>
  );
}
