import { act, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { post } from "../discovery/fixtures";
import { Picture } from "./Picture";

const media = post("p1").items[0]!.media;

afterEach(() => vi.unstubAllGlobals());

/** An IntersectionObserver whose callbacks the test calls: `near()` says every target came near. */
function stubObserver() {
  const observers: { callback: IntersectionObserverCallback; margin?: string }[] = [];
  vi.stubGlobal(
    "IntersectionObserver",
    class {
      constructor(callback: IntersectionObserverCallback, options?: IntersectionObserverInit) {
        observers.push({ callback, margin: options?.rootMargin });
      }
      observe() {}
      disconnect() {}
    },
  );
  return {
    observers,
    near: () =>
      act(() => {
        for (const { callback } of observers) {
          callback([{ isIntersecting: true } as IntersectionObserverEntry], {} as IntersectionObserver);
        }
      }),
  };
}

describe("Picture", () => {
  it("fetches the largest paint (eager) first, at high priority", () => {
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" eager />);
    const image = container.querySelector("img")!;
    expect(image).toHaveAttribute("loading", "eager");
    expect(image).toHaveAttribute("fetchpriority", "high");
  });

  it("leaves every other picture to load lazily at the browser's own priority", () => {
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" />);
    const image = container.querySelector("img")!;
    expect(image).toHaveAttribute("loading", "lazy");
    expect(image).not.toHaveAttribute("fetchpriority");
  });

  it("downloads nothing until it comes near the viewport, then its image", () => {
    const observer = stubObserver();
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" />);
    expect(container.querySelector("img")).toBeNull();
    expect(observer.observers[0]?.margin).toBe("50% 0px");
    observer.near();
    expect(container.querySelector("img")).toHaveAttribute("src", "/media/p1-thumb.jpg");
  });

  it("never waits to load the largest paint", () => {
    stubObserver();
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" eager />);
    expect(container.querySelector("img")).not.toBeNull();
  });
});
