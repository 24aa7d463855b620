/** Hooks that report what the viewer was shown and did (see reporter.ts); nothing for a visitor
 * who is not signed in. */
import { type RefObject, useCallback, useEffect, useRef } from "react";
import { useLocation } from "react-router-dom";
import { useMe } from "../auth/auth";
import { type Interaction, onPageVisibility, reportInteraction, type Surface } from "./reporter";

/** The usual ad-industry rule: at least half of it on screen for at least a second. */
const VISIBLE_RATIO = 0.5;
const IMPRESSION_AFTER_MS = 1000;
/** Shorter glances say nothing about interest. */
const MIN_DWELL_MS = 1000;

/** A report function for the signed-in viewer (a no-op for anyone else). */
export function useReportInteraction(): (event: Interaction) => void {
  const { me } = useMe();
  const viewer = me?.profile.id;
  return useCallback((event: Interaction) => reportInteraction(event, viewer), [viewer]);
}

type ImpressionOptions = {
  postId: string;
  /** Where the post is shown; without one nothing is reported (e.g. staff screens). */
  surface?: Surface;
  /** Its place on the page, 0 first. */
  position?: number;
  /** The recommender version that chose it (its `recommended.model`), if one did. */
  model?: string | null;
};

/** Reports an `impression` of the post shown in `ref` once it has been at least half visible for a
 * second (once per post and surface per page view), and a `dwell` with the time it was at least
 * half visible (while the page was in front) when it leaves the screen, the page is hidden or the
 * component goes away, if that adds up to a second since the last dwell reported. Does nothing
 * where IntersectionObserver is missing. */
export function useImpression(ref: RefObject<Element | null>, { postId, surface, position, model }: ImpressionOptions): void {
  const { me } = useMe();
  const viewer = me?.profile.id;
  const pageView = useLocation().key;
  // The place may shift as pages load; the report says where it was last.
  const place = useRef(position);
  useEffect(() => {
    place.current = position;
  }, [position]);
  // Likewise a refetched page may name another model: a change must not start the count over.
  const servedBy = useRef(model);
  useEffect(() => {
    servedBy.current = model;
  }, [model]);

  useEffect(() => {
    const element = ref.current;
    if (!element || !surface || !viewer || typeof IntersectionObserver === "undefined") return;
    let inView = false;
    let visibleSince: number | null = null;
    let dwellMs = 0;
    let impressed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const report = (event: Pick<Interaction, "kind" | "dwell_ms">) =>
      reportInteraction(
        { ...event, post_id: postId, surface, position: place.current ?? null, model: servedBy.current ?? null },
        viewer,
        pageView,
      );

    const start = () => {
      if (visibleSince !== null || !inView || document.visibilityState === "hidden") return;
      visibleSince = Date.now();
      if (!impressed) {
        timer = setTimeout(() => {
          impressed = true;
          report({ kind: "impression" });
        }, IMPRESSION_AFTER_MS);
      }
    };
    const stop = () => {
      clearTimeout(timer);
      if (visibleSince === null) return;
      dwellMs += Date.now() - visibleSince;
      visibleSince = null;
      if (dwellMs >= MIN_DWELL_MS) {
        report({ kind: "dwell", dwell_ms: dwellMs });
        dwellMs = 0;
      }
    };

    const observer = new IntersectionObserver(
      (entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        inView = entry.isIntersecting && entry.intersectionRatio >= VISIBLE_RATIO;
        if (inView) start();
        else stop();
      },
      { threshold: VISIBLE_RATIO },
    );
    observer.observe(element);
    const unsubscribe = onPageVisibility((visible) => (visible ? start() : stop()));
    return () => {
      observer.disconnect();
      unsubscribe();
      stop();
    };
  }, [ref, postId, surface, viewer, pageView]);
}
