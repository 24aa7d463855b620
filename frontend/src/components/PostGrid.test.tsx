import { readFileSync } from "node:fs";
import path from "node:path";
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { post } from "../discovery/fixtures";
import { renderApp } from "../test/render";
import { PostGrid, compactCount } from "./PostGrid";

describe("grid tiles", () => {
  it("carry their likes and comments for a mouse's hover, the likes only when shown", () => {
    const liked = { ...post("p1"), like_count: 1234, comment_count: 3 };
    const hidden = { ...post("p2"), like_count: null, comment_count: 12 };
    renderApp(<PostGrid posts={[liked, hidden]} label="Posts" />);
    const [first, second] = within(screen.getByRole("list", { name: "Posts" })).getAllByRole("link");
    expect(first?.querySelector(".grid-counts")).toHaveTextContent("1.2K 3");
    expect(second?.querySelector(".grid-counts")).toHaveTextContent(/^12$/);
    // The counts are decoration: the tile's name is the post's.
    expect(first).toHaveAccessibleName("Post by alice: Photo p1");
  });

  it("shows them only on hover with a fine pointer (never stuck on a touch screen)", () => {
    const css = readFileSync(path.resolve(import.meta.dirname, "../styles.css"), "utf8");
    expect(css).toMatch(/\.grid-counts \{[^}]*display: none;/);
    expect(css).toMatch(/@media \(hover: hover\) and \(pointer: fine\) \{\s*\.post-grid-cell:hover \.grid-counts/);
  });

  it("writes counts as tiles do", () => {
    expect(compactCount(999)).toBe("999");
    expect(compactCount(1234)).toBe("1.2K");
    expect(compactCount(2_500_000)).toBe("2.5M");
  });
});
