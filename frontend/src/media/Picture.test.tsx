import { act, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { post } from "../discovery/fixtures";
import { fakeIntersectionObserver, marginsWatching, showElement } from "../interactions/testing";
import { Picture } from "./Picture";

const media = post("p1").items[0]!.media;

afterEach(() => vi.unstubAllGlobals());

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
    fakeIntersectionObserver();
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" />);
    const box = container.querySelector(".picture")!;
    expect(container.querySelector("img")).toBeNull();
    expect(marginsWatching(box)).toEqual(["50% 0px"]);
    act(() => showElement(box, 0.1));
    expect(container.querySelector("img")).toHaveAttribute("src", "/media/p1-thumb.jpg");
  });

  it("never waits to load the largest paint", () => {
    fakeIntersectionObserver();
    const { container } = render(<Picture media={media} alt="" sizes="100vw" shape="square" eager />);
    expect(container.querySelector("img")).not.toBeNull();
  });
});
