/** Where the screens report interactions: impressions on the home feed and the grids, an `open` on
 * a post's page, a `share` when Copy link worked, `not_interested` from a suggested post's menu; each
 * with the model that served the post. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { post as gridPost } from "../discovery/fixtures";
import type { Post } from "../api/client";
import { EMPTY_PAGE, me, post, user } from "../posts/testData";
import { Explore } from "../screens/Explore";
import { Home } from "../screens/Home";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { flushInteractions, type InteractionEvent, resetInteractionReporter, type SendBatch } from "./reporter";
import { fakeIntersectionObserver, showElement, watchedCount } from "./testing";

const API = "/api/viewfinder/v1";

/** A post the recommender chose, by `username`, served by the model "als-7". */
function suggested(id: string, username = "anna"): Post {
  return post({ id, author: user(username), recommended: { reason: "Popular this week", model: "als-7" } });
}

let send: ReturnType<typeof vi.fn<SendBatch>>;

function sent(): InteractionEvent[] {
  flushInteractions();
  return send.mock.calls.flatMap(([events]) => events);
}

/** Shows `element` fully for just over a second (fake timers only for that second). */
function lookAt(element: Element) {
  vi.useFakeTimers();
  try {
    act(() => showElement(element, 1));
    act(() => {
      vi.advanceTimersByTime(1001);
    });
  } finally {
    vi.useRealTimers();
  }
}

