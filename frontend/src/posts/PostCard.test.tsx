import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Post } from "../api/client";
import { Home } from "../screens/Home";
import { PostCard } from "./PostCard";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { EMPTY_PAGE, comment, me, post, user } from "./testData";
import { SIGNED_OUT } from "../accounts/fixtures";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

/** The post page for `shown`, signed in as `viewer`; `routes` add or override answers. */
function showPost(shown: Post, routes: Parameters<typeof answerFetch>[0] = {}, viewer = "me") {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { body: me(viewer) },
    [`GET ${API}/posts/${shown.id}`]: { body: shown },
    [`GET ${API}/posts/${shown.id}/comments`]: { body: EMPTY_PAGE },
    ...routes,
  });
  const view = renderApp(<PostDetail />, { path: `/p/${shown.id}`, route: "/p/:postId" });
  return { ...view, seen };
}

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("PostCard", () => {
  it("likes at once and rolls back with the error when the API refuses", async () => {
    const answer = deferred<{ status: number; body: unknown }>();
    showPost(post({ like_count: 12 }), { [`POST ${API}/posts/1/like`]: () => answer.promise });
    const like = await screen.findByRole("button", { name: "Like" });
    expect(like).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByRole("button", { name: "12 likes" })).toBeInTheDocument();

    await userEvent.click(like);
    expect(screen.getByRole("button", { name: "Unlike" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "13 likes" })).toBeInTheDocument();

    answer.resolve({ status: 429, body: { error: { code: "rate_limited", message: "Slow down a little.", fields: {} } } });
    expect(await screen.findByText("Slow down a little.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Like" })).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByRole("button", { name: "12 likes" })).toBeInTheDocument();
  });

  it("keeps the like once the API agrees, with its count", async () => {
    showPost(post({ like_count: 12 }), { [`POST ${API}/posts/1/like`]: { body: { liked: true, like_count: 20 } } });
    await userEvent.click(await screen.findByRole("button", { name: "Like" }));
    expect(await screen.findByRole("button", { name: "20 likes" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Unlike" })).toHaveAttribute("aria-pressed", "true");
  });

  it("hides the like count when the author hid it", async () => {
    showPost(post({ like_count: null }));
    await screen.findByRole("button", { name: "Like" });
    expect(screen.queryByText(/likes?$/)).not.toBeInTheDocument();
  });

  it("links the caption's #tags and @mentions", async () => {
    showPost(post({ caption: "Golden hour with @bob at #Beach" }));
    expect(await screen.findByRole("link", { name: "#Beach" })).toHaveAttribute("href", "/tags/beach");
    expect(screen.getByRole("link", { name: "@bob" })).toHaveAttribute("href", "/bob");
  });

  it("saves optimistically", async () => {
    showPost(post(), { [`POST ${API}/posts/1/save`]: { body: { saved: true } } });
    await userEvent.click(await screen.findByRole("button", { name: "Save" }));
    expect(screen.getByRole("button", { name: "Remove from saved" })).toHaveAttribute("aria-pressed", "true");
  });

  it("opens the likers in a dialog", async () => {
    showPost(post({ like_count: 2 }), {
      [`GET ${API}/posts/1/likes`]: {
        body: { items: [comment().author, { ...comment().author, id: "u2", username: "carol" }], next_cursor: null },
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: "2 likes" }));
    const dialog = await screen.findByRole("dialog", { name: "Likes" });
    expect(await within(dialog).findByRole("link", { name: "carol" })).toHaveAttribute("href", "/carol");
  });
});

describe("caption in the feed", () => {
  function showInFeed(caption: string) {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: me() } });
    const { container } = renderApp(<PostCard post={post({ caption })} />);
    return container.querySelector("p.caption-text") as HTMLElement;
  }

  it("shows the first line, then “… more” on that same line, and expands to every line", async () => {
    const caption = showInFeed("Golden hour\n\n#sunset");
    // One paragraph: the name, the first line, the ellipsis and the button; no line break nor the rest.
    expect(caption).toHaveTextContent(/^alice Golden hour… more$/);
    expect(caption.textContent).not.toContain("\n");
    const more = within(caption).getByRole("button", { name: "more" });
    expect(screen.queryByRole("link", { name: "#sunset" })).not.toBeInTheDocument();

    await userEvent.click(more);
    expect(caption.textContent).toBe("alice Golden hour\n\n#sunset");
    expect(within(caption).getByRole("link", { name: "#sunset" })).toHaveAttribute("href", "/tags/sunset");
    expect(screen.queryByRole("button", { name: "more" })).not.toBeInTheDocument();
  });

  it("cuts a long single line at a word, and leaves a short caption whole", () => {
    const long = `${"light ".repeat(30)}#beach`;
    const caption = showInFeed(long);
    const shown = (caption.textContent ?? "").replace(/^alice /, "").replace(/… more$/, "");
    expect(shown.length).toBeLessThanOrEqual(125);
    expect(shown).toMatch(/light$/);
    expect(within(caption).getByRole("button", { name: "more" })).toBeInTheDocument();

    cleanup();
    vi.unstubAllGlobals();
    expect(showInFeed("Golden hour at #sunset").textContent).toBe("alice Golden hour at #sunset");
    expect(screen.queryByRole("button", { name: "more" })).not.toBeInTheDocument();
  });

  it("shows the whole caption, with its line breaks, on the post's page", async () => {
    showPost(post({ caption: "Golden hour\n\n#sunset" }));
    const link = await screen.findByRole("link", { name: "#sunset" });
    expect(link.closest("p")?.textContent).toBe("alice Golden hour\n\n#sunset");
    expect(screen.queryByRole("button", { name: "more" })).not.toBeInTheDocument();
  });
});

