import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { announcement } from "../community/testData";
import { EMPTY_PAGE, comment, me, post, user } from "../posts/testData";
import { answerFetch, renderApp } from "../test/render";
import { FIRST_PAGE, Home } from "./Home";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

describe("Home", () => {
  it("shows the following feed with previews, likes and comments", async () => {
    const shown = post({
      comment_count: 5,
      comment_previews: [comment({ text: "So good #film" })],
    });
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [shown], next_cursor: null } },
      [`POST ${API}/posts/1/like`]: { body: { liked: true, like_count: 13 } },
      [`POST ${API}/posts/1/comments`]: { status: 201, body: comment({ id: "c2", text: "Wow", author: me().profile }) },
    });
    renderApp(<Home />);
    expect(screen.getByRole("heading", { level: 1, name: "Home" })).toBeInTheDocument();
    expect(await screen.findByRole("status")).toHaveTextContent("Loading posts");
    expect(screen.getByRole("tab", { name: "Following" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("img", { name: "A red door" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "View all 5 comments" })).toHaveAttribute("href", "/p/1");
    expect(screen.getByRole("link", { name: "#film" })).toHaveAttribute("href", "/tags/film");
    expect(screen.getAllByRole("link", { name: "alice" })[0]).toHaveAttribute("href", "/alice");
    expect(screen.getByText("3h")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Like" }));
    expect(screen.getByRole("button", { name: "Unlike" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "13 likes" })).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Add a comment…"), "Wow");
    await userEvent.click(screen.getByRole("button", { name: "Post" }));
    expect(await screen.findByText("Wow")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "View all 6 comments" })).toBeInTheDocument();
    expect(screen.getByText("You're all caught up")).toBeInTheDocument();
  });

  it("switches to the For you feed", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: (request) => ({
        body: new URL(request.url).searchParams.get("mode") === "for_you" ? { items: [post()], next_cursor: null } : EMPTY_PAGE,
      }),
      [`GET ${API}/suggestions/accounts`]: { body: [] },
    });
    renderApp(<Home />);
    await userEvent.click(await screen.findByRole("tab", { name: "For you" }));
    expect(screen.getByRole("tab", { name: "For you" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("img", { name: "A red door" })).toBeInTheDocument();
    const modes = seen.map((request) => new URL(request.url).searchParams.get("mode")).filter(Boolean);
    expect(modes).toEqual(["following", "for_you"]);
  });

  it("opens on For you when the address says feed=for-you", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post()], next_cursor: null } },
    });
    renderApp(<Home />, { path: "/?feed=for-you" });
    expect(await screen.findByRole("tab", { name: "For you" })).toHaveAttribute("aria-selected", "true");
    await screen.findByRole("img", { name: "A red door" });
    expect(seen.filter((request) => request.url.includes("/feed")).map((request) => new URL(request.url).search)).toEqual([
      `?mode=for_you&limit=${FIRST_PAGE}`,
    ]);
  });

  it("welcomes a new account with accounts to follow", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: EMPTY_PAGE },
      [`GET ${API}/suggestions/accounts`]: { body: [{ user: user("dana"), mutual_count: 2 }] },
      [`POST ${API}/users/dana/follow`]: { body: { state: "following" } },
    });
    renderApp(<Home />);
    expect(await screen.findByRole("heading", { name: "Welcome to Viewfinder" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Explore posts" })).toHaveAttribute("href", "/explore");
    expect(await screen.findByText("Followed by 2 people you follow")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Follow dana" }));
    expect(await screen.findByRole("button", { name: "Following dana" })).toBeInTheDocument();
    expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/users/dana/follow"))).toBe(true);
    expect(screen.getByRole("button", { name: "See their posts" })).toBeInTheDocument();
  });

  it("offers a retry when the feed fails", async () => {
    let calls = 0;
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: () => {
        calls += 1;
        return calls === 1
          ? { status: 503, body: { error: { code: "unavailable", message: "Down for a moment.", fields: {} } } }
          : { body: { items: [post()], next_cursor: null } };
      },
    });
    renderApp(<Home />);
    expect(await screen.findByText("Down for a moment.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(screen.getByRole("img", { name: "A red door" })).toBeInTheDocument());
  });

  it("shows the active announcements above the feeds; dismissing the last one moves the focus to the feed's tab", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post()], next_cursor: null } },
      [`GET ${API}/announcements`]: { body: { items: [announcement("7", { text: "Photo walk on Saturday" })] } },
      [`POST ${API}/announcements/7/read`]: { status: 204 },
    });
    renderApp(<Home />);
    const strip = await screen.findByRole("region", { name: "Announcements" });
    expect(strip.compareDocumentPosition(screen.getByRole("tablist", { name: "Feeds" })) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Dismiss announcement: Photo walk on Saturday" }));
    expect(screen.queryByRole("region", { name: "Announcements" })).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole("tab", { name: "Following" })).toHaveFocus());
    expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/announcements/7/read"))).toBe(true);
  });
});

