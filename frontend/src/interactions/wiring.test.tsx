/** Where the screens report interactions: impressions on the home feed and the grids, an `open` on
 * a post's page, a `share` when Copy link worked. */
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { post as gridPost } from "../discovery/fixtures";
import { EMPTY_PAGE, me, post } from "../posts/testData";
import { Explore } from "../screens/Explore";
import { Home } from "../screens/Home";
import { PostDetail } from "../screens/PostDetail";
import { answerFetch, renderApp } from "../test/render";
import { flushInteractions, type InteractionEvent, resetInteractionReporter, type SendBatch } from "./reporter";
import { fakeIntersectionObserver, showElement, watchedCount } from "./testing";

const API = "/api/viewfinder/v1";

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
    renderApp(<Home />, { path: "/?feed=for-you" });
    const cards = await screen.findAllByRole("article");
    // Observed once the viewer is known (the app shows Home only then).
    await waitFor(() => expect(watchedCount()).toBe(2));
    lookAt(cards[1] as HTMLElement);
    expect(sent()).toEqual([expect.objectContaining({ kind: "impression", post_id: "12", surface: "home_ranked", position: 1 })]);
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
});