describe("like count", () => {
  it("is a button with a tap target of at least 44px", async () => {
    showPost(post({ like_count: 3 }));
    expect(await screen.findByRole("button", { name: "3 likes" })).toHaveClass("like-count");
    // jsdom lays nothing out (nor loads stylesheets): read the rule itself.
    const css = readFileSync(path.join(import.meta.dirname, "posts.css"), "utf8");
    const rule = css.match(/(?:^|\n)\.like-count \{([^}]*)\}/)?.[1] ?? "";
    expect(rule).toMatch(/min-height: 44px;/);
  });
});

describe("comments", () => {
  it("shows a new comment at once", async () => {
    const answer = deferred<{ status: number; body: unknown }>();
    showPost(post({ comment_count: 0 }), { [`POST ${API}/posts/1/comments`]: () => answer.promise });
    const input = await screen.findByLabelText("Add a comment…");
    expect(screen.getByRole("button", { name: "Post" })).toBeDisabled();
    await userEvent.type(input, "Lovely light");
    await userEvent.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByText("Lovely light")).toBeInTheDocument();
    expect(screen.getByText("Posting…")).toBeInTheDocument();
    expect(input).toHaveValue("");
    answer.resolve({ status: 201, body: comment({ id: "c9", text: "Lovely light", author: me().profile }) });
    await waitFor(() => expect(screen.queryByText("Posting…")).not.toBeInTheDocument());
    expect(screen.getByText("Lovely light")).toBeInTheDocument();
  });

  it("shows the API's error beside the input and gives the text back", async () => {
    showPost(post(), {
      [`POST ${API}/posts/1/comments`]: {
        status: 400,
        body: { error: { code: "validation_error", message: "Invalid.", fields: { text: "Mention at most 20 accounts." } } },
      },
    });
    const input = await screen.findByLabelText("Add a comment…");
    await userEvent.type(input, "@a @b");
    await userEvent.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByText("Mention at most 20 accounts.")).toBeInTheDocument();
    expect(input).toHaveValue("@a @b");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByText("Posting…")).not.toBeInTheDocument();
  });

  it("replies with the author prefilled and shows the thread", async () => {
    const first = comment({ id: "c1", text: "Where is this?", reply_count: 0 });
    const { seen } = showPost(post({ comment_count: 1 }), {
      [`GET ${API}/posts/1/comments`]: { body: { items: [first], next_cursor: null } },
      [`POST ${API}/posts/1/comments`]: {
        status: 201,
        body: comment({ id: "c2", parent_id: "c1", text: "@bob Lisbon", author: me().profile }),
      },
      [`GET ${API}/comments/c1/replies`]: {
        body: { items: [comment({ id: "c2", parent_id: "c1", text: "@bob Lisbon", author: me().profile })], next_cursor: null },
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: "Reply" }));
    const input = screen.getByLabelText("Add a comment…");
    expect(input).toHaveValue("@bob ");
    await userEvent.type(input, "Lisbon");
    await userEvent.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByRole("button", { name: "Hide replies" })).toBeInTheDocument();
    const sent = seen.find((request) => request.method === "POST");
    expect(await sent?.json()).toEqual({ text: "@bob Lisbon", reply_to: "c1" });
    expect(await screen.findByRole("link", { name: "@bob" })).toBeInTheDocument();
  });

  it("likes a comment and lets you delete your own", async () => {
    const mine = comment({ id: "c5", author: me().profile, text: "Mine" });
    const theirs = comment({ id: "c6", text: "Theirs" });
    showPost(post({ comment_count: 2 }), {
      [`GET ${API}/posts/1/comments`]: { body: { items: [mine, theirs], next_cursor: null } },
      [`POST ${API}/comments/c6/like`]: { body: { liked: true, like_count: 1 } },
      [`DELETE ${API}/comments/c5`]: { status: 204 },
    });
    const likes = await screen.findAllByRole("button", { name: "Like comment" });
    await userEvent.click(likes[1] as HTMLElement);
    expect(screen.getByRole("button", { name: "Unlike comment" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getAllByRole("button", { name: "Delete" })).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("Mine")).not.toBeInTheDocument());
    expect(screen.getByText("Theirs")).toBeInTheDocument();
  });
});