describe("keyboard shortcuts", () => {
  it("moves between posts with j and k and likes the one you are on with l", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: {
        body: { items: [post({ id: "1" }), post({ id: "2", author: user("bob") }), post({ id: "3" })], next_cursor: null },
      },
      [`POST ${API}/posts/2/like`]: { body: { liked: true, like_count: 13 } },
    });
    renderApp(<Home />);
    const [first, second] = await screen.findAllByRole("article");

    await userEvent.keyboard("j");
    expect(first).toHaveFocus();
    await userEvent.keyboard("j");
    expect(second).toHaveFocus();
    await userEvent.keyboard("k");
    expect(first).toHaveFocus();
    await userEvent.keyboard("j");
    await userEvent.keyboard("l");
    await waitFor(() =>
      expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/posts/2/like"))).toBe(true),
    );
    expect(within(second as HTMLElement).getByRole("button", { name: "Unlike" })).toBeInTheDocument();
  });

  it("leaves the keys alone while you type", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post({ id: "1" })], next_cursor: null } },
    });
    renderApp(<Home />);
    const [first] = await screen.findAllByRole("article");
    await userEvent.type(await screen.findByLabelText("Add a comment…"), "jk");
    expect(first).not.toHaveFocus();
    expect(screen.getByLabelText("Add a comment…")).toHaveValue("jk");
  });
});

describe("the first page", () => {
  it("asks for a few posts first and the API's full pages after", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: (request) =>
        new URL(request.url).searchParams.get("cursor")
          ? { body: { items: [post({ id: "9" })], next_cursor: null } }
          : { body: { items: [post({ id: "1" })], next_cursor: "next" } },
    });
    renderApp(<Home />);
    await screen.findAllByRole("article");
    await userEvent.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(screen.getAllByRole("article")).toHaveLength(2));
    const pages = seen.filter((request) => new URL(request.url).pathname === `${API}/feed`).map((request) => new URL(request.url).searchParams);
    expect(pages[0]?.get("limit")).toBe(String(FIRST_PAGE));
    expect(pages.at(-1)?.get("cursor")).toBe("next");
    expect(pages.at(-1)?.has("limit")).toBe(false);
  });
});

describe("wide screens", () => {
  function screenWidth(wide: boolean) {
    vi.stubGlobal("matchMedia", (media: string) => ({
      media,
      matches: wide,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    }));
  }
  const suggestions = [1, 2, 3, 4, 5, 6].map((n) => ({ user: user(`pal${n}`), mutual_count: 0, reason: null }));

  it("suggest a few accounts to follow beside the feed", async () => {
    screenWidth(true);
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post()], next_cursor: null } },
      [`GET ${API}/suggestions/accounts`]: { body: suggestions },
    });
    renderApp(<Home />);
    const column = await screen.findByRole("complementary", { name: "Suggested for you" });
    expect(within(column).getAllByRole("button", { name: /^Follow pal/ })).toHaveLength(5);
    expect(within(column).getByRole("link", { name: "See more on Explore" })).toHaveAttribute("href", "/explore");
  });

  it("phones get no such column (and do not ask for it)", async () => {
    screenWidth(false);
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/feed`]: { body: { items: [post()], next_cursor: null } },
      [`GET ${API}/suggestions/accounts`]: { body: suggestions },
    });
    renderApp(<Home />);
    await screen.findAllByRole("article");
    expect(screen.queryByRole("complementary", { name: "Suggested for you" })).not.toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/suggestions/"))).toBe(false);
  });
});