beforeEach(() => {
  send = vi.fn<SendBatch>(async () => undefined);
  resetInteractionReporter(send);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("a post's page", () => {
  it("reports one open once the post has loaded", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/posts/42`]: { body: post({ id: "42" }) },
      [`GET ${API}/posts/42/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(<PostDetail />, { path: "/p/42", route: "/p/:postId" });
    await waitFor(() =>
      expect(sent()).toEqual([{ kind: "open", post_id: "42", surface: "post", position: null, dwell_ms: null, model: null }]),
    );
    await screen.findByRole("button", { name: "Like" });
    expect(sent()).toHaveLength(1);
  });

  it("reports nothing for a visitor who isn't signed in", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "unauthorized", message: "Log in.", fields: {} } } },
      [`GET ${API}/posts/42`]: { body: post({ id: "42" }) },
      [`GET ${API}/posts/42/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(<PostDetail />, { path: "/p/42", route: "/p/:postId" });
    await screen.findByText("Log in");
    expect(sent()).toEqual([]);
  });
});

describe("Copy link", () => {
  beforeEach(() => {
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: vi.fn(async () => undefined) },
      configurable: true,
    });
  });

  afterEach(() => {
    Reflect.deleteProperty(navigator, "clipboard");
  });

  it("reports a share from the post's page once the link is copied", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/posts/42`]: { body: post({ id: "42" }) },
      [`GET ${API}/posts/42/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(<PostDetail />, { path: "/p/42", route: "/p/:postId" });
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    expect(sent().filter((event) => event.kind === "share")).toEqual([]);
    await userEvent.click(screen.getByRole("menuitem", { name: "Copy link" }));
    expect(await screen.findByText("Link copied to clipboard.")).toBeInTheDocument();
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith(`${window.location.origin}/p/42`);
    expect(sent().filter((event) => event.kind === "share")).toEqual([
      { kind: "share", post_id: "42", surface: "post", position: null, dwell_ms: null, model: null },
    ]);
  });

  it("reports no share when the copy fails", async () => {
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: vi.fn(async () => Promise.reject(new Error("denied"))) },
      configurable: true,
    });
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/posts/42`]: { body: post({ id: "42" }) },
      [`GET ${API}/posts/42/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(<PostDetail />, { path: "/p/42", route: "/p/:postId" });
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Copy link" }));
    expect(await screen.findByText(`${window.location.origin}/p/42`)).toBeInTheDocument();
    expect(sent().filter((event) => event.kind === "share")).toEqual([]);
  });

  it("names the feed a share came from", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post({ id: "42" })], next_cursor: null } },
    });
    renderApp(<Home />);
    await userEvent.click(await screen.findByRole("button", { name: "More options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Copy link" }));
    await screen.findByText("Link copied to clipboard.");
    expect(sent()).toEqual([expect.objectContaining({ kind: "share", post_id: "42", surface: "home_following" })]);
  });
});

describe("impressions", () => {
  beforeEach(() => fakeIntersectionObserver());

  it("names the home feed shown and each post's place in it", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post({ id: "11" }), post({ id: "12" })], next_cursor: null } },
    });
    renderApp(<Home />);
    const cards = await screen.findAllByRole("article");
    // Observed once the viewer is known (the app shows Home only then).
    await waitFor(() => expect(watchedCount()).toBe(2));
    lookAt(cards[1] as HTMLElement);
    expect(sent()).toEqual([
      { kind: "impression", post_id: "12", surface: "home_following", position: 1, dwell_ms: null, model: null },
    ]);
  });

  it("names For you and the model that chose each suggested post", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post({ id: "11" }), suggested("12")], next_cursor: null } },
    });
    renderApp(<Home />, { path: "/?feed=for-you" });
    const cards = await screen.findAllByRole("article");
    await waitFor(() => expect(watchedCount()).toBe(2));
    lookAt(cards[0] as HTMLElement);
    lookAt(cards[1] as HTMLElement);
    expect(sent()).toEqual([
      { kind: "impression", post_id: "11", surface: "for_you", position: 0, dwell_ms: null, model: null },
      { kind: "impression", post_id: "12", surface: "for_you", position: 1, dwell_ms: null, model: "als-7" },
    ]);
  });

  it("reports the Explore grid's posts with their place", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/explore`]: { body: { items: [gridPost("21"), gridPost("22"), gridPost("23")], next_cursor: null } },
      [`GET ${API}/discover/featured`]: { body: { items: [] } },
    });
    renderApp(<Explore />, { path: "/explore" });
    const grid = await screen.findByRole("list", { name: "Explore posts" });
    await waitFor(() => expect(watchedCount()).toBe(3));
    lookAt(within(grid).getAllByRole("listitem")[2] as HTMLElement);
    expect(sent()).toEqual([expect.objectContaining({ kind: "impression", post_id: "23", surface: "explore", position: 2 })]);
  });

  it("names the model that chose an Explore post", async () => {
    const chosen: Post = { ...gridPost("22"), recommended: { reason: "Suggested for you", model: "als-7" } };
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/explore`]: { body: { items: [gridPost("21"), chosen], next_cursor: null } },
      [`GET ${API}/discover/featured`]: { body: { items: [] } },
    });
    renderApp(<Explore />, { path: "/explore" });
    const grid = await screen.findByRole("list", { name: "Explore posts" });
    await waitFor(() => expect(watchedCount()).toBe(2));
    const [first, second] = within(grid).getAllByRole("listitem") as HTMLElement[];
    lookAt(first as HTMLElement);
    lookAt(second as HTMLElement);
    expect(sent().map((event) => [event.post_id, event.model])).toEqual([
      ["21", null],
      ["22", "als-7"],
    ]);
  });
});

describe("Not interested", () => {
  /** Home on For you, which holds `items` (the Following feed holds post 11). */
  function showForYou(items: Post[]) {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: (request) => ({
        body: {
          items: new URL(request.url).searchParams.get("mode") === "for_you" ? items : [post({ id: "11" })],
          next_cursor: null,
        },
      }),
    });
    return { ...renderApp(<Home />, { path: "/?feed=for-you" }), seen };
  }

  it("tells the recommender at once, with the model, and puts a note in the post's place", async () => {
    showForYou([post({ id: "11" }), suggested("12")]);
    const card = await screen.findByRole("article", { name: "Post by anna" });
    await userEvent.click(within(card).getByRole("button", { name: "More options" }));
    await userEvent.click(within(card).getByRole("menuitem", { name: "Not interested" }));

    // Sent without waiting for the batch: the next page must already leave the post out.
    expect(send.mock.calls.flatMap(([events]) => events)).toEqual([
      { kind: "not_interested", post_id: "12", surface: "for_you", position: null, dwell_ms: null, model: "als-7" },
    ]);
    expect(screen.queryByRole("article", { name: "Post by anna" })).not.toBeInTheDocument();
    expect(screen.getByRole("article", { name: "Post by alice" })).toBeInTheDocument();
    const note = screen.getByText("Thanks, you'll see fewer posts like this.").parentElement as HTMLElement;
    expect(note).toHaveTextContent("Post hidden");
    await waitFor(() => expect(note).toHaveFocus());
    expect(await screen.findByText("We'll suggest fewer posts from @anna.")).toBeInTheDocument();
  });

  it("keeps the post hidden when the feed is shown again, without saying it twice", async () => {
    showForYou([suggested("12")]);
    const card = await screen.findByRole("article", { name: "Post by anna" });
    await userEvent.click(within(card).getByRole("button", { name: "More options" }));
    await userEvent.click(within(card).getByRole("menuitem", { name: "Not interested" }));
    await screen.findByText("We'll suggest fewer posts from @anna.");

    await userEvent.click(screen.getByRole("tab", { name: "Following" }));
    await screen.findByRole("article", { name: "Post by alice" });
    await userEvent.click(screen.getByRole("tab", { name: "For you" }));
    expect(await screen.findByText("Thanks, you'll see fewer posts like this.")).toBeInTheDocument();
    expect(screen.queryByRole("article", { name: "Post by anna" })).not.toBeInTheDocument();
    expect(screen.queryByText("We'll suggest fewer posts from @anna.")).not.toBeInTheDocument();
  });
});

describe("a post opened from Explore", () => {
  function showExplore(items: Post[]) {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/explore`]: { body: { items, next_cursor: null } },
      [`GET ${API}/discover/featured`]: { body: { items: [] } },
      // The post's own endpoint knows nothing of the suggestion.
      [`GET ${API}/posts/22`]: { body: { ...post({ id: "22", author: user("anna") }), recommended: null } },
      [`GET ${API}/posts/22/comments`]: { body: EMPTY_PAGE },
    });
    renderApp(
      <Routes>
        <Route path="/explore" element={<Explore />} />
        <Route
          path="/p/:postId"
          element={<PostDetail />} // its own Back button returns to the grid
        />
      </Routes>,
      { path: "/explore" },
    );
  }
  const chosen: Post = { ...gridPost("22", user("anna")), recommended: { reason: "Because you like posts by @ben", model: "als-7" } };

  it("says why it was suggested, credits its open to the model and offers Not interested", async () => {
    showExplore([gridPost("21"), chosen]);
    await userEvent.click(await screen.findByRole("link", { name: /Post by anna/ }));
    const card = await screen.findByRole("article", { name: "Post by anna" });
    expect(within(card).getByText(/^Suggested for you/)).toHaveTextContent(
      /^Suggested for you · Because you like posts by @ben$/,
    );
    await waitFor(() => expect(sent()).toEqual([expect.objectContaining({ kind: "open", post_id: "22", model: "als-7" })]));

    await userEvent.click(within(card).getByRole("button", { name: "More options" }));
    await userEvent.click(within(card).getByRole("menuitem", { name: "Not interested" }));
    expect(sent()).toContainEqual(expect.objectContaining({ kind: "not_interested", post_id: "22", model: "als-7" }));
    expect(await screen.findByText("Thanks, you'll see fewer posts like this.")).toBeInTheDocument();
  });

  it("leaves the grid once put aside", async () => {
    showExplore([gridPost("21"), chosen]);
    await userEvent.click(await screen.findByRole("link", { name: /Post by anna/ }));
    const card = await screen.findByRole("article", { name: "Post by anna" });
    await userEvent.click(within(card).getByRole("button", { name: "More options" }));
    await userEvent.click(within(card).getByRole("menuitem", { name: "Not interested" }));
    await screen.findByText("Thanks, you'll see fewer posts like this.");

    await userEvent.click(screen.getByRole("button", { name: "Back" }));
    const grid = await screen.findByRole("list", { name: "Explore posts" });
    expect(within(grid).getAllByRole("link").map((link) => link.getAttribute("href"))).toEqual(["/p/21"]);
  });

  it("is a plain post when the recommender did not choose it", async () => {
    showExplore([gridPost("22", user("anna"))]);
    await userEvent.click(await screen.findByRole("link", { name: /Post by anna/ }));
    const card = await screen.findByRole("article", { name: "Post by anna" });
    expect(within(card).queryByText(/Suggested for you/)).not.toBeInTheDocument();
    await userEvent.click(within(card).getByRole("button", { name: "More options" }));
    expect(within(card).queryByRole("menuitem", { name: "Not interested" })).not.toBeInTheDocument();
  });
});
