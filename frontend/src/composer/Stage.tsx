/** The big preview of the selected item, framed as it will be shared: the crop's aspect ratio, the
 * photo turned, moved and zoomed within it, and the filter's and adjustments' CSS approximation.
 * Where it can be edited, the photo is framed by hand: drag it, pinch or scroll to zoom (Pointer
 * Events; the maths is crop.ts's), or use the arrow keys and + and −. */
import {
  type CSSProperties,
  type KeyboardEvent,
  type PointerEvent,
  type RefObject,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { adjustPreview } from "./adjust";
import {
  FULL_VIEW,
  MAX_ASPECT,
  type Point,
  type Size,
  type View,
  clampView,
  cropBox,
  panView,
  previewPlacement,
  rotatedSize,
  targetAspect,
  zoomView,
} from "./crop";
import { type Draft, editable, takesEdits } from "./drafts";
import { LocalMedia } from "./LocalMedia";
import { photoFilter } from "./look";

/** Tallest a video preview gets (9:16), as on phones. */
const MIN_VIDEO_ASPECT = 9 / 16;
/** One arrow key press moves the photo by this much of the frame (Shift: four times as far). */
const KEY_STEP = 0.05;
const KEY_ZOOM = 1.25;

function videoAspect(draft: Draft): number {
  const natural = draft.natural;
  if (!natural || natural.height <= 0) return 1;
  return Math.min(MAX_ASPECT, Math.max(MIN_VIDEO_ASPECT, natural.width / natural.height));
}

type Props = {
  draft: Draft;
  n: number;
  onMeasured: (key: string, size: Size | null) => void;
  /** Given where the photo may be framed by hand: called with the frame's new place on it. */
  onView?: (view: View) => void;
};

export function Stage({ draft, n, onMeasured, onView }: Props) {
  const alt = draft.altText.trim() || `Preview of item ${n}`;
  const photo = takesEdits(draft) && draft.natural ? rotatedSize(draft.natural, draft.rotation) : undefined;
  if (!photo) {
    // Videos, GIFs, and a photo until its size is known: the whole item, centred.
    const aspect = takesEdits(draft) ? targetAspect(draft.crop, undefined) : videoAspect(draft);
    return (
      <figure className="composer-stage">
        <div className="composer-frame" style={{ "--ratio": aspect } as CSSProperties}>
          <LocalMedia
            key={draft.key}
            draft={draft}
            alt={alt}
            controls
            style={{ filter: photoFilter(draft) }}
            onMeasured={onMeasured}
          />
        </div>
      </figure>
    );
  }
  return (
    <figure className="composer-stage">
      <FramedPhoto
        key={draft.key}
        draft={draft}
        n={n}
        alt={alt}
        photo={photo}
        onMeasured={onMeasured}
        onView={editable(draft) ? onView : undefined}
      />
    </figure>
  );
}

type FramedProps = {
  draft: Draft;
  n: number;
  alt: string;
  /** The photo's size once turned. */
  photo: Size;
  onMeasured: (key: string, size: Size | null) => void;
  onView?: (view: View) => void;
};

function FramedPhoto({ draft, n, alt, photo, onMeasured, onView }: FramedProps) {
  const frame = useRef<HTMLDivElement>(null);
  const hint = useId();
  const aspect = targetAspect(draft.crop, photo);
  const framing = useFraming(frame, { view: draft.view, aspect, photo, onView });
  const place = previewPlacement(cropBox(aspect, photo, framing.view), aspect, draft.rotation);
  const look = adjustPreview(draft.adjustments);
  const classes = ["composer-frame"];
  if (onView) classes.push("is-framable");
  if (framing.moving) classes.push("is-moving");
  return (
    <>
      <div
        ref={frame}
        className={classes.join(" ")}
        style={{ "--ratio": aspect } as CSSProperties}
        {...(onView && {
          role: "group",
          "aria-label": `Crop of item ${n}`,
          "aria-describedby": hint,
          tabIndex: 0,
          ...framing.handlers,
        })}
      >
        <LocalMedia
          draft={draft}
          alt={alt}
          className="composer-framed"
          style={{
            left: `${place.centerX}%`,
            top: `${place.centerY}%`,
            width: `${place.width}%`,
            height: `${place.height}%`,
            transform: `translate(-50%, -50%)${draft.rotation ? ` rotate(${draft.rotation}deg)` : ""}`,
            filter: photoFilter(draft),
          }}
          onMeasured={onMeasured}
        />
        {look.tint && (
          <span
            className="composer-layer composer-tint"
            style={{ backgroundColor: look.tint.color, opacity: look.tint.opacity }}
          />
        )}
        {look.fade > 0 && <span className="composer-layer composer-fade" style={{ opacity: look.fade }} />}
        {look.vignette && <span className="composer-layer" style={{ backgroundImage: look.vignette }} />}
      </div>
      {onView && (
        <p id={hint} className="visually-hidden">
          Drag the photo to move it, pinch or scroll to zoom. With the keyboard: arrow keys move it, plus and minus
          zoom, 0 resets.
        </p>
      )}
    </>
  );
}

type Framing = { view: View; aspect: number; photo: Size; onView?: (view: View) => void };

/** The gestures that move the frame over the photo. A drag or a pinch is shown as it goes and saved
 * once the last finger lifts; a wheel turn or a key press is saved at once. */
function useFraming(frame: RefObject<HTMLDivElement | null>, { view, aspect, photo, onView }: Framing) {
  const [live, setLive] = useState<View | null>(null);
  // The newest view, ahead of the props while events come faster than renders.
  const newest = useRef(view);
  useEffect(() => {
    newest.current = view;
  }, [view]);
  const pointers = useRef(new Map<number, Point>());
  const moved = useRef(false);
  const current = useRef({ aspect, photo, onView });
  current.current = { aspect, photo, onView };
  const framable = onView !== undefined;

  const bounds = () => {
    const rect = frame.current?.getBoundingClientRect();
    return rect && rect.width > 0 && rect.height > 0 ? rect : null;
  };
  const show = (next: View) => {
    newest.current = next;
    moved.current = true;
    setLive(next);
  };
  const save = (next: View) => {
    newest.current = next;
    setLive(null);
    current.current.onView?.(next);
  };

  // Not React's onWheel: React listens passively, and the page must not scroll while zooming.
  useEffect(() => {
    const element = frame.current;
    if (!element || !framable) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = bounds();
      const lines = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? 16 : 1;
      const pages = event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? (rect?.height ?? 800) : 1;
      // A trackpad pinch arrives as a wheel event with ctrlKey and small steps.
      const factor = Math.exp(-event.deltaY * lines * pages * (event.ctrlKey ? 0.01 : 0.0015));
      const anchor = rect ? pointIn(rect, { x: event.clientX, y: event.clientY }) : undefined;
      const { aspect, photo } = current.current;
      save(zoomView(newest.current, factor, aspect, photo, anchor));
    };
    // Safari sends a trackpad pinch as its own gesture events (with a running scale), not as wheel
    // events; left alone, it would zoom the whole page. On iPhones a two-finger pinch sends them too,
    // besides the pointer events that already zoom: those are ignored.
    let gestureScale = 1;
    const onGestureStart = (event: Event) => {
      event.preventDefault();
      gestureScale = 1;
    };
    const onGestureChange = (event: Event) => {
      event.preventDefault();
      const scale = (event as Event & { scale?: number }).scale;
      if (pointers.current.size > 0 || !scale || !Number.isFinite(scale)) return;
      const { aspect, photo } = current.current;
      save(zoomView(newest.current, scale / gestureScale, aspect, photo));
      gestureScale = scale;
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    element.addEventListener("gesturestart", onGestureStart);
    element.addEventListener("gesturechange", onGestureChange);
    return () => {
      element.removeEventListener("wheel", onWheel);
      element.removeEventListener("gesturestart", onGestureStart);
      element.removeEventListener("gesturechange", onGestureChange);
    };
    // bounds and save read refs only.
  }, [frame, framable]);

  const handlers = {
    onPointerDown: (event: PointerEvent<HTMLDivElement>) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      try {
        event.currentTarget.setPointerCapture?.(event.pointerId);
      } catch {
        // A pointer already gone (the capture is a nicety: moves outside the frame keep counting).
      }
      pointers.current.set(event.pointerId, { x: event.clientX, y: event.clientY });
    },
    onPointerMove: (event: PointerEvent<HTMLDivElement>) => {
      const before = pointers.current.get(event.pointerId);
      const rect = bounds();
      if (!before || !rect) return;
      const now = { x: event.clientX, y: event.clientY };
      const { aspect, photo } = current.current;
      const other = [...pointers.current].find(([id]) => id !== event.pointerId)?.[1];
      let next = newest.current;
      if (!other) {
        next = panView(next, (now.x - before.x) / rect.width, (now.y - before.y) / rect.height, aspect, photo);
      } else {
        // Two fingers: zoom by how far they spread, about where they were, then follow their midpoint.
        const spread = distance(before, other);
        const from = midpoint(before, other);
        const to = midpoint(now, other);
        if (spread > 0) next = zoomView(next, distance(now, other) / spread, aspect, photo, pointIn(rect, from));
        next = panView(next, (to.x - from.x) / rect.width, (to.y - from.y) / rect.height, aspect, photo);
      }
      pointers.current.set(event.pointerId, now);
      show(next);
    },
    onPointerUp: (event: PointerEvent<HTMLDivElement>) => end(event.pointerId),
    onPointerCancel: (event: PointerEvent<HTMLDivElement>) => end(event.pointerId),
    onKeyDown: (event: KeyboardEvent<HTMLDivElement>) => {
      const { aspect, photo } = current.current;
      const step = event.shiftKey ? KEY_STEP * 4 : KEY_STEP;
      const moves: Record<string, [number, number]> = {
        ArrowLeft: [-step, 0],
        ArrowRight: [step, 0],
        ArrowUp: [0, -step],
        ArrowDown: [0, step],
      };
      const zooms: Record<string, number> = { "+": KEY_ZOOM, "=": KEY_ZOOM, "-": 1 / KEY_ZOOM, _: 1 / KEY_ZOOM };
      let next: View | null = null;
      if (event.key in moves) {
        const [dx, dy] = moves[event.key]!;
        next = panView(newest.current, dx, dy, aspect, photo);
      } else if (event.key in zooms) {
        next = zoomView(newest.current, zooms[event.key]!, aspect, photo);
      } else if (event.key === "0") {
        next = clampView(FULL_VIEW, aspect, photo);
      }
      if (!next || event.altKey || event.metaKey || event.ctrlKey) return;
      event.preventDefault();
      save(next);
    },
  };

  function end(pointerId: number) {
    if (!pointers.current.delete(pointerId) || pointers.current.size > 0) return;
    if (moved.current) save(newest.current);
    moved.current = false;
  }

  return { view: live ?? view, moving: live !== null, handlers };
}

function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function midpoint(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** A point of the page as a point of the frame (in fractions of it, kept inside). */
function pointIn(rect: DOMRect, point: Point): Point {
  const clamp = (value: number) => Math.min(1, Math.max(0, value));
  return { x: clamp((point.x - rect.left) / rect.width), y: clamp((point.y - rect.top) / rect.height) };
}
