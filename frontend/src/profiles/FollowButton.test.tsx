import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Profile } from "../api/client";
import { answerFetch, renderApp } from "../test/render";
import { FollowButton } from "./FollowButton";
import { API, me, profile, relationship } from "./testData";

afterEach(() => vi.unstubAllGlobals());

const signedIn = { [`GET ${API}/accounts/me`]: { body: me() } };

describe("FollowButton", () => {
  it("follows a public account at once, before the server answers", async () => {
    let answer: (value: { body: unknown }) => void = () => {};
    const seen = answerFetch({
      ...signedIn,
      [`POST ${API}/users/alice/follow`]: () => new Promise((resolve) => (answer = resolve)),
    });
    const { client } = renderApp(<FollowButton username="alice" relationship={relationship()} isPrivate={false} />);
    client.setQueryData(["profile", "alice"], profile());
    await userEvent.click(await screen.findByRole("button", { name: "Follow" }));

    expect(await screen.findByRole("button", { name: "Following" })).toBeInTheDocument();
    expect(client.getQueryData<Profile>(["profile", "alice"])?.followers_count).toBe(11);
    answer({ body: { state: "following" } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Following" })).toBeEnabled());
    expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/users/alice/follow"))).toBe(true);
  });

  it("asks a private account: Follow becomes Requested, and clicking Requested withdraws it", async () => {
    const seen = answerFetch({
      ...signedIn,
      [`POST ${API}/users/alice/follow`]: { body: { state: "requested" } },
      [`DELETE ${API}/users/alice/follow`]: { body: { state: "none" } },
    });
    renderApp(<FollowButton username="alice" relationship={relationship()} isPrivate />);
    await userEvent.click(await screen.findByRole("button", { name: "Follow" }));
    const requested = await screen.findByRole("button", { name: "Requested" });
    await waitFor(() => expect(requested).toBeEnabled());

    await userEvent.click(requested);
    expect(await screen.findByRole("button", { name: "Follow" })).toBeInTheDocument();
    await waitFor(() => expect(seen.filter((request) => request.method === "DELETE")).toHaveLength(1));
  });

  it("confirms before unfollowing, then shows Follow again", async () => {
    const seen = answerFetch({ ...signedIn, [`DELETE ${API}/users/alice/follow`]: { body: { state: "none" } } });
    const { client } = renderApp(
      <FollowButton username="alice" relationship={relationship({ following: true })} isPrivate={false} />,
    );
    client.setQueryData(["profile", "alice"], profile({ relationship: relationship({ following: true }) }));
    await userEvent.click(await screen.findByRole("button", { name: "Following" }));

    const dialog = screen.getByRole("dialog", { name: "Unfollow alice?" });
    expect(seen.some((request) => request.method === "DELETE")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Unfollow" }));

    expect(await screen.findByRole("button", { name: "Follow" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(client.getQueryData<Profile>(["profile", "alice"])?.followers_count).toBe(9);
    expect(seen.some((request) => request.method === "DELETE")).toBe(true);
  });

  it("keeps following when the unfollow is cancelled", async () => {
    answerFetch(signedIn);
    renderApp(<FollowButton username="alice" relationship={relationship({ following: true })} isPrivate={false} />);
    await userEvent.click(await screen.findByRole("button", { name: "Following" }));
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Following" })).toBeInTheDocument();
  });

  it("offers to follow back someone who follows you", async () => {
    answerFetch(signedIn);
    renderApp(<FollowButton username="alice" relationship={relationship({ followed_by: true })} isPrivate={false} />);
    expect(await screen.findByRole("button", { name: "Follow back" })).toBeInTheDocument();
  });

  it("puts the state back and says why when the follow fails", async () => {
    answerFetch({
      ...signedIn,
      [`POST ${API}/users/alice/follow`]: {
        status: 429,
        body: { error: { code: "rate_limited", message: "Slow down a little.", fields: {} } },
      },
    });
    renderApp(<FollowButton username="alice" relationship={relationship()} isPrivate={false} />);
    await userEvent.click(await screen.findByRole("button", { name: "Follow" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Slow down a little.");
    expect(screen.getByRole("button", { name: "Follow" })).toBeInTheDocument();
  });

  it("sends someone signed out to log in", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "unauthorized", message: "Log in." } } } });
    renderApp(<FollowButton username="alice" relationship={null} isPrivate={false} />, { path: "/alice" });
    expect(await screen.findByRole("link", { name: "Follow" })).toHaveAttribute("href", "/login?next=%2Falice");
  });
});
