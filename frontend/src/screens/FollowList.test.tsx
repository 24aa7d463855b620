import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API, me, page, relationship, user } from "../profiles/testData";
import { answerFetch, renderApp } from "../test/render";
import { FollowList } from "./FollowList";

afterEach(() => vi.unstubAllGlobals());

/** The row of `username` in the list (its profile link's list item). */
async function row(username: string): Promise<HTMLElement> {
  return (await screen.findByRole("link", { name: new RegExp(`^${username}`) })).closest("li") as HTMLElement;
}

describe("FollowList follow buttons", () => {
  it("gives every account but the viewer the button its relationship calls for", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/users/alice/following`]: {
        body: page([
          user("carol", { relationship: relationship({ followed_by: true }) }),
          user("dave", { relationship: relationship({ following: true, followed_by: true }) }),
          user("erin"),
          user("gina", { is_private: true, relationship: relationship({ requested: true }) }),
          user("bob", { relationship: null }),
        ]),
      },
    });
    renderApp(<FollowList kind="following" />, { path: "/alice/following", route: "/:username/following" });

    expect(within(await row("carol")).getByRole("button", { name: "Follow back" })).toBeInTheDocument();
    expect(within(await row("dave")).getByRole("button", { name: "Following" })).toBeInTheDocument();
    expect(within(await row("erin")).getByRole("button", { name: "Follow" })).toBeInTheDocument();
    expect(within(await row("gina")).getByRole("button", { name: "Requested" })).toBeInTheDocument();
    expect(within(await row("bob")).queryByRole("button")).not.toBeInTheDocument();
  });

  it("on your own followers, shows Following beside Remove and follows back from the list", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`GET ${API}/users/bob/followers`]: {
        body: page([
          user("carol", { relationship: relationship({ following: true, followed_by: true }) }),
          user("dave", { is_private: true, relationship: relationship({ followed_by: true }) }),
          user("erin", { relationship: relationship({ followed_by: true }) }),
        ]),
      },
      [`POST ${API}/users/dave/follow`]: { body: { state: "requested" } },
      [`POST ${API}/users/erin/follow`]: { body: { state: "following" } },
    });
    renderApp(<FollowList kind="followers" />, { path: "/bob/followers", route: "/:username/followers" });

    const carol = await row("carol");
    expect(within(carol).getByRole("button", { name: "Following" })).toBeInTheDocument();
    expect(within(carol).getByRole("button", { name: "Remove carol" })).toBeInTheDocument();

    const dave = await row("dave");
    await userEvent.click(within(dave).getByRole("button", { name: "Follow back" }));
    expect(await within(dave).findByRole("button", { name: "Requested" })).toBeInTheDocument();

    const erin = await row("erin");
    await userEvent.click(within(erin).getByRole("button", { name: "Follow back" }));
    expect(await within(erin).findByRole("button", { name: "Following" })).toBeInTheDocument();
    expect(seen.filter((request) => request.method === "POST").map((request) => new URL(request.url).pathname)).toEqual([
      `${API}/users/dave/follow`,
      `${API}/users/erin/follow`,
    ]);
  });

  it("sends a signed-out visitor to log in from each row", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "not_authenticated", message: "Sign in.", fields: {} } } },
      [`GET ${API}/users/alice/followers`]: { body: page([user("carol", { relationship: null })]) },
    });
    renderApp(<FollowList kind="followers" />, { path: "/alice/followers", route: "/:username/followers" });

    const follow = await within(await row("carol")).findByRole("link", { name: "Follow" });
    expect(follow).toHaveAttribute("href", `/login?next=${encodeURIComponent("/alice/followers")}`);
  });
});
