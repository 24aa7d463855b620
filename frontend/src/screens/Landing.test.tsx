import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ME, SIGNED_OUT } from "../accounts/fixtures";
import { App } from "../App";
import { post } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { LANDING_POSTS } from "./Landing";

afterEach(() => vi.unstubAllGlobals());

const MANY = Array.from({ length: LANDING_POSTS + 3 }, (_, index) => post(`p${index + 1}`));

describe("/ for a signed-out visitor", () => {
  it("is a landing page with the ways in and a few recent public posts", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "GET /api/viewfinder/v1/explore": { body: { items: MANY, next_cursor: "more" } },
    });
    renderApp(<App />, { path: "/" });

    expect(await screen.findByRole("heading", { level: 1, name: "Viewfinder" })).toBeInTheDocument();
    const main = screen.getByRole("main");
    expect(within(main).getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/signup");
    expect(within(main).getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
    const grid = await screen.findByRole("list", { name: "Recent public posts" });
    expect(within(grid).getAllByRole("link")).toHaveLength(LANDING_POSTS);
    expect(within(main).getByRole("link", { name: "See more on Explore" })).toHaveAttribute("href", "/explore");
    // Not the log-in form the signed-out `/` used to redirect to.
    expect(screen.queryByLabelText("Password")).not.toBeInTheDocument();
  });

  it("still invites the visitor in when there are no public posts yet", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "GET /api/viewfinder/v1/explore": { body: { items: [], next_cursor: null } },
    });
    renderApp(<App />, { path: "/" });
    expect(await screen.findByRole("link", { name: "Create an account" })).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Recent public posts" })).not.toBeInTheDocument();
  });
});

describe("/ signed in", () => {
  it("is the feed, not the landing page", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": { body: ME },
      "GET /api/viewfinder/v1/feed": { body: { items: [post("f1")], next_cursor: null } },
    });
    renderApp(<App />, { path: "/" });
    expect(await screen.findByRole("tab", { name: "Following" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Create an account" })).not.toBeInTheDocument();
  });
});

describe("/ on a first load", () => {
  it("asks for the feed beside the signed-in account, not after it", async () => {
    let answerMe: () => void = () => {};
    const meAnswered = new Promise<void>((resolve) => {
      answerMe = resolve;
    });
    const seen = answerFetch({
      "GET /api/viewfinder/v1/accounts/me": async () => {
        await meAnswered;
        return { body: ME };
      },
      "GET /api/viewfinder/v1/feed": { body: { items: [post("f1")], next_cursor: null } },
    });
    renderApp(<App />, { path: "/" });
    await waitFor(() => expect(seen.map((request) => new URL(request.url).pathname)).toContain("/api/viewfinder/v1/feed"));
    answerMe();
    expect(await screen.findByRole("tab", { name: "Following" })).toBeInTheDocument();
    expect(await screen.findByText("Caption f1")).toBeInTheDocument();
  });
});
