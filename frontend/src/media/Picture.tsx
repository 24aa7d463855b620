/** A photo (or a video's poster) that never shifts the layout: the box has the item's aspect ratio
 * from the start, shows the blurhash until the image decodes, and lets the browser pick a rendition
 * by width (WebP first) and load it only once it comes near the viewport. */
import { decode } from "blurhash";
import { type RefObject, useEffect, useRef, useState } from "react";
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
  /** Load at once and first (the first post of a feed, a post's page: the largest paint) instead of
   * lazily at the browser's default priority. */
  eager?: boolean;
};

/** How near the viewport (a fraction of its height, above and below) a lazy picture starts to load.
 * The browser's own `loading="lazy"` starts 1,250 px or more away: on a phone that is the next three
 * posts of a feed, downloaded with the first (issue 17: 1.7 MB on a first load). */
const NEAR_MARGIN = "50% 0px";

/** Whether `element` has come near the viewport (true at once where there is no IntersectionObserver);
 * stays true once it has. */
function useNear(element: RefObject<HTMLElement | null>, skip: boolean): boolean {
  const [near, setNear] = useState(skip || typeof IntersectionObserver === "undefined");
  useEffect(() => {
    const target = element.current;
    if (near || !target) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setNear(true);
      },
      { rootMargin: NEAR_MARGIN },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [element, near]);
  return near;
}

export function Picture({ media, alt, sizes, shape = "natural", eager = false }: PictureProps) {
  const [loaded, setLoaded] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const near = useNear(box, eager);
  const ratio = shape === "square" ? 1 : aspectRatio(media);
  const jpeg = stills(media, "jpeg");
  const webp = stills(media, "webp");
  const thumb = shape === "square" ? thumbnail(media) : undefined;
  const fallback = thumb ?? largestStill(media);
  return (
    <div
      ref={box}
      className={`picture picture-${shape}`}
      style={{ aspectRatio: String(ratio), backgroundColor: media.dominant_color ?? undefined }}
    >
      {media.blurhash && !loaded && <BlurhashCanvas hash={media.blurhash} />}
      {fallback && near && (
        <picture>
          {webp.length > 0 && <source type="image/webp" srcSet={srcSet(webp)} sizes={sizes} />}
          <img
            src={fallback.url}
            srcSet={jpeg.length > 0 ? srcSet(jpeg) : undefined}
            sizes={sizes}
            alt={alt}
            loading={eager ? "eager" : "lazy"}
            fetchPriority={eager ? "high" : undefined}
            decoding="async"
            onLoad={() => setLoaded(true)}
            className={loaded ? "is-loaded" : undefined}
          />
        </picture>
      )}
    </div>
  );
}
