import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Avatar } from "./Avatar";

function background(username: string, avatar_url: string | null = null): string {
  const { container, unmount } = render(<Avatar user={{ username, avatar_url }} />);
  const element = container.firstElementChild as HTMLElement;
  const value = element.style.backgroundImage;
  unmount();
  return value;
}

describe("Avatar", () => {
  it("gives an account without a picture its initial on a gradient of its own", () => {
    const { container } = render(<Avatar user={{ username: "sharer", avatar_url: null }} />);
    expect(container.firstElementChild).toHaveTextContent(/^S$/);

    const sharer = background("sharer");
    expect(sharer).toMatch(/^linear-gradient\(/);
    expect(background("sharer")).toBe(sharer);
    expect(background("viewer")).not.toBe(sharer);
    expect(new Set(["alice", "bob", "carol", "dave", "erin"].map((name) => background(name))).size).toBe(5);
  });

  it("shows the account's picture when it has one", () => {
    const { container } = render(<Avatar user={{ username: "sharer", avatar_url: "/media/a/sharer.jpg" }} size={40} />);
    const image = container.querySelector("img");
    expect(image).toHaveAttribute("src", "/media/a/sharer.jpg");
    expect(image).toHaveAttribute("width", "40");
    expect(image?.style.backgroundImage).toBe("");
    expect(container).not.toHaveTextContent("S");
  });
});
