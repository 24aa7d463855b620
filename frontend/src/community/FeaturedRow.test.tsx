import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { me } from "../posts/testData";
import { answerFetch, renderApp } from "../test/render";
import { FeaturedRow } from "./FeaturedRow";
import { featured } from "./testData";

const API = "/api/viewfinder/v1";

afterEach(() => vi.unstubAllGlobals());

describe("Explore's Featured row", () => {
  it("shows the featured accounts with their note and a follow button", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me("viewer") },
      [`GET ${API}/discover/featured`]: { body: { items: [featured("kim"), featured("viewer")] } },
      [`POST ${API}/users/kim/follow`]: { body: { state: "following" } },
    });
    renderApp(<FeaturedRow />, { path: "/explore" });
    const row = await screen.findByRole("region", { name: "Featured" });
    const cards = within(row).getAllByRole("listitem");
    expect(cards).toHaveLength(2);
    const kim = cards[0] as HTMLElement;
    expect(within(kim).getByRole("link", { name: /kim/ })).toHaveAttribute("href", "/kim");
    expect(within(kim).getByText("Great photos by kim")).toBeInTheDocument();
    // No follow button on one's own card.
    await waitFor(() => expect(within(cards[1] as HTMLElement).queryByRole("button")).not.toBeInTheDocument());
    await userEvent.click(within(kim).getByRole("button", { name: "Follow" }));
    await waitFor(() => expect(seen.some((request) => request.method === "POST" && request.url.endsWith("/users/kim/follow"))).toBe(true));
    expect(await within(kim).findByRole("button", { name: "Following" })).toBeInTheDocument();
  });

  it("sends a visitor to log in from the follow button", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { status: 401, body: { error: { code: "not_authenticated", message: "Log in.", fields: {} } } },
      [`GET ${API}/discover/featured`]: { body: { items: [featured("kim")] } },
    });
    renderApp(<FeaturedRow />, { path: "/explore" });
    const row = await screen.findByRole("region", { name: "Featured" });
    expect(await within(row).findByRole("link", { name: "Follow" })).toHaveAttribute("href", "/login?next=%2Fexplore");
  });

  it("is not there when nothing is featured", async () => {
    answerFetch({ [`GET ${API}/discover/featured`]: { body: { items: [] } } });
    renderApp(<FeaturedRow />, { path: "/explore" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByRole("region", { name: "Featured" })).not.toBeInTheDocument();
  });
});
