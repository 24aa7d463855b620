import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FollowList } from "../screens/FollowList";
import { answerFetch, renderApp } from "../test/render";
import { API, me, page, relationship, user } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("FollowList", () => {
  it("lists someone's followers with a follow button for each other account", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/users/alice/followers`]: {
        body: page([user("carol", { relationship: relationship({ following: true }) }), user("bob", { relationship: null })]),
      },
    });
    renderApp(<FollowList kind="followers" />, { path: "/alice/followers", route: "/:username/followers" });

    expect(screen.getByRole("heading", { level: 1, name: "Followers" })).toBeInTheDocument();
    const carol = (await screen.findByRole("link", { name: /carol/ })).closest("li") as HTMLElement;
    expect(within(carol).getByRole("button", { name: "Following" })).toBeInTheDocument();
    const bob = screen.getByRole("link", { name: /bob/ }).closest("li") as HTMLElement;
    expect(within(bob).queryByRole("button")).not.toBeInTheDocument();
  });

  it("removes one of your own followers after confirming", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/users/bob/followers`]: { body: page([user("carol", { relationship: relationship({ followed_by: true }) })]) },
      [`DELETE ${API}/accounts/followers/carol`]: { status: 204 },
    });
    renderApp(<FollowList kind="followers" />, { path: "/bob/followers", route: "/:username/followers" });

    await userEvent.click(await screen.findByRole("button", { name: "Remove carol" }));
    const dialog = screen.getByRole("dialog", { name: "Remove follower?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove" }));

    await waitFor(() => expect(screen.queryByRole("link", { name: /carol/ })).not.toBeInTheDocument());
    expect(seen.some((request) => request.method === "DELETE")).toBe(true);
  });

  it("shows the private message when the account's lists are closed to you", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/users/alice/following`]: {
        status: 403,
        body: { error: { code: "private_account", message: "This account is private. Follow it to see this.", fields: {} } },
      },
    });
    renderApp(<FollowList kind="following" />, { path: "/alice/following", route: "/:username/following" });
    expect(await screen.findByText("This account is private")).toBeInTheDocument();
  });
});
