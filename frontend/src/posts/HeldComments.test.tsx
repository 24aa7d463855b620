import type { QueryClient } from "@tanstack/react-query";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Comment, Me, Post } from "../api/client";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { EMPTY_PAGE, comment, me, post, user } from "./testData";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

const HELD = [
  comment({ id: "h1", author: user("troll"), text: "First held" }),
  comment({ id: "h2", author: user("pest"), text: "Second held", parent_id: "c1" }),
];

function showPost(shown: Post, viewer: Me, routes: Parameters<typeof answerFetch>[0] = {}) {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { body: viewer },
    [`GET ${API}/posts/${shown.id}`]: { body: shown },
    [`GET ${API}/posts/${shown.id}/comments`]: { body: EMPTY_PAGE },
    ...routes,
  });
  const { client } = renderApp(<PostDetail />, { path: `/p/${shown.id}`, route: "/p/:postId" });
  lastClient = client;
  return seen;
}

let lastClient: QueryClient | undefined;

/** The post's comment count as the page holds it (the detail page does not print it). */
function commentCount(postId = "1"): number | undefined {
  return lastClient?.getQueryData<Post>(["post", postId])?.comment_count;
}

function heldRequests(seen: Request[]) {
  return seen.filter((request) => new URL(request.url).pathname.endsWith("/comments/held"));
}

describe("held comments on a post's page", () => {
  it("lets the post's author review and approve them from the keyboard", async () => {
    const seen = showPost(post({ comment_count: 0 }), me("alice"), {
      [`GET ${API}/posts/1/comments/held`]: { body: { items: HELD, next_cursor: null } },
      [`POST ${API}/comments/h1/approve`]: { status: 204 },
    });
    const toggle = await screen.findByRole("button", { name: /2 comments held for review/ }, { timeout: 5000 });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByText("First held")).not.toBeInTheDocument();
    expect(new URL(heldRequests(seen)[0]?.url ?? "http://x").searchParams.get("limit")).toBe("100");

    const keys = userEvent.setup();
    toggle.focus();
    await keys.keyboard("{Enter}");
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const region = screen.getByRole("region", { name: "Held comments" });
    expect(within(region).getByText("First held")).toBeInTheDocument();
    expect(within(region).getByText("a reply")).toBeInTheDocument();
    expect(region).toHaveTextContent("Only their authors see these until you approve them.");

    const commentsBefore = seen.filter((r) => new URL(r.url).pathname === `${API}/posts/1/comments`).length;
    await keys.tab(); // the commenter's name
    await keys.tab();
    expect(within(region).getByRole("button", { name: "Approve troll's comment" })).toHaveFocus();
    await keys.keyboard("{Enter}");

    await waitFor(() => expect(screen.queryByText("First held")).not.toBeInTheDocument());
    expect(seen.some((r) => r.method === "POST" && new URL(r.url).pathname === `${API}/comments/h1/approve`)).toBe(true);
    expect(toggle).toHaveTextContent("1 comment held for review");
    // The approved comment joins the thread (its list is fetched again) and the post's count goes up.
    await waitFor(() =>
      expect(seen.filter((r) => new URL(r.url).pathname === `${API}/posts/1/comments`).length).toBeGreaterThan(commentsBefore),
    );
    expect(commentCount()).toBe(1);
    await waitFor(() => expect(within(region).getByRole("button", { name: "Approve pest's comment" })).toHaveFocus());
  });

  it("shows staff who act on content every held comment of anyone's post", async () => {
    const moderator = { ...me("mia"), role: "moderator", is_staff: true };
    showPost(post(), moderator, {
      [`GET ${API}/posts/1/comments/held`]: { body: { items: HELD.slice(0, 1), next_cursor: "next" } },
    });
    const toggle = await screen.findByRole("button", { name: /1\+ comments held for review/ });
    await userEvent.click(toggle);
    expect(screen.getByRole("region", { name: "Held comments" })).toHaveTextContent(
      "Only their authors see these until staff or the post's author approve them.",
    );
    expect(screen.getByRole("button", { name: "Load more" })).toBeInTheDocument();
  });

  it("asks nothing for anyone else (the API would refuse them)", async () => {
    const seen = showPost(post(), me("bob"), {
      [`GET ${API}/posts/1/comments/held`]: { body: { items: HELD, next_cursor: null } },
    });
    await screen.findByText("No comments yet. Start the conversation.");
    const analyst = { ...me("ana"), role: "analyst", is_staff: true };
    expect(heldRequests(seen)).toHaveLength(0);
    vi.unstubAllGlobals();
    const again = showPost(post({ id: "2" }), analyst, {
      [`GET ${API}/posts/2/comments/held`]: { body: { items: HELD, next_cursor: null } },
    });
    await screen.findAllByText("No comments yet. Start the conversation.");
    expect(heldRequests(again)).toHaveLength(0);
    expect(screen.queryByRole("region", { name: "Held comments" })).not.toBeInTheDocument();
  });

  it("shows nothing when no comment is held", async () => {
    const seen = showPost(post(), me("alice"), { [`GET ${API}/posts/1/comments/held`]: { body: EMPTY_PAGE } });
    await waitFor(() => expect(heldRequests(seen)).toHaveLength(1));
    await screen.findByText("No comments yet. Start the conversation.");
    expect(screen.queryByRole("region", { name: "Held comments" })).not.toBeInTheDocument();
  });

  it("says why an approval failed, beside the comment", async () => {
    showPost(post(), me("alice"), {
      [`GET ${API}/posts/1/comments/held`]: { body: { items: HELD.slice(0, 1), next_cursor: null } },
      [`POST ${API}/comments/h1/approve`]: {
        status: 404,
        body: { error: { code: "not_found", message: "No such held comment.", fields: {} } },
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: /1 comment held for review/ }));
    await userEvent.click(screen.getByRole("button", { name: "Approve troll's comment" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No such held comment.");
    expect(screen.getByText("First held")).toBeInTheDocument();
  });
});

describe("a restricted commenter", () => {
  const held = (extra: Partial<Comment> = {}) => ({ ...comment({ author: me().profile, ...extra }), held: true });

  it("sees their own held comment, marked as seen by them only", async () => {
    showPost(post(), me(), {
      [`GET ${API}/posts/1/comments`]: { body: { items: [held({ id: "c7", text: "Mine, held" })], next_cursor: null } },
    });
    const item = (await screen.findByText("Mine, held")).closest("li") as HTMLElement;
    expect(item).toHaveTextContent("Held for review: only you can see this comment until it is approved.");
  });

  it("does not count a comment the API holds", async () => {
    showPost(post({ comment_count: 3 }), me(), {
      [`POST ${API}/posts/1/comments`]: { status: 201, body: held({ id: "c9", text: "Held one" }) },
    });
    const input = await screen.findByLabelText("Add a comment…");
    await userEvent.type(input, "Held one{Enter}");
    const item = (await screen.findByText("Held one")).closest("li") as HTMLElement;
    await waitFor(() => expect(item).toHaveTextContent("Held for review"));
    expect(commentCount()).toBe(3);
  });
});
