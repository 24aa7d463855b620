import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Profile } from "../screens/Profile";
import { answerFetch, renderApp } from "../test/render";
import { API, me, page, post, profile, relationship, user } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const signedIn = { [`GET ${API}/accounts/me`]: { body: me() } };
const at = (username: string) => ({ path: `/${username}`, route: "/:username" });

describe("Profile", () => {
  it("shows the header, linked bio, counts and the grid of posts", async () => {
    answerFetch({
      ...signedIn,
      [`GET ${API}/users/alice`]: { body: profile() },
      [`GET ${API}/users/alice/posts`]: { body: page([post("41", user("alice"))]) },
    });
    renderApp(<Profile />, at("alice"));

    expect(await screen.findByRole("heading", { level: 1, name: "alice" })).toBeInTheDocument();
    expect(screen.getByText("Alice Liddell")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "#rabbithole" })).toHaveAttribute("href", "/tags/rabbithole");
    expect(screen.getByRole("link", { name: "@hatter" })).toHaveAttribute("href", "/hatter");
    const website = screen.getByRole("link", { name: "alice.example" });
    expect(website).toHaveAttribute("href", "https://alice.example/");
    expect(website).toHaveAttribute("rel", "noopener nofollow ugc");
    expect(screen.getByText("1").closest("li")).toHaveTextContent("1 post");
    expect(screen.getByRole("link", { name: "10 followers" })).toHaveAttribute("href", "/alice/followers");
    expect(screen.getByRole("link", { name: "3 following" })).toHaveAttribute("href", "/alice/following");
    expect(screen.getByRole("button", { name: "Follow" })).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: /Post by alice/ })).toHaveAttribute("href", "/p/41");
  });

  it("shows a private account's message instead of its grid, with counts but no lists", async () => {
    const seen = answerFetch({
      ...signedIn,
      [`GET ${API}/users/alice`]: { body: profile({ is_private: true }) },
    });
    renderApp(<Profile />, at("alice"));

    expect(await screen.findByText("This account is private")).toBeInTheDocument();
    expect(screen.getByText("Follow this account to see their photos and videos.")).toBeInTheDocument();
    expect(screen.getByText("followers")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "10 followers" })).not.toBeInTheDocument();
    expect(screen.queryByRole("list", { name: /Posts by/ })).not.toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/posts"))).toBe(false);
  });

  it("says the page isn't available for an unknown (or blocked) account", async () => {
    answerFetch(signedIn);
    renderApp(<Profile />, at("nobody"));
    expect(await screen.findByRole("heading", { name: "Sorry, this page isn't available." })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go back to Viewfinder." })).toHaveAttribute("href", "/");
  });

  it("gives your own profile edit and settings links, and pending requests", async () => {
    const mine = me({ is_private: true });
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: mine },
      [`GET ${API}/users/bob`]: { body: mine.profile },
      [`GET ${API}/users/bob/posts`]: { body: page([]) },
      [`GET ${API}/accounts/follow-requests`]: { body: page([user("carol"), user("dave")]) },
    });
    renderApp(<Profile />, at("bob"));

    expect(await screen.findByRole("link", { name: "Edit profile" })).toHaveAttribute("href", "/accounts/edit");
    expect(screen.getByRole("link", { name: "Settings" })).toHaveAttribute("href", "/settings");
    expect(await screen.findByRole("link", { name: "Follow requests (2)" })).toHaveAttribute("href", "/requests");
    expect(await screen.findByText("Share photos")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Profile options" })).not.toBeInTheDocument();
  });

  it("blocks after confirming, then shows the page as unavailable with a way to undo", async () => {
    const seen = answerFetch({
      ...signedIn,
      [`GET ${API}/users/alice`]: { body: profile({ relationship: relationship({ following: true }) }) },
      [`GET ${API}/users/alice/posts`]: { body: page([]) },
      [`POST ${API}/users/alice/block`]: { status: 204 },
    });
    renderApp(<Profile />, at("alice"));

    await userEvent.click(await screen.findByRole("button", { name: "Profile options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Block" }));
    const dialog = screen.getByRole("dialog", { name: "Block alice?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Block" }));

    expect(await screen.findByText("Sorry, this page isn't available.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Unblock alice" })).toBeInTheDocument();
    expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/users/alice/block"))).toBe(true);
  });

  it("mutes from the options menu and offers to unmute", async () => {
    answerFetch({
      ...signedIn,
      [`GET ${API}/users/alice`]: { body: profile() },
      [`GET ${API}/users/alice/posts`]: { body: page([]) },
      [`POST ${API}/users/alice/mute`]: { status: 204 },
    });
    renderApp(<Profile />, at("alice"));

    await userEvent.click(await screen.findByRole("button", { name: "Profile options" }));
    await userEvent.click(screen.getByRole("menuitem", { name: "Mute" }));
    expect(await screen.findByRole("status")).toHaveTextContent("You muted alice.");
    await userEvent.click(screen.getByRole("button", { name: "Profile options" }));
    await waitFor(() => expect(screen.getByRole("menuitem", { name: "Unmute" })).toBeInTheDocument());
  });
});
