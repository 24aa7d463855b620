import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useLocation } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ME_KEY } from "../auth/auth";
import { hashtag, user } from "../discovery/fixtures";
import { answerFetch, renderApp } from "../test/render";
import { Search } from "./Search";

afterEach(() => vi.unstubAllGlobals());

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

function answerSearch() {
  return answerFetch({
    "GET /api/viewfinder/v1/accounts/me": { status: 401, body: { error: { code: "unauthorized", message: "Log in.", fields: {} } } },
    "GET /api/viewfinder/v1/search/accounts": (request) => {
      const q = new URL(request.url).searchParams.get("q");
      return { body: q === "al" ? [user("alice"), user("alfred", { display_name: "Alfred P." })] : [] };
    },
    "GET /api/viewfinder/v1/search/hashtags": (request) => {
      const q = new URL(request.url).searchParams.get("q");
      return { body: q?.startsWith("su") ? [hashtag("sunset", 1204)] : [] };
    },
  });
}

describe("Search", () => {
  it("shows accounts for what is typed and keeps it in the URL", async () => {
    const seen = answerSearch();
    renderApp(
      <>
        <Search />
        <Where />
      </>,
      { path: "/search" },
    );
    const input = screen.getByRole("searchbox", { name: "Search" });
    expect(input).toHaveFocus();
    await userEvent.type(input, "al");

    const alice = await screen.findByRole("link", { name: /alice/ });
    expect(alice).toHaveAttribute("href", "/alice");
    expect(screen.getByRole("link", { name: /alfred Alfred P\./ })).toHaveAttribute("href", "/alfred");
    expect(screen.getByTestId("where")).toHaveTextContent("/search?q=al");
    // Debounced: one search for "al", none for "a".
    const searched = seen.filter((request) => request.url.includes("/search/accounts")).map((r) => new URL(r.url).searchParams.get("q"));
    expect(searched).toEqual(["al"]);
  });

  it("opens a deep link with its query and shows hashtags under Tags", async () => {
    answerSearch();
    renderApp(<Search />, { path: "/search?q=sun" });
    expect(screen.getByRole("searchbox", { name: "Search" })).toHaveValue("sun");
    const tag = await screen.findByRole("link", { name: /#sunset/ });
    expect(tag).toHaveAttribute("href", "/tags/sunset");
    expect(tag).toHaveTextContent("1,204 posts");

    await userEvent.click(screen.getByRole("tab", { name: "Accounts" }));
    expect(await screen.findByText("No results for “sun”.")).toBeInTheDocument();
    screen.getByRole("tab", { name: "Accounts" }).focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Tags" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("link", { name: /#sunset/ })).toBeInTheDocument();
  });

  it("suggests accounts to a signed-in person before they type", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/suggestions/accounts": {
        body: [
          { user: user("ivy"), mutual_count: 2, reason: null },
          { user: user("jon"), mutual_count: 0, reason: null },
          { user: user("kai"), mutual_count: 0, reason: "Followed by @anna" },
          { user: user("lou"), mutual_count: 1, reason: "Because you like posts by @ben" },
        ],
      },
    });
    const { client } = renderApp(<Search />);
    client.setQueryData(ME_KEY, { email: "me@example.com", is_staff: false, role: "none", profile: { ...user("me") } });
    expect(await screen.findByRole("heading", { name: "Suggested for you" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: /ivy Followed by 2 people you follow/ })).toHaveAttribute("href", "/ivy");
    await waitFor(() => expect(screen.getByRole("link", { name: /jon/ })).toBeInTheDocument());
    // Why an account was found, when no one the viewer follows follows it.
    expect(screen.getByRole("link", { name: /kai Followed by @anna/ })).toHaveAttribute("href", "/kai");
    expect(screen.getByRole("link", { name: /lou Followed by 1 person you follow/ })).toBeInTheDocument();
  });
});
