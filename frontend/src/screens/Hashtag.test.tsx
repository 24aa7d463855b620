import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hashtag, post } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Hashtag } from "./Hashtag";

afterEach(() => vi.unstubAllGlobals());

describe("Hashtag", () => {
  it("shows the tag, its post count and its posts, recent or top", async () => {
    const seen = answerFetch({
      "GET /api/viewfinder/v1/hashtags/sunset": { body: hashtag("sunset", 2) },
      "GET /api/viewfinder/v1/hashtags/sunset/posts": (request) => {
        const order = new URL(request.url).searchParams.get("order");
        return { body: { items: order === "top" ? [post("p2")] : [post("p1"), post("p2")], next_cursor: null } };
      },
    });
    renderApp(<Hashtag />, { path: "/tags/Sunset", route: "/tags/:tag" });
    expect(screen.getByRole("heading", { level: 1, name: "#sunset" })).toBeInTheDocument();
    expect(await screen.findByText("2 posts")).toBeInTheDocument();
    const grid = await screen.findByRole("list", { name: "Posts tagged #sunset" });
    expect(within(grid).getAllByRole("link")).toHaveLength(2);

    await userEvent.click(screen.getByRole("tab", { name: "Top" }));
    await waitFor(() =>
      expect(within(screen.getByRole("list", { name: "Posts tagged #sunset" })).getAllByRole("link")).toHaveLength(1),
    );
    expect(seen.map((request) => new URL(request.url).searchParams.get("order"))).toContain("top");
  });

  it("shows an empty state for a tag nobody used", async () => {
    answerFetch({});
    renderApp(<Hashtag />, { path: "/tags/nothing", route: "/tags/:tag" });
    expect(screen.getByRole("heading", { level: 1, name: "#nothing" })).toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "No posts yet" })).toBeInTheDocument();
  });
});
