import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Carousel } from "./Carousel";
import { photo } from "./testData";

const items = [
  { media: photo("a"), alt_text: "First photo" },
  { media: photo("b"), alt_text: "Second photo" },
  { media: photo("c"), alt_text: "Third photo" },
];

describe("Carousel", () => {
  it("moves with the arrows, hides them at the ends and announces the position", async () => {
    render(<Carousel items={items} />);
    expect(screen.getByText("1 of 3")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "First photo" })).toBeInTheDocument();
    expect(screen.queryByRole("img", { name: "Second photo" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Previous item" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Next item" }));
    expect(screen.getByText("2 of 3")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Second photo" })).toBeInTheDocument();
    expect(screen.queryByRole("img", { name: "First photo" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Next item" }));
    expect(screen.getByText("3 of 3")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Next item" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Previous item" }));
    expect(screen.getByText("2 of 3")).toBeInTheDocument();
  });

  it("follows the arrow keys when focused", async () => {
    render(<Carousel items={items} />);
    const region = screen.getByRole("region", { name: "Post media" });
    expect(region).toHaveAttribute("aria-roledescription", "carousel");
    region.focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(screen.getByText("2 of 3")).toBeInTheDocument();
    await userEvent.keyboard("{ArrowRight}{ArrowRight}");
    expect(screen.getByText("3 of 3")).toBeInTheDocument();
    await userEvent.keyboard("{ArrowLeft}");
    expect(screen.getByText("2 of 3")).toBeInTheDocument();
  });

  it("reserves the first item's aspect ratio and likes on a double click", () => {
    const onDoubleTap = vi.fn();
    render(<Carousel items={[{ media: photo("w", 1600, 1000), alt_text: "" }]} onDoubleTap={onDoubleTap} />);
    const region = screen.getByRole("region", { name: "Post media" });
    expect((region.parentElement as HTMLElement).style.aspectRatio).toMatch(/^1.6( \/ 1)?$/);
    expect(screen.queryByText(/of 1/)).not.toBeInTheDocument();
    fireEvent.doubleClick(region);
    expect(onDoubleTap).toHaveBeenCalledOnce();
  });

  it("plays videos inline over their poster", () => {
    const video = {
      ...photo("v"),
      kind: "video",
      looping: true,
      renditions: [
        { name: "poster-1080", format: "jpeg", url: "/media/v-poster.jpg", width: 1080, height: 1080 },
        { name: "720", format: "mp4", url: "/media/v.mp4", width: 720, height: 720 },
      ],
    };
    const { container } = render(<Carousel items={[{ media: video, alt_text: "A wave" }]} />);
    const element = container.querySelector("video") as HTMLVideoElement;
    expect(element).toHaveAttribute("poster", "/media/v-poster.jpg");
    expect(element).toHaveAttribute("preload", "none");
    expect(element.loop).toBe(true);
    expect(element.muted).toBe(true);
    expect(element.querySelector("source")).toHaveAttribute("src", "/media/v.mp4");
  });
});