describe("post menu", () => {
  it("offers Delete and Edit caption on your own post, and deletes after confirming", async () => {
    const { seen } = showPost(post({ author: me().profile }), { [`DELETE ${API}/posts/1`]: { status: 204 } });
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    const items = screen.getAllByRole("menuitem").map((item) => item.textContent);
    expect(items).toEqual(["Edit caption", "Delete", "Copy link"]);
    await userEvent.click(screen.getByRole("menuitem", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete post?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(seen.some((r) => r.method === "DELETE")).toBe(true));
  });

  it("offers Report, Mute and Block on someone else's post", async () => {
    showPost(post());
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    const items = screen.getAllByRole("menuitem").map((item) => item.textContent);
    expect(items).toEqual(["Report", "Mute @alice", "Block @alice", "Copy link"]);
    expect(items).not.toContain("Delete");
  });

  it("blocks after confirming", async () => {
    const { seen } = showPost(post(), { [`POST ${API}/users/alice/block`]: { status: 204 } });
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Block @alice" }));
    const dialog = await screen.findByRole("dialog", { name: "Block @alice?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Block" }));
    await waitFor(() => expect(seen.some((r) => r.method === "POST" && r.url.endsWith("/users/alice/block"))).toBe(true));
  });

  it("edits the caption", async () => {
    showPost(post({ author: me().profile, caption: "Old" }), {
      [`PATCH ${API}/posts/1`]: { body: post({ author: me().profile, caption: "New words" }) },
    });
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Edit caption" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit caption" });
    const field = within(dialog).getByLabelText("Caption");
    await userEvent.clear(field);
    await userEvent.type(field, "New words");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("New words")).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });
});

