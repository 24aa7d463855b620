import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Comment } from "../api/client";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { comment, me, post } from "./testData";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

/** The post's page as its commenter sees it, with one comment of theirs held for `reason`. */
async function heldItem(reason: Comment["held_reason"]): Promise<HTMLElement> {
  const held = comment({ id: "c7", author: me().profile, text: "Mine, held", held: true, held_reason: reason });
  answerFetch({
    [`GET ${API}/accounts/me`]: { body: me() },
    [`GET ${API}/posts/1`]: { body: post() },
    [`GET ${API}/posts/1/comments`]: { body: { items: [held], next_cursor: null } },
  });
  renderApp(<PostDetail />, { path: "/p/1", route: "/p/:postId" });
  return (await screen.findByText("Mine, held")).closest("li") as HTMLElement;
}

describe("a held comment tells its author why", () => {
  it("says the spam filter held it", async () => {
    const item = await heldItem("spam");
    expect(item).toHaveTextContent(
      "Held for review: it looks like spam to our automatic filter. Only you can see it until a moderator approves it.",
    );
  });

  it("says one of the community's rules held it", async () => {
    const item = await heldItem("rules");
    expect(item).toHaveTextContent(
      "Held for review: it matches one of this community's rules. Only you can see it until a moderator approves it.",
    );
  });

  it("says the account's comments are reviewed", async () => {
    const item = await heldItem("restricted");
    expect(item).toHaveTextContent(
      "Held for review: your account's comments are reviewed before they appear. Only you can see it until the post's author or a moderator approves it.",
    );
  });

  it("keeps the general note when the API gives no reason", async () => {
    const item = await heldItem(null);
    expect(item).toHaveTextContent("Held for review: only you can see this comment until it is approved.");
    expect(item).not.toHaveTextContent("spam");
  });

  it("says nothing of review on a comment that is not held", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/posts/1`]: { body: post() },
      [`GET ${API}/posts/1/comments`]: { body: { items: [comment({ text: "Published" })], next_cursor: null } },
    });
    renderApp(<PostDetail />, { path: "/p/1", route: "/p/:postId" });
    const item = (await screen.findByText("Published")).closest("li") as HTMLElement;
    expect(item).not.toHaveTextContent("Held for review");
  });
});
