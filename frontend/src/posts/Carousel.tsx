/** A post's media, one item at a time: swipe (CSS scroll-snap), arrows, dots and arrow keys.
 * The box keeps the first item's aspect ratio (clamped like Instagram's, 4:5 to 1.91:1) from the
 * first paint, so nothing below it shifts. Double-click or double-tap on it calls `onDoubleTap`. */
import { type KeyboardEvent, type PointerEvent, useEffect, useRef, useState } from "react";
import type { PostItem } from "../api/client";
import { Icon } from "../components/Icon";
import { Picture } from "../media/Picture";
import { aspectRatio, largestStill, videoSources } from "../media/renditions";

const SIZES = "(max-width: 640px) 100vw, 630px";
const DOUBLE_TAP_MS = 300;

function boxRatio(items: PostItem[]): number {
  const first = items[0];
  if (!first) return 1;
  return Math.min(1.91, Math.max(0.8, aspectRatio(first.media)));
}

function Slide({ item, index, eager, current }: { item: PostItem; index: number; eager: boolean; current: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (!current) video.current?.pause?.();
  }, [current]);
  const { media } = item;
  const alt = item.alt_text || `Item ${index + 1}`;
  if (media.state !== "ready") {
    return (
      <div className="carousel-pending">
        <Picture media={media} alt={item.alt_text} sizes={SIZES} />
        <p>{media.state === "failed" ? "This item couldn't be processed." : "Still processing…"}</p>
      </div>
    );
  }
  if (media.kind === "video") {
    return (
      <video
        ref={video}
        className="carousel-video"
        poster={largestStill(media)?.url}
        controls
        playsInline
        muted
        loop={media.looping}
        preload="none"
        aria-label={alt}
      >
        {videoSources(media).map((source) => (
          <source key={source.url} src={source.url} type="video/mp4" />
        ))}
      </video>
    );
  }
  return <Picture media={media} alt={item.alt_text} sizes={SIZES} eager={eager && index === 0} />;
}

type CarouselProps = {
  items: PostItem[];
  /** Load the first photo at once (the first post of a feed). */
  eager?: boolean;
  onDoubleTap?: () => void;
};

export function Carousel({ items, eager = false, onDoubleTap }: CarouselProps) {
  const [index, setIndex] = useState(0);
  const track = useRef<HTMLDivElement>(null);
  const lastTap = useRef(0);
  const count = items.length;

  const go = (next: number) => {
    const target = Math.max(0, Math.min(count - 1, next));
    setIndex(target);
    // An arrow that disappears at either end must not take the keyboard focus with it.
    const arrow = document.activeElement?.classList.contains("carousel-arrow");
    if ((target === 0 || target === count - 1) && arrow) track.current?.focus();
    const element = track.current;
    if (element && element.clientWidth > 0) {
      element.scrollTo?.({ left: target * element.clientWidth, behavior: "smooth" });
    }
  };

  const onScroll = () => {
    const element = track.current;
    if (!element || element.clientWidth === 0) return;
    const shown = Math.round(element.scrollLeft / element.clientWidth);
    if (shown !== index && shown >= 0 && shown < count) setIndex(shown);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.target instanceof HTMLVideoElement) return; // its own keys seek
    if (event.key === "ArrowRight" && index < count - 1) go(index + 1);
    else if (event.key === "ArrowLeft" && index > 0) go(index - 1);
    else return;
    event.preventDefault();
  };

  // Touch screens: two taps within DOUBLE_TAP_MS (mice use the dblclick event).
  const onPointerUp = (event: PointerEvent) => {
    if (event.pointerType === "mouse" || event.target instanceof HTMLVideoElement) return;
    const now = event.timeStamp;
    if (now - lastTap.current < DOUBLE_TAP_MS) {
      lastTap.current = 0;
      onDoubleTap?.();
    } else {
      lastTap.current = now;
    }
  };

  // The scroll box itself is the focusable region (a scrollable area must take the keyboard focus).
  return (
    <div className="carousel" onKeyDown={onKeyDown} style={{ aspectRatio: String(boxRatio(items)) }}>
      <div
        ref={track}
        className="carousel-track"
        role="region"
        aria-roledescription="carousel"
        aria-label="Post media"
        tabIndex={0}
        onScroll={onScroll}
        onDoubleClick={(event) => {
          if (!(event.target instanceof HTMLVideoElement)) onDoubleTap?.();
        }}
        onPointerUp={onPointerUp}
      >
        {items.map((item, i) => (
          <div
            key={item.media.id}
            className="carousel-slide"
            role="group"
            aria-roledescription="slide"
            aria-label={`${i + 1} of ${count}`}
            aria-hidden={i !== index}
            inert={i !== index}
          >
            <Slide item={item} index={i} eager={eager} current={i === index} />
          </div>
        ))}
      </div>
      {count > 1 && (
        <>
          {index > 0 && (
            <button type="button" className="carousel-arrow carousel-prev" aria-label="Previous item" onClick={() => go(index - 1)}>
              <Icon name="chevronLeft" size={18} />
            </button>
          )}
          {index < count - 1 && (
            <button type="button" className="carousel-arrow carousel-next" aria-label="Next item" onClick={() => go(index + 1)}>
              <Icon name="chevronRight" size={18} />
            </button>
          )}
          <div className="carousel-dots" aria-hidden="true">
            {items.map((item, i) => (
              <span key={item.media.id} className={i === index ? "carousel-dot is-current" : "carousel-dot"} />
            ))}
          </div>
          <p className="visually-hidden" aria-live="polite">
            {index + 1} of {count}
          </p>
        </>
      )}
    </div>
  );
}
