/** A stand-in IntersectionObserver for tests (jsdom has none): `showElement(element, ratio)` tells
 * the observers watching `element` that this share of it is now on screen. */
import { vi } from "vitest";

const observers = new Set<FakeIntersectionObserver>();

class FakeIntersectionObserver {
  readonly root = null;
  readonly rootMargin: string;
  readonly thresholds: number[];
  readonly watched = new Set<Element>();

  constructor(
    private readonly callback: IntersectionObserverCallback,
    options: IntersectionObserverInit = {},
  ) {
    this.rootMargin = options.rootMargin ?? "0px";
    const threshold = options.threshold ?? 0;
    this.thresholds = Array.isArray(threshold) ? threshold : [threshold];
    observers.add(this);
  }

  observe(element: Element) {
    this.watched.add(element);
  }

  unobserve(element: Element) {
    this.watched.delete(element);
  }

  disconnect() {
    this.watched.clear();
    observers.delete(this);
  }

  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }

  show(element: Element, ratio: number) {
    const rect = element.getBoundingClientRect();
    const entry = {
      target: element,
      isIntersecting: ratio > 0,
      intersectionRatio: ratio,
      time: Date.now(),
      boundingClientRect: rect,
      intersectionRect: rect,
      rootBounds: null,
    } as IntersectionObserverEntry;
    this.callback([entry], this as unknown as IntersectionObserver);
  }
}

/** Installs the stand-in for this test (undo with vi.unstubAllGlobals()). */
export function fakeIntersectionObserver(): void {
  observers.clear();
  vi.stubGlobal("IntersectionObserver", FakeIntersectionObserver);
}

/** The root margins of the observers watching `element` (how near the screen counts as near). */
export function marginsWatching(element: Element): string[] {
  return [...observers].filter((observer) => observer.watched.has(element)).map((observer) => observer.rootMargin);
}

/** How many elements are being watched now for impressions: pictures also watch their own boxes, to
 * load only once they come near the screen (media/Picture), and are not counted. */
export function watchedCount(): number {
  return [...observers].reduce(
    (count, observer) => count + [...observer.watched].filter((element) => !element.classList.contains("picture")).length,
    0,
  );
}

/** Tells every observer watching `element` that `ratio` of it is visible. */
export function showElement(element: Element, ratio: number): void {
  for (const observer of [...observers]) if (observer.watched.has(element)) observer.show(element, ratio);
}

/** Sets document.visibilityState and announces it (undo with `restoreVisibility`). */
export function setVisibility(state: DocumentVisibilityState): void {
  Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}

export function restoreVisibility(): void {
  Reflect.deleteProperty(document, "visibilityState");
}