describe("suggested posts", () => {
  const suggested = (id: string, reason: string, username = "anna") =>
    post({ id, author: user(username), recommended: { reason, model: "als-7" } });

  it("say so, with the reason, only where the recommender chose them", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: {
        body: {
          items: [
            post({ id: "1" }),
            suggested("2", "Because you like posts by @anna"),
            suggested("3", "Popular this week", "ben"),
            suggested("4", "Suggested for you", "cleo"),
          ],
          next_cursor: null,
        },
      },
    });
    renderApp(<Home />, { path: "/?feed=for-you" });
    const card = async (username: string) => screen.findByRole("article", { name: `Post by ${username}` });
    expect(within(await card("alice")).queryByText(/Suggested for you/)).not.toBeInTheDocument();
    const anna = within(await card("anna")).getByText(/^Suggested for you/);
    expect(anna).toHaveTextContent(/^Suggested for you · Because you like posts by @anna$/);
    expect(within(await card("ben")).getByText(/^Suggested for you/)).toHaveTextContent(/^Suggested for you · Popular this week$/);
    expect(within(await card("cleo")).getByText(/^Suggested for you/)).toHaveTextContent(/^Suggested for you$/);
  });

  it("offer Not interested first in their menu, and only theirs", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post({ id: "1" }), suggested("2", "Popular this week")], next_cursor: null } },
    });
    renderApp(<Home />, { path: "/?feed=for-you" });
    const menuOf = async (username: string) => {
      const article = await screen.findByRole("article", { name: `Post by ${username}` });
      await userEvent.click(within(article).getByRole("button", { name: "More options" }));
      const items = within(article).getAllByRole("menuitem").map((item) => item.textContent);
      await userEvent.keyboard("{Escape}");
      return items;
    };
    expect(await menuOf("anna")).toEqual(["Not interested", "Report", "Mute @anna", "Block @anna", "Go to post", "Copy link"]);
    expect(await menuOf("alice")).not.toContain("Not interested");
  });
});

describe("post page", () => {
  it("says so when the post isn't available, as every missing page does", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: me() } });
    renderApp(<PostDetail />, { path: "/p/404", route: "/p/:postId" });
    expect(await screen.findByRole("heading", { name: "Sorry, this page isn't available." })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go back to Viewfinder." })).toHaveAttribute("href", "/");
  });

  it("asks a signed-out visitor to log in to see it, and come back here", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderApp(<PostDetail />, { path: "/p/404", route: "/p/:postId" });
    expect(await screen.findByRole("heading", { name: "Log in to see this post" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login?next=%2Fp%2F404");
    expect(screen.getByRole("link", { name: "Sign up" })).toHaveAttribute("href", "/signup?next=%2Fp%2F404");
  });

  it("has a back bar that leads to the author's profile when opened afresh", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/posts/1`]: { body: post() },
      [`GET ${API}/posts/1/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(
      <Routes>
        <Route path="/p/:postId" element={<PostDetail />} />
        <Route path="/:username" element={<p>Profile page</p>} />
      </Routes>,
      { path: "/p/1" },
    );
    await screen.findByRole("button", { name: "Like" });
    await userEvent.click(screen.getByRole("button", { name: "Back" }));
    expect(await screen.findByText("Profile page")).toBeInTheDocument();
  });

  it("sets the page title", async () => {
    showPost(post({ caption: "Golden hour" }));
    await screen.findByRole("button", { name: "Like" });
    expect(document.title).toBe("alice on Viewfinder: “Golden hour”");
  });
});

describe("share", () => {
  it("opens the phone's share sheet with the post's link where the browser has one", async () => {
    const share = vi.fn(async () => undefined);
    vi.stubGlobal("navigator", { ...navigator, share });
    answerFetch({ [`GET ${API}/accounts/me`]: { body: me("me") } });
    renderApp(<PostCard post={post({ id: "77", caption: "Harbour at dusk\n\n#sea" })} />);
    await userEvent.click(screen.getByRole("button", { name: "Share post" }));
    expect(share).toHaveBeenCalledWith({
      title: "Post by @alice",
      text: "Harbour at dusk",
      url: `${window.location.origin}/p/77`,
    });
  });

  it("offers no share button where there is no share sheet (the menu's Copy link remains)", () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: me("me") } });
    renderApp(<PostCard post={post({ id: "77" })} />);
    expect(screen.queryByRole("button", { name: "Share post" })).not.toBeInTheDocument();
  });
});
